// The audit log's commands and hooks: list and show for reviewers, verify and export as long
// tasks that report progress (`task-progress` events) and can be cancelled (`task_cancel`).
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { homeDir } from '@tauri-apps/api/path';
import { commands } from './bindings/commands';
import type { AuditEntryDetail } from './bindings/AuditEntryDetail';
import type { AuditExportOutcome } from './bindings/AuditExportOutcome';
import type { AuditExportRequest } from './bindings/AuditExportRequest';
import type { AuditFilter } from './bindings/AuditFilter';
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
  return useQuery({ queryKey: auditKeys.losses, queryFn: () => commands.auditLosses(), refetchInterval: 30_000 });
}

/** Acknowledges a loss, then reloads the losses and the log (the acknowledgment is an entry). */
export function useAcknowledgeLoss() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (a: { seq: number; reviewer: string; reason: string }) => commands.auditAcknowledge(a.seq, a.reviewer, a.reason),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: auditKeys.all });
    },
  });
}

/** The audit log, page by page (keyset): each page continues after the previous page's `next_after`. */
export function useAuditPages(filter: AuditFilter, newestFirst: boolean, pageSize: number = AUDIT_PAGE_SIZE) {
  return useInfiniteQuery({
    queryKey: auditKeys.pages(filter, newestFirst),
    queryFn: ({ pageParam }) => commands.auditList({ filter, after: pageParam, limit: pageSize, newest_first: newestFirst }),
    initialPageParam: null as number | null,
    getNextPageParam: (last) => last.next_after,
  });
}

export function useAuditEntry(seq: number | null) {
  return useQuery({
    queryKey: auditKeys.entry(seq ?? -1),
    queryFn: () => commands.auditShow(seq ?? -1),
    enabled: seq !== null,
  });
}

/** `audit verify` over the whole log, with progress. */
export function useAuditVerify() {
  return useLongTask('audit-verify', (_: void, taskId) => commands.auditVerify(taskId));
}

/** `audit export`, with progress and cancel. */
export function useAuditExport() {
  return useLongTask('audit-export', (request: AuditExportRequest, taskId) => commands.auditExport(request, taskId));
}

/** The user's home folder, to suggest an absolute export path; fails quietly (`isError`). */
export function useHomeDir() {
  return useQuery({ queryKey: ['home-dir'], queryFn: () => homeDir(), staleTime: Infinity, retry: false });
}
