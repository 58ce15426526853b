// The event queue: counts, pages of events, one event, and discarding one. Also the refresh that
// every change to events (replay, verify, discard, import, batch run) ends with.
import { useInfiniteQuery, useMutation, useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query';
import { commands } from './bindings/commands';
import type { EventDetail } from './bindings/EventDetail';
import type { EventPage } from './bindings/EventPage';
import type { EventQuery } from './bindings/EventQuery';
import type { EventStatus } from './bindings/EventStatus';
import type { StatusCount } from './bindings/StatusCount';

export type { EventDetail, EventPage, EventQuery, EventStatus, StatusCount };
export type { AttemptFacts } from './bindings/AttemptFacts';
export type { AttemptRow } from './bindings/AttemptRow';
export type { EventSummary } from './bindings/EventSummary';

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

/** Rows per `events_list` call: a few screens' worth, far below the backend's maximum of 1000. */
export const EVENT_PAGE_SIZE = 200;

export interface EventFilter {
  laneId: string | null;
  status: EventStatus | null;
  /** A prefix of the external ID or of the event key. */
  search?: string;
  /**
   * Full-text: every word must appear in the payload values, the failure message or code, the
   * external ID or the event key (whole words; `word*` matches a prefix).
   */
  text?: string;
  /** The failure (reason) code, e.g. UNABLE_TO_LOCK_ROW. */
  reasonCode?: string;
  /** Triage: assigned to this person. */
  assignee?: string;
  /** Triage: carrying this tag. */
  tag?: string;
  /** Triage: only events marked as being investigated. */
  investigating?: boolean;
}

export const eventKeys = {
  /** Every event query (pages, counts, one event, its preflight, the alerts) sits under this key. */
  all: ['events'] as const,
  counts: ['events', 'counts'] as const,
  allPages: ['events', 'pages'] as const,
  pages: (filter: EventFilter) =>
    [
      'events',
      'pages',
      filter.laneId,
      filter.status,
      filter.search ?? '',
      filter.text ?? '',
      filter.reasonCode ?? '',
      filter.assignee ?? '',
      filter.tag ?? '',
      filter.investigating === true,
    ] as const,
  allOne: ['events', 'one'] as const,
  one: (id: number) => ['events', 'one', id] as const,
  allPreflights: ['events', 'preflight'] as const,
  preflight: (eventId: number) => ['events', 'preflight', eventId] as const,
};

/**
 * After events were added or changed in bulk: the counts again, and the queue's pages reset, not
 * refetched (a refetch of the infinite query would reload every page scrolled so far).
 */
export function refreshQueue(client: QueryClient): Promise<unknown> {
  return Promise.all([
    client.invalidateQueries({ queryKey: eventKeys.counts }),
    client.resetQueries({ queryKey: eventKeys.allPages }),
  ]);
}

export function useEventCounts() {
  return useQuery({ queryKey: eventKeys.counts, queryFn: () => commands.eventCounts() });
}

/** The queue, page by page (keyset): each page asks for the events after the last one seen. */
export function useEventPages(filter: EventFilter, pageSize: number = EVENT_PAGE_SIZE) {
  return useInfiniteQuery({
    queryKey: eventKeys.pages(filter),
    queryFn: ({ pageParam }) =>
      commands.eventsList({
        lane_id: filter.laneId,
        status: filter.status,
        after: pageParam,
        limit: pageSize,
        ...(filter.search ? { search: filter.search } : {}),
        ...(filter.text ? { text: filter.text } : {}),
        ...(filter.reasonCode ? { failure_code: filter.reasonCode } : {}),
        ...(filter.assignee ? { assignee: filter.assignee } : {}),
        ...(filter.tag ? { tag: filter.tag } : {}),
        ...(filter.investigating ? { investigating: true } : {}),
      }),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor,
    // A full-text search over an index still catching up (after an import): asked again until
    // the index reaches every event.
    refetchInterval: (q) => ((q.state.data?.pages[0]?.search_unindexed ?? 0) > 0 ? 3000 : false),
  });
}

export function useEvent(id: number | null) {
  return useQuery({
    queryKey: eventKeys.one(id ?? -1),
    queryFn: () => commands.eventShow(id ?? -1),
    enabled: id !== null,
  });
}

/**
 * After anything that changes one event's state: the event itself, its latest preflight (its
 * latest attempt changed), the counts, and the queue's pages.
 */
export function useEventChanged(eventId: number) {
  const client = useQueryClient();
  return () =>
    Promise.all([
      client.invalidateQueries({ queryKey: eventKeys.one(eventId) }),
      client.invalidateQueries({ queryKey: eventKeys.preflight(eventId) }),
      refreshQueue(client),
    ]);
}

export function useDiscard(eventId: number) {
  const changed = useEventChanged(eventId);
  return useMutation({
    mutationFn: ({ operator, reason }: { operator: string; reason: string }) => commands.eventDiscard(eventId, operator, reason),
    onSuccess: changed,
  });
}
