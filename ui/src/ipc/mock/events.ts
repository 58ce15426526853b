// Dev and test only: answers for the commands of ../events.ts.
import type { EventDetail } from '../bindings/EventDetail';
import type { EventPage } from '../bindings/EventPage';
import type { EventQuery } from '../bindings/EventQuery';
import type { StatusCount } from '../bindings/StatusCount';
import { reject, type Answer, type Answers } from './answer';

export interface EventsMockBackend {
  counts?: () => Answer<StatusCount[]>;
  /** Answers `events_list`; the default is one empty last page. */
  events?: (query: EventQuery) => Answer<EventPage>;
  event?: (id: number) => Answer<EventDetail>;
  /** Answers `event_discard`; the default accepts. */
  discard?: (eventId: number, operator: string, reason: string) => Answer<null>;
}

export const eventAnswers: Answers<EventsMockBackend> = {
  event_counts: (b) => b.counts?.() ?? [],
  events_list: (b, a) => b.events?.(a.query as EventQuery) ?? { events: [], next_cursor: null },
  event_show: (b, a) => b.event?.(a.id as number) ?? reject('not_found', `no event with id ${String(a.id)}`),
  event_discard: (b, a) => b.discard?.(a.eventId as number, a.operator as string, a.reason as string) ?? null,
};
