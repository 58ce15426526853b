import {
  QueryClient,
  useInfiniteQuery,
  useMutation,
  useMutationState,
  useQuery,
  useQueryClient,
  type MutationState,
} from '@tanstack/react-query';
import type { EventStatus } from './bindings/EventStatus';
import type { OverrideRequest } from './bindings/OverrideRequest';
import type { ReplayRequest } from './bindings/ReplayRequest';
import type { VerifyResult } from './bindings/VerifyResult';
import { commands } from './commands';

/** Rows per `events_list` call: a few screens' worth, far below the backend's maximum of 1000. */
export const EVENT_PAGE_SIZE = 200;

export interface EventFilter {
  laneId: string | null;
  status: EventStatus | null;
  /** A prefix of the external ID or of the event key. */
  search?: string;
  /** The failure (reason) code, e.g. UNABLE_TO_LOCK_ROW. */
  reasonCode?: string;
}

export const queryKeys = {
  lanes: ['lanes'] as const,
  lane: (laneId: string) => ['lanes', laneId] as const,
  eventCounts: ['events', 'counts'] as const,
  eventPages: (filter: EventFilter) =>
    ['events', 'pages', filter.laneId, filter.status, filter.search ?? '', filter.reasonCode ?? ''] as const,
  event: (id: number) => ['events', 'one', id] as const,
  preflight: (eventId: number) => ['events', 'preflight', eventId] as const,
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
      commands.eventsList({
        lane_id: filter.laneId,
        status: filter.status,
        after: pageParam,
        limit: pageSize,
        ...(filter.search ? { search: filter.search } : {}),
        ...(filter.reasonCode ? { failure_code: filter.reasonCode } : {}),
      }),
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

/** The newest stored preflight of an event, `null` when none was taken. */
export function usePreflightLatest(eventId: number) {
  return useQuery({ queryKey: queryKeys.preflight(eventId), queryFn: () => commands.preflightLatest(eventId) });
}

/**
 * Takes a preflight now. Its answer becomes the event's latest preflight at once, so every view
 * of it (panel, form, token) switches to the new one together.
 */
export function usePreflightRun(eventId: number) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (overrideRequest: OverrideRequest | null) => commands.preflightRun(eventId, overrideRequest),
    onSuccess: (view) => client.setQueryData(queryKeys.preflight(eventId), view),
  });
}

/**
 * After anything that changes an event's state: the event itself, its latest preflight (its
 * latest attempt changed), the counts, and the queue's pages. The pages are reset, not
 * refetched: a refetch of the infinite query would reload every page scrolled so far.
 */
function useEventChanged(eventId: number) {
  const client = useQueryClient();
  return () =>
    Promise.all([
      client.invalidateQueries({ queryKey: queryKeys.event(eventId) }),
      client.invalidateQueries({ queryKey: queryKeys.preflight(eventId) }),
      client.invalidateQueries({ queryKey: queryKeys.eventCounts }),
      client.resetQueries({ queryKey: ['events', 'pages'] }),
    ]);
}

export function useReplay(eventId: number) {
  const changed = useEventChanged(eventId);
  return useMutation({
    mutationFn: (request: ReplayRequest) => commands.replayRun(eventId, request),
    // A refusal changes nothing, but any other failure may have left an attempt behind.
    onSettled: changed,
  });
}

export function useDiscard(eventId: number) {
  const changed = useEventChanged(eventId);
  return useMutation({
    mutationFn: ({ operator, reason }: { operator: string; reason: string }) => commands.eventDiscard(eventId, operator, reason),
    onSuccess: changed,
  });
}

export function useVerify(eventId: number) {
  const changed = useEventChanged(eventId);
  return useMutation({
    // Keyed, so every Verify button of the event shows the same run (useVerifyState).
    mutationKey: ['verify', eventId],
    mutationFn: () => commands.verifyRun(eventId),
    onSettled: changed,
  });
}

/** The latest verify of this event started anywhere in the window: pending, its result or its error. */
export function useVerifyState(eventId: number) {
  const states = useMutationState({
    filters: { mutationKey: ['verify', eventId] },
    select: (m) => m.state as MutationState<VerifyResult, unknown, void>,
  });
  return states.at(-1);
}
