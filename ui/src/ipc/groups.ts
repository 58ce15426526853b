// Failure groups: the queue's events by lane, failure code and message signature.
import { useQuery } from '@tanstack/react-query';
import { commands } from './bindings/commands';
import type { FailureGroup } from './bindings/FailureGroup';
import type { GroupsView } from './bindings/GroupsView';

export type { FailureGroup, GroupsView };
export type { GroupStatusCount } from './bindings/GroupStatusCount';

export const groupKeys = {
  // Under ['events', ...]: the queue's Refresh, an import and a replay refresh the groups too.
  all: ['events', 'groups'] as const,
  lane: (laneId: string | null) => ['events', 'groups', laneId] as const,
};

/** Every failure group, or one lane's (a pass over the events: about a second on a million). */
export function useGroups(laneId: string | null) {
  return useQuery({ queryKey: groupKeys.lane(laneId), queryFn: () => commands.groupsList(laneId) });
}
