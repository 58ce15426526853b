// The lanes' integration-user credentials in the OS keychain: status, set, check, delete.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useCallback, useState } from 'react';
import { commands } from './bindings/commands';
import { laneKeys } from './lanes';
import type { CheckResult } from './bindings/CheckResult';
import type { CredentialSet } from './bindings/CredentialSet';
import type { CredentialStatus } from './bindings/CredentialStatus';

export type { CheckResult, CredentialSet, CredentialStatus };

export const credentialKeys = {
  // Under ['lanes', ...]: invalidating the lanes refreshes every lane's credential too.
  one: (laneId: string) => ['lanes', laneId, 'credential'] as const,
};

/** The lane's credential as the keychain says now; `initial` (from `lanes_list`) shows until it answers. */
export function useCredentialStatus(laneId: string, initial?: CredentialStatus) {
  return useQuery({
    queryKey: credentialKeys.one(laneId),
    queryFn: () => commands.credentialsStatus(laneId),
    placeholderData: initial,
  });
}

function useCredentialChanged() {
  const client = useQueryClient();
  return () => client.invalidateQueries({ queryKey: laneKeys.all });
}

/**
 * Stores a lane's secret. Deliberately not a TanStack mutation: a mutation keeps its variables
 * in the mutation cache, and the secret must live nowhere in the window but the field it was
 * typed into, until it is sent.
 */
export function useCredentialSet(laneId: string) {
  const client = useQueryClient();
  const [state, setState] = useState<{ pending: boolean; error: unknown; data: CredentialSet | null }>({
    pending: false,
    error: null,
    data: null,
  });
  const set = useCallback(
    async (secret: string, allowHost: string | null = null): Promise<CredentialSet | null> => {
      setState({ pending: true, error: null, data: null });
      try {
        const data = await commands.credentialsSet(laneId, secret, allowHost);
        setState({ pending: false, error: null, data });
        return data;
      } catch (error) {
        setState({ pending: false, error, data: null });
        return null;
      } finally {
        // Even a refused secret may have replaced nothing or something: ask again.
        void client.invalidateQueries({ queryKey: laneKeys.all });
      }
    },
    [laneId, client],
  );
  const reset = useCallback(() => setState({ pending: false, error: null, data: null }), []);
  return { set, reset, isPending: state.pending, error: state.error, data: state.data };
}

export function useCredentialCheck(laneId: string) {
  const changed = useCredentialChanged();
  return useMutation({
    mutationKey: ['credential-check', laneId],
    mutationFn: () => commands.credentialsCheck(laneId),
    // A failed check is recorded as the lane's last check too.
    onSettled: changed,
  });
}

export function useCredentialDelete(laneId: string) {
  const changed = useCredentialChanged();
  return useMutation({
    mutationKey: ['credential-delete', laneId],
    mutationFn: () => commands.credentialsDelete(laneId),
    onSettled: changed,
  });
}
