// Operations beyond the queue: importing event files (long, with progress and cancel), the
// lanes' integration-user credentials, and the contract's critical alerts.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { call } from './call';
import { listen } from '@tauri-apps/api/event';
import { useCallback, useRef, useState } from 'react';
import type { AlertsView } from './bindings/AlertsView';
import type { CheckResult } from './bindings/CheckResult';
import type { CredentialSet } from './bindings/CredentialSet';
import type { CredentialStatus } from './bindings/CredentialStatus';
import type { Format } from './bindings/Format';
import type { ImportOutcome } from './bindings/ImportOutcome';
import { queryKeys } from './hooks';

export type { Alert } from './bindings/Alert';
export type { AlertsView } from './bindings/AlertsView';
export type { Bucket } from './bindings/Bucket';
export type { CredentialSet } from './bindings/CredentialSet';
export type { Format } from './bindings/Format';
export type { ImportOutcome } from './bindings/ImportOutcome';

/** What the backend emits while long work runs (`task-progress`); `done`/`total` in bytes for an import. */
export interface TaskProgress {
  task_id: string;
  done: number;
  total: number;
}

export const TASK_PROGRESS_EVENT = 'task-progress';

// Argument names are the Rust parameter names in camelCase, as Tauri expects them.
export const opsCommands = {
  /** Rejects with kind `invalid_input` (the problems by line) when any record is invalid; nothing is imported then. */
  eventsImport: (path: string, format: Format | null, taskId: string) =>
    call<ImportOutcome>('events_import', { path, format, taskId }),
  taskCancel: (taskId: string) => call<null>('task_cancel', { taskId }),
  credentialsStatus: (laneId: string) => call<CredentialStatus>('credentials_status', { laneId }),
  /** The secret goes to the keychain; the reply never carries it back. */
  credentialsSet: (laneId: string, secret: string) => call<CredentialSet>('credentials_set', { laneId, secret }),
  /** Rejects with kind `refused` when the secret acts as another user than the lane's. */
  credentialsCheck: (laneId: string) => call<CheckResult>('credentials_check', { laneId }),
  credentialsDelete: (laneId: string) => call<boolean>('credentials_delete', { laneId }),
  alerts: () => call<AlertsView>('alerts'),
};

export const opsQueryKeys = {
  // Under ['lanes', ...]: invalidating the lanes refreshes every lane's credential too.
  credential: (laneId: string) => ['lanes', laneId, 'credential'] as const,
  // Under ['events', ...]: the queue's Refresh and an import refresh the alerts with the events.
  alerts: ['events', 'alerts'] as const,
};

let taskCounter = 0;
function newTaskId(prefix: string): string {
  taskCounter += 1;
  return `${prefix}-${Date.now().toString(36)}-${taskCounter}`;
}

/**
 * Imports one event file. Progress arrives as `task-progress` events of this import's task id;
 * `cancel` asks the backend to stop (it then rejects with kind `cancelled`, nothing imported).
 * A successful import changes the counts, the queue's pages and the lanes.
 */
export function useEventsImport() {
  const client = useQueryClient();
  const [progress, setProgress] = useState<TaskProgress | null>(null);
  const taskRef = useRef<string | null>(null);
  const mutation = useMutation({
    mutationFn: async ({ path, format }: { path: string; format: Format | null }) => {
      const taskId = newTaskId('import');
      taskRef.current = taskId;
      setProgress(null);
      // Listen before starting, so no early report is missed.
      const unlisten = await listen<TaskProgress>(TASK_PROGRESS_EVENT, (e) => {
        if (e.payload.task_id === taskId) setProgress(e.payload);
      });
      try {
        return await opsCommands.eventsImport(path, format, taskId);
      } finally {
        unlisten();
        if (taskRef.current === taskId) taskRef.current = null;
      }
    },
    onSuccess: () =>
      Promise.all([
        client.invalidateQueries({ queryKey: queryKeys.eventCounts }),
        // Reset, not refetch: a refetch of the infinite query would reload every page scrolled so far.
        client.resetQueries({ queryKey: ['events', 'pages'] }),
        client.invalidateQueries({ queryKey: queryKeys.lanes }),
        client.invalidateQueries({ queryKey: opsQueryKeys.alerts }),
      ]),
  });
  const cancel = useCallback(() => {
    const taskId = taskRef.current;
    if (taskId !== null) void opsCommands.taskCancel(taskId).catch(() => undefined);
  }, []);
  const reset = mutation.reset;
  return {
    start: mutation.mutate,
    cancel,
    reset: useCallback(() => {
      setProgress(null);
      reset();
    }, [reset]),
    progress,
    isPending: mutation.isPending,
    outcome: mutation.data,
    error: mutation.error,
  };
}

/** The lane's credential as the keychain says now; `initial` (from `lanes_list`) shows until it answers. */
export function useCredentialStatus(laneId: string, initial?: CredentialStatus) {
  return useQuery({
    queryKey: opsQueryKeys.credential(laneId),
    queryFn: () => opsCommands.credentialsStatus(laneId),
    placeholderData: initial,
  });
}

function useCredentialChanged() {
  const client = useQueryClient();
  return () => client.invalidateQueries({ queryKey: queryKeys.lanes });
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
    async (secret: string): Promise<CredentialSet | null> => {
      setState({ pending: true, error: null, data: null });
      try {
        const data = await opsCommands.credentialsSet(laneId, secret);
        setState({ pending: false, error: null, data });
        return data;
      } catch (error) {
        setState({ pending: false, error, data: null });
        return null;
      } finally {
        // Even a refused secret may have replaced nothing or something: ask again.
        void client.invalidateQueries({ queryKey: queryKeys.lanes });
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
    mutationFn: () => opsCommands.credentialsCheck(laneId),
    // A failed check is recorded as the lane's last check too.
    onSettled: changed,
  });
}

export function useCredentialDelete(laneId: string) {
  const changed = useCredentialChanged();
  return useMutation({
    mutationKey: ['credential-delete', laneId],
    mutationFn: () => opsCommands.credentialsDelete(laneId),
    onSettled: changed,
  });
}

export function useAlerts() {
  return useQuery({ queryKey: opsQueryKeys.alerts, queryFn: opsCommands.alerts });
}
