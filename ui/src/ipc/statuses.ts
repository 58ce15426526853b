import type { EventStatus } from './bindings/EventStatus';

/**
 * Every event status, in lifecycle order. `satisfies` ties the list to the generated union: a
 * status added in Rust and missing here fails the typecheck (see the exhaustiveness check below).
 */
export const EVENT_STATUSES = [
  'failed',
  'blocked',
  'in_flight',
  'replayed',
  'unknown_outcome',
  'discarded',
] as const satisfies readonly EventStatus[];

// Compile-time: every EventStatus appears in EVENT_STATUSES.
type Missing = Exclude<EventStatus, (typeof EVENT_STATUSES)[number]>;
const _allListed: Missing extends never ? true : Missing = true;
void _allListed;
