// The audit log's commands and hooks: list and show for reviewers, verify and export as long
// tasks that report progress (`task-progress` events) and can be cancelled (`task_cancel`).
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { homeDir } from '@tauri-apps/api/path';
import { call } from './call';
import type { AuditEntryDetail } from './bindings/AuditEntryDetail';
import type { AuditExportOutcome } from './bindings/AuditExportOutcome';
import type { AuditExportRequest } from './bindings/AuditExportRequest';
import type { AuditFilter } from './bindings/AuditFilter';
import type { AuditLoss } from './bindings/AuditLoss';
import type { AuditPage } from './bindings/AuditPage';
import type { AuditQuery } from './bindings/AuditQuery';
import type { AuditVerifyReport } from './bindings/AuditVerifyReport';
import { useLongTask } from './tasks';

export type { AuditCheckpoint } from './bindings/AuditCheckpoint';
export type { AuditCheckpointCheck } from './bindings/AuditCheckpointCheck';
export type { AuditCheckpointState } from './bindings/AuditCheckpointState';
export type { AuditEntry } from './bindings/AuditEntry';
export type { AuditExportFormat } from './bindings/AuditExportFormat';
export type { AuditExportManifest } from './bindings/AuditExportManifest';
export type { AuditFieldChange } from './bindings/AuditFieldChange';
export type { AuditProblem } from './bindings/AuditProblem';
export type { AuditProblemKind } from './bindings/AuditProblemKind';
export type { AuditLoss } from './bindings/AuditLoss';
export type { AuditLossAck } from './bindings/AuditLossAck';
export type { AuditMacState } from './bindings/AuditMacState';
export type { AuditEntryDetail, AuditExportOutcome, AuditExportRequest, AuditFilter, AuditPage, AuditQuery, AuditVerifyReport };

// Argument names are the Rust parameter names in camelCase, as Tauri expects them.
export const auditCommands = {
  auditList: (query: AuditQuery) => call<AuditPage>('audit_list', { query }),
  auditShow: (seq: number) => call<AuditEntryDetail>('audit_show', { seq }),
  /** Long: reports `task-progress` under `taskId`. */
  auditVerify: (taskId: string) => call<AuditVerifyReport>('audit_verify', { taskId }),
  /** Long and cancellable: a cancelled export rejects with kind `cancelled` and leaves no file. */
  auditExport: (request: AuditExportRequest, taskId: string) => call<AuditExportOutcome>('audit_export', { request, taskId }),
  /** The checkpoint losses the log records, acknowledged or not: the standing alert. */
  auditLosses: () => call<AuditLoss[]>('audit_losses', {}),
  /** A reviewer's acknowledgment of one loss, itself an audit entry. */
  auditAcknowledge: (seq: number, reviewer: string, reason: string) => call<AuditLoss>('audit_acknowledge', { seq, reviewer, reason }),
};

/** Rows per `audit_list` call. */
export const AUDIT_PAGE_SIZE = 200;

export const auditKeys = {
  all: ['audit'] as const,
  pages: (filter: AuditFilter, newestFirst: boolean) => ['audit', 'pages', filter, newestFirst] as const,
  entry: (seq: number) => ['audit', 'entry', seq] as const,
  losses: ['audit', 'losses'] as const,
};

/** The recorded checkpoint losses (cheap: an index read), kept fresh while the screen is open. */
export function useAuditLosses() {
  return useQuery({ queryKey: auditKeys.losses, queryFn: () => auditCommands.auditLosses(), refetchInterval: 30_000 });
}

/** Acknowledges a loss, then reloads the losses and the log (the acknowledgment is an entry). */
export function useAcknowledgeLoss() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (a: { seq: number; reviewer: string; reason: string }) => auditCommands.auditAcknowledge(a.seq, a.reviewer, a.reason),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: auditKeys.all });
    },
  });
}

/** The audit log, page by page (keyset): each page continues after the previous page's `next_after`. */
export function useAuditPages(filter: AuditFilter, newestFirst: boolean, pageSize: number = AUDIT_PAGE_SIZE) {
  return useInfiniteQuery({
    queryKey: auditKeys.pages(filter, newestFirst),
    queryFn: ({ pageParam }) => auditCommands.auditList({ filter, after: pageParam, limit: pageSize, newest_first: newestFirst }),
    initialPageParam: null as number | null,
    getNextPageParam: (last) => last.next_after,
  });
}

export function useAuditEntry(seq: number | null) {
  return useQuery({
    queryKey: auditKeys.entry(seq ?? -1),
    queryFn: () => auditCommands.auditShow(seq ?? -1),
    enabled: seq !== null,
  });
}

/** `audit verify` over the whole log, with progress. */
export function useAuditVerify() {
  return useLongTask('audit-verify', (_: void, taskId) => auditCommands.auditVerify(taskId));
}

/** `audit export`, with progress and cancel. */
export function useAuditExport() {
  return useLongTask('audit-export', (request: AuditExportRequest, taskId) => auditCommands.auditExport(request, taskId));
}

/** The user's home folder, to suggest an absolute export path; fails quietly (`isError`). */
export function useHomeDir() {
  return useQuery({ queryKey: ['home-dir'], queryFn: () => homeDir(), staleTime: Infinity, retry: false });
}
