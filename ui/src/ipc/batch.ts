// Batch replay: the batch preflight over a selection of a lane's events, its execution (long,
// with progress and cancel, resumable), and the history of batches.
import { skipToken, useInfiniteQuery, useMutation, useMutationState, useQuery, useQueryClient, type MutationState } from '@tanstack/react-query';
import { commands } from './bindings/commands';
import { useCallback } from 'react';
import type { BatchDetail } from './bindings/BatchDetail';
import type { BatchPage } from './bindings/BatchPage';
import type { BatchPlan } from './bindings/BatchPlan';
import type { BatchRunRequest } from './bindings/BatchRunRequest';
import type { BatchSummary } from './bindings/BatchSummary';
import type { Selection } from './bindings/Selection';
import { auditKeys } from './audit';
import { eventKeys, refreshQueue } from './events';
import { newTaskId, onTaskProgress, type TaskProgress } from './tasks';

export type { BatchAggregate } from './bindings/BatchAggregate';
export type { BatchEventDetail } from './bindings/BatchEventDetail';
export type { BatchEventPlan } from './bindings/BatchEventPlan';
export type { BatchListItem } from './bindings/BatchListItem';
export type { SkippedEvent } from './bindings/SkippedEvent';
export type { BatchDetail, BatchPage, BatchPlan, BatchRunRequest, BatchSummary, Selection };

/** Batches per `batch_list` call. */
export const BATCH_PAGE_SIZE = 50;

export const batchKeys = {
  all: ['batches'] as const,
  pages: ['batches', 'pages'] as const,
  one: (batchId: number) => ['batches', 'one', batchId] as const,
  /** The progress of this window's run of a batch: kept in the cache, so it outlives the screen. */
  progress: (batchId: number) => ['batches', 'progress', batchId] as const,
  run: (batchId: number) => ['batch-run', batchId] as const,
};

/** The batch preflight. Each call stores a new batch (and its audit entries). */
export function useBatchPreflight() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ selection, plannedBy }: { selection: Selection; plannedBy: string | null }) =>
      commands.batchPreflight(selection, plannedBy),
    onSuccess: () => client.invalidateQueries({ queryKey: batchKeys.pages }),
  });
}

export function useBatch(batchId: number) {
  return useQuery({ queryKey: batchKeys.one(batchId), queryFn: () => commands.batchShow(batchId) });
}

/** The history, newest first, page by page (keyset on the batch id). */
export function useBatchPages(pageSize: number = BATCH_PAGE_SIZE) {
  return useInfiniteQuery({
    queryKey: batchKeys.pages,
    queryFn: ({ pageParam }) => commands.batchList(pageParam, pageSize),
    initialPageParam: null as number | null,
    getNextPageParam: (last) => last.next_before,
  });
}

/** Progress of this window's run of a batch, and whether a cancel was asked for. */
export interface BatchProgress extends TaskProgress {
  cancelRequested: boolean;
}

/**
 * Runs or resumes a batch. The run, its progress and its summary live in the query client, not
 * in the screen: leaving the screen (to look at an event, say) and coming back finds the run as
 * it is. After the run, everything it may have changed is fetched again.
 */
export function useBatchRun(batchId: number) {
  const client = useQueryClient();
  const progressKey = batchKeys.progress(batchId);
  const { mutate } = useMutation({
    mutationKey: batchKeys.run(batchId),
    mutationFn: async (request: BatchRunRequest) => {
      const taskId = newTaskId('batch');
      client.setQueryData<BatchProgress>(progressKey, { task_id: taskId, done: 0, total: 0, cancelRequested: false });
      const stop = await onTaskProgress(taskId, (p) =>
        client.setQueryData<BatchProgress>(progressKey, (old) => ({ cancelRequested: false, ...old, ...p })),
      );
      try {
        return await commands.batchExecute(request, taskId);
      } finally {
        stop();
      }
    },
    onSettled: () =>
      Promise.all([
        client.invalidateQueries({ queryKey: batchKeys.all }),
        refreshQueue(client),
        client.invalidateQueries({ queryKey: eventKeys.allOne }),
        client.invalidateQueries({ queryKey: eventKeys.allPreflights }),
        client.invalidateQueries({ queryKey: auditKeys.all }),
      ]),
  });
  const runs = useMutationState({
    filters: { mutationKey: batchKeys.run(batchId) },
    select: (m) => m.state as MutationState<BatchSummary, unknown, BatchRunRequest>,
  });
  const progress = useQuery<BatchProgress>({ queryKey: progressKey, queryFn: skipToken }).data ?? null;
  const cancel = useCallback(() => {
    const p = client.getQueryData<BatchProgress>(progressKey);
    if (!p) return;
    client.setQueryData<BatchProgress>(progressKey, { ...p, cancelRequested: true });
    void commands.taskCancel(p.task_id).catch(() => undefined);
  }, [client, progressKey]);
  const last = runs.at(-1);
  return {
    run: mutate,
    cancel,
    progress,
    isPending: last?.status === 'pending',
    summary: last?.status === 'success' ? (last.data ?? null) : null,
    error: last?.status === 'error' ? last.error : null,
  };
}
