import { call } from './call';
import type { EventDetail } from './bindings/EventDetail';
import type { EventPage } from './bindings/EventPage';
import type { EventQuery } from './bindings/EventQuery';
import type { LaneDetail } from './bindings/LaneDetail';
import type { LaneSummary } from './bindings/LaneSummary';
import type { OverrideRequest } from './bindings/OverrideRequest';
import type { PreflightView } from './bindings/PreflightView';
import type { ReplayRequest } from './bindings/ReplayRequest';
import type { ReplayResult } from './bindings/ReplayResult';
import type { StatusCount } from './bindings/StatusCount';
import type { VerifyResult } from './bindings/VerifyResult';

// Argument names are the Rust parameter names in camelCase, as Tauri expects them.
export const commands = {
  lanesList: () => call<LaneSummary[]>('lanes_list'),
  laneShow: (laneId: string) => call<LaneDetail>('lane_show', { laneId }),
  eventsList: (query: EventQuery) => call<EventPage>('events_list', { query }),
  eventShow: (id: number) => call<EventDetail>('event_show', { id }),
  eventCounts: () => call<StatusCount[]>('event_counts'),
  /** Reads the target record from Salesforce now (0.1 to 2 s) and stores the preflight. */
  preflightRun: (eventId: number, overrideRequest: OverrideRequest | null) =>
    call<PreflightView>('preflight_run', { eventId, overrideRequest }),
  preflightLatest: (eventId: number) => call<PreflightView | null>('preflight_latest', { eventId }),
  /** Rejects with kind `refused` when the gate says no; nothing is written then. */
  replayRun: (eventId: number, request: ReplayRequest) => call<ReplayResult>('replay_run', { eventId, request }),
  eventDiscard: (eventId: number, operator: string, reason: string) =>
    call<null>('event_discard', { eventId, operator, reason }),
  /** Settles an event in `unknown_outcome`: reads the record and decides applied or not. */
  verifyRun: (eventId: number) => call<VerifyResult>('verify_run', { eventId }),
};
