// Importing a file of failed and blocked events: long, with progress and cancel (tasks.ts).
import { useQueryClient } from '@tanstack/react-query';
import { commands } from './bindings/commands';
import { alertKeys } from './alerts';
import { refreshQueue } from './events';
import { laneKeys } from './lanes';
import { useLongTask } from './tasks';
import type { Format } from './bindings/Format';
import type { ImportOutcome } from './bindings/ImportOutcome';

export type { Format, ImportOutcome };

/**
 * Imports one event file. Progress arrives as `task-progress` events of this import's task id;
 * `cancel` asks the backend to stop (it then rejects with kind `cancelled`, nothing imported).
 * A successful import changes the counts, the queue's pages, the lanes and the alerts.
 */
export function useEventsImport() {
  const client = useQueryClient();
  const task = useLongTask(
    'import',
    ({ path, format }: { path: string; format: Format | null }, taskId) => commands.eventsImport(path, format, taskId),
    {
      onSuccess: () =>
        Promise.all([
          refreshQueue(client),
          client.invalidateQueries({ queryKey: laneKeys.all }),
          client.invalidateQueries({ queryKey: alertKeys.all }),
        ]),
    },
  );
  return {
    start: task.mutate,
    cancel: task.cancel,
    reset: task.reset,
    progress: task.progress,
    isPending: task.isPending,
    outcome: task.data,
    error: task.error,
  };
}
