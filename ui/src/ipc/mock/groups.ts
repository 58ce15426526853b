// Dev and test only: answers for the commands of ../groups.ts.
import type { GroupsView } from '../bindings/GroupsView';
import type { Answer, Answers } from './answer';

export interface GroupsMockBackend {
  /** Answers `groups_list`; the default is no group. */
  groups?: (laneId: string | null) => Answer<GroupsView>;
}

export const groupAnswers: Answers<GroupsMockBackend> = {
  groups_list: (b, a) => b.groups?.((a.laneId as string | null | undefined) ?? null) ?? { groups: [], events: 0 },
};
