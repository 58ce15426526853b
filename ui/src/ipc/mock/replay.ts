// Dev and test only: answers for the commands of ../replay.ts.
import type { OverrideRequest } from '../bindings/OverrideRequest';
import type { PreflightView } from '../bindings/PreflightView';
import type { ReplayRequest } from '../bindings/ReplayRequest';
import type { ReplayResult } from '../bindings/ReplayResult';
import type { SettleResult } from '../bindings/SettleResult';
import { missing, type Answer, type Answers } from './answer';

export interface ReplayMockBackend {
  preflightRun?: (eventId: number, overrideRequest: OverrideRequest | null) => Answer<PreflightView>;
  /** Answers `preflight_latest`; the default is `null` (no preflight taken yet). */
  preflightLatest?: (eventId: number) => Answer<PreflightView | null>;
  replay?: (eventId: number, request: ReplayRequest) => Answer<ReplayResult>;
  verify?: (eventId: number) => Answer<SettleResult>;
}

export const replayAnswers: Answers<ReplayMockBackend> = {
  preflight_run: (b, a, cmd) =>
    b.preflightRun?.(a.eventId as number, (a.overrideRequest ?? null) as OverrideRequest | null) ?? missing(cmd),
  preflight_latest: (b, a) => b.preflightLatest?.(a.eventId as number) ?? null,
  replay_run: (b, a, cmd) => b.replay?.(a.eventId as number, a.request as ReplayRequest) ?? missing(cmd),
  settle_run: (b, a, cmd) => b.verify?.(a.eventId as number) ?? missing(cmd),
};
