// Long work the backend reports on (`task-progress` events under a task id) and can cancel
// (`task_cancel`): shared by the audit's verify and export and by batch replay.
import { listen } from '@tauri-apps/api/event';
import { TASK_PROGRESS_EVENT, type TaskProgress } from './ops';

let taskCounter = 0;
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
