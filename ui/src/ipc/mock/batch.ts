// Dev and test only: answers for the commands of ../batch.ts (progress events: ./tasks.ts).
import type { BatchDetail } from '../bindings/BatchDetail';
import type { BatchPage } from '../bindings/BatchPage';
import type { BatchPlan } from '../bindings/BatchPlan';
import type { BatchRunRequest } from '../bindings/BatchRunRequest';
import type { BatchSummary } from '../bindings/BatchSummary';
import type { Selection } from '../bindings/Selection';
import { missing, reject, type Answer, type Answers } from './answer';

export interface BatchMockBackend {
  batchPreflight?: (selection: Selection, plannedBy: string | null) => Answer<BatchPlan>;
  batchExecute?: (request: BatchRunRequest, taskId: string) => Answer<BatchSummary>;
  /** Answers `batch_list`; the default is no batch. */
  batchList?: (before: number | null, limit: number) => Answer<BatchPage>;
  batchShow?: (batchId: number) => Answer<BatchDetail>;
}

export const batchAnswers: Answers<BatchMockBackend> = {
  batch_preflight: (b, a, cmd) => b.batchPreflight?.(a.selection as Selection, (a.plannedBy ?? null) as string | null) ?? missing(cmd),
  batch_execute: (b, a, cmd) => b.batchExecute?.(a.request as BatchRunRequest, a.taskId as string) ?? missing(cmd),
  batch_list: (b, a) => b.batchList?.((a.before ?? null) as number | null, a.limit as number) ?? { batches: [], next_before: null },
  batch_show: (b, a) => b.batchShow?.(a.batchId as number) ?? reject('not_found', `no batch with id ${String(a.batchId)}`),
};
