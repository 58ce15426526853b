// Dev and test only, like mock.ts: answers for the commands of batch.ts. Progress events and
// `task_cancel` are answered by opsMock.ts (emitTaskProgress), shared by every long task.
import type { BatchDetail } from './bindings/BatchDetail';
import type { BatchPage } from './bindings/BatchPage';
import type { BatchPlan } from './bindings/BatchPlan';
import type { BatchRunRequest } from './bindings/BatchRunRequest';
import type { BatchSummary } from './bindings/BatchSummary';
import type { Selection } from './bindings/Selection';

type Answer<T> = T | Promise<T>;

export interface BatchMockBackend {
  batchPreflight?: (selection: Selection, plannedBy: string | null) => Answer<BatchPlan>;
  batchExecute?: (request: BatchRunRequest, taskId: string) => Answer<BatchSummary>;
  /** Answers `batch_list`; the default is no batch. */
  batchList?: (before: number | null, limit: number) => Answer<BatchPage>;
  batchShow?: (batchId: number) => Answer<BatchDetail>;
}

const missing = (cmd: string) => Promise.reject({ kind: 'internal', message: `the mock has no ${cmd} answer` });

/** The answer to one of batch.ts's commands, or `undefined` when `cmd` is not one of them. */
export function answerBatch(b: BatchMockBackend, cmd: string, args: Record<string, unknown>): unknown {
  switch (cmd) {
    case 'batch_preflight':
      return b.batchPreflight?.(args.selection as Selection, (args.plannedBy ?? null) as string | null) ?? missing(cmd);
    case 'batch_execute':
      return b.batchExecute?.(args.request as BatchRunRequest, args.taskId as string) ?? missing(cmd);
    case 'batch_list':
      return b.batchList?.((args.before ?? null) as number | null, args.limit as number) ?? { batches: [], next_before: null };
    case 'batch_show':
      return b.batchShow?.(args.batchId as number) ?? Promise.reject({ kind: 'not_found', message: `no batch with id ${String(args.batchId)}` });
    default:
      return undefined;
  }
}
