import { QueryClient, useInfiniteQuery, useQuery } from '@tanstack/react-query';
import type { EventStatus } from './bindings/EventStatus';
import { commands } from './commands';

/** Rows per `events_list` call: a few screens' worth, far below the backend's maximum of 1000. */
export const EVENT_PAGE_SIZE = 200;

export interface EventFilter {
  laneId: string | null;
  status: EventStatus | null;
}

export const queryKeys = {
  lanes: ['lanes'] as const,
  lane: (laneId: string) => ['lanes', laneId] as const,
  eventCounts: ['events', 'counts'] as const,
  eventPages: (filter: EventFilter) => ['events', 'pages', filter.laneId, filter.status] as const,
  event: (id: number) => ['events', 'one', id] as const,
};

export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        // The backend is a local database: a failure will not heal by itself within a second, and
        // the banner offers a retry.
        retry: false,
        // Refetching an infinite query refetches every loaded page; after a long scroll that is
        // thousands of calls, so only explicit refreshes refetch.
        refetchOnWindowFocus: false,
        staleTime: 30_000,
      },
    },
  });
}

export function useLanes() {
  return useQuery({ queryKey: queryKeys.lanes, queryFn: commands.lanesList });
}

export function useLane(laneId: string | null) {
  return useQuery({
    queryKey: queryKeys.lane(laneId ?? ''),
    queryFn: () => commands.laneShow(laneId ?? ''),
    enabled: laneId !== null,
  });
}

export function useEventCounts() {
  return useQuery({ queryKey: queryKeys.eventCounts, queryFn: commands.eventCounts });
}

/** The queue, page by page (keyset): each page asks for the events after the last one seen. */
export function useEventPages(filter: EventFilter, pageSize: number = EVENT_PAGE_SIZE) {
  return useInfiniteQuery({
    queryKey: queryKeys.eventPages(filter),
    queryFn: ({ pageParam }) =>
      commands.eventsList({ lane_id: filter.laneId, status: filter.status, after: pageParam, limit: pageSize }),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor,
  });
}

export function useEvent(id: number | null) {
  return useQuery({
    queryKey: queryKeys.event(id ?? -1),
    queryFn: () => commands.eventShow(id ?? -1),
    enabled: id !== null,
  });
}
