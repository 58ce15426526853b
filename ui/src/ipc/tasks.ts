// Long work the backend reports on (`task-progress` events under a task id) and can cancel
// (`task_cancel`): shared by the import, the audit's verify and export, and batch replay.
import { useMutation, type UseMutationOptions } from '@tanstack/react-query';
import { listen } from '@tauri-apps/api/event';
import { useCallback, useRef, useState } from 'react';
import { commands } from './bindings/commands';

/** What the backend emits while long work runs (`task-progress`); `done`/`total` in bytes for an import. */
export interface TaskProgress {
  task_id: string;
  done: number;
  total: number;
}

export const TASK_PROGRESS_EVENT = 'task-progress';

let taskCounter = 0;
/** A task id unique in this window: the kind, a counter and a random part. */
export function newTaskId(kind: string): string {
  taskCounter += 1;
  const random = typeof crypto !== 'undefined' && 'randomUUID' in crypto ? crypto.randomUUID() : `${Date.now()}-${Math.random()}`;
  return `${kind}-${taskCounter}-${random}`;
}

/**
 * Calls `onProgress` for this task's `task-progress` events until the returned function is
 * called. Progress is a nicety: if listening fails, the task still runs, without a bar.
 */
export async function onTaskProgress(taskId: string, onProgress: (p: TaskProgress) => void): Promise<() => void> {
  try {
    const unlisten = await listen<TaskProgress>(TASK_PROGRESS_EVENT, (e) => {
      if (e.payload.task_id === taskId) onProgress(e.payload);
    });
    return () => {
      try {
        unlisten();
      } catch {
        // The window (or, in tests, the mock) is already gone.
      }
    };
  } catch {
    return () => undefined;
  }
}

/**
 * A long task: a mutation plus its progress and a cancel. The listener is in place before the
 * command is sent, so no progress event is missed.
 */
export function useLongTask<A, R>(
  kind: string,
  run: (args: A, taskId: string) => Promise<R>,
  options: Pick<UseMutationOptions<R, Error, A>, 'onSuccess'> = {},
) {
  const [progress, setProgress] = useState<TaskProgress | null>(null);
  const [cancelRequested, setCancelRequested] = useState(false);
  const running = useRef<string | null>(null);
  const mutation = useMutation({
    ...options,
    mutationKey: ['task', kind],
    mutationFn: async (args: A) => {
      const taskId = newTaskId(kind);
      running.current = taskId;
      setProgress(null);
      setCancelRequested(false);
      const stop = await onTaskProgress(taskId, setProgress);
      try {
        return await run(args, taskId);
      } finally {
        stop();
        if (running.current === taskId) running.current = null;
      }
    },
  });
  const cancelMutation = useMutation({ mutationFn: (taskId: string) => commands.taskCancel(taskId) });
  const { mutate: sendCancel } = cancelMutation;
  const cancel = useCallback(() => {
    const taskId = running.current;
    if (taskId === null) return;
    setCancelRequested(true);
    sendCancel(taskId);
  }, [sendCancel]);
  const { reset: resetMutation } = mutation;
  const reset = useCallback(() => {
    setProgress(null);
    resetMutation();
  }, [resetMutation]);
  return { ...mutation, reset, progress, cancel, cancelRequested, cancelError: cancelMutation.error };
}
