// The queue's remaining failures as a CSV for Salesforce Data Loader.
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { commands } from './bindings/commands';
import type { QueueExportOutcome } from './bindings/QueueExportOutcome';
import type { QueueExportRequest } from './bindings/QueueExportRequest';

export type { QueueExportOutcome, QueueExportRequest };

export function useQueueExport() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (request: QueueExportRequest) => commands.queueExportCsv(request),
    // The export is audited.
    onSuccess: () => client.invalidateQueries({ queryKey: ['audit'] }),
  });
}
