// Dev and test only: answers for the commands of ../lanes.ts.
import type { LaneDetail } from '../bindings/LaneDetail';
import type { LaneSummary } from '../bindings/LaneSummary';
import { noLane, type Answer, type Answers } from './answer';

export interface LanesMockBackend {
  lanes?: () => Answer<LaneSummary[]>;
  lane?: (laneId: string) => Answer<LaneDetail>;
}

export const laneAnswers: Answers<LanesMockBackend> = {
  lanes_list: (b) => b.lanes?.() ?? [],
  lane_show: (b, a) => b.lane?.(a.laneId as string) ?? noLane(a.laneId),
};
