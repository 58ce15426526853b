// Dev and test only: `task_cancel`, and a way to send the `task-progress` events the backend
// emits during long work (import, audit verify and export, batch run).
import { emit } from '@tauri-apps/api/event';
import { TASK_PROGRESS_EVENT, type TaskProgress } from '../tasks';
import type { Answer, Answers } from './answer';

export interface TasksMockBackend {
  /** Answers `task_cancel`; the default accepts. */
  taskCancel?: (taskId: string) => Answer<null>;
}

export const taskAnswers: Answers<TasksMockBackend> = {
  task_cancel: (b, a) => b.taskCancel?.(a.taskId as string) ?? null,
};

/** Sends a `task-progress` event as the backend does (needs the mock installed by mockBackend). */
export function emitTaskProgress(progress: TaskProgress): Promise<void> {
  return emit(TASK_PROGRESS_EVENT, progress);
}
