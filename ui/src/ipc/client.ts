// The one TanStack Query client of the window, with the defaults every feature's hooks rely on.
import { QueryClient } from '@tanstack/react-query';

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
