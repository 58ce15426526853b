// The lanes: the list (with each lane's credential state) and one lane's contract.
import { useQuery } from '@tanstack/react-query';
import { commands } from './bindings/commands';
import type { LaneDetail } from './bindings/LaneDetail';
import type { LaneSummary } from './bindings/LaneSummary';

export type { LaneDetail, LaneSummary };
export type { LaneVersionInfo } from './bindings/LaneVersionInfo';

export const laneKeys = {
  /** Every lane query (and each lane's credential) sits under this key. */
  all: ['lanes'] as const,
  one: (laneId: string) => ['lanes', laneId] as const,
};

export function useLanes() {
  return useQuery({ queryKey: laneKeys.all, queryFn: () => commands.lanesList() });
}

export function useLane(laneId: string | null) {
  return useQuery({
    queryKey: laneKeys.one(laneId ?? ''),
    queryFn: () => commands.laneShow(laneId ?? ''),
    enabled: laneId !== null,
  });
}
