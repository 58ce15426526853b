import { invoke, type InvokeArgs } from '@tauri-apps/api/core';
import type { EventDetail } from './bindings/EventDetail';
import type { EventPage } from './bindings/EventPage';
import type { EventQuery } from './bindings/EventQuery';
import type { LaneDetail } from './bindings/LaneDetail';
import type { LaneSummary } from './bindings/LaneSummary';
import type { StatusCount } from './bindings/StatusCount';
import { toIpcError } from './errors';

async function call<T>(command: string, args?: InvokeArgs): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (cause) {
    throw toIpcError(cause);
  }
}

// Argument names are the Rust parameter names in camelCase, as Tauri expects them.
export const commands = {
  lanesList: () => call<LaneSummary[]>('lanes_list'),
  laneShow: (laneId: string) => call<LaneDetail>('lane_show', { laneId }),
  eventsList: (query: EventQuery) => call<EventPage>('events_list', { query }),
  eventShow: (id: number) => call<EventDetail>('event_show', { id }),
  eventCounts: () => call<StatusCount[]>('event_counts'),
};
