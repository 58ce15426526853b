// Dev and test only, like mock.ts: answers for the audit commands of audit.ts. Progress events
// and `task_cancel` are answered by opsMock.ts (emitTaskProgress), shared by every long task.
import type { AuditEntryDetail } from './bindings/AuditEntryDetail';
import type { AuditExportOutcome } from './bindings/AuditExportOutcome';
import type { AuditExportRequest } from './bindings/AuditExportRequest';
import type { AuditLoss } from './bindings/AuditLoss';
import type { AuditPage } from './bindings/AuditPage';
import type { AuditQuery } from './bindings/AuditQuery';
import type { AuditVerifyReport } from './bindings/AuditVerifyReport';

type Answer<T> = T | Promise<T>;

export interface AuditMockBackend {
  /** Answers `audit_list`; the default is one empty last page. */
  auditList?: (query: AuditQuery) => Answer<AuditPage>;
  auditShow?: (seq: number) => Answer<AuditEntryDetail>;
  auditVerify?: (taskId: string) => Answer<AuditVerifyReport>;
  auditExport?: (request: AuditExportRequest, taskId: string) => Answer<AuditExportOutcome>;
  /** Answers `audit_losses`; the default is none. */
  auditLosses?: () => Answer<AuditLoss[]>;
  auditAcknowledge?: (seq: number, reviewer: string, reason: string) => Answer<AuditLoss>;
  /** Answers `homeDir()` (`plugin:path|resolve_directory`); the default is `/home/operator`. */
  homeDir?: () => Answer<string>;
}

const missing = (cmd: string) => Promise.reject({ kind: 'internal', message: `the mock has no ${cmd} answer` });

/** The answer to one of audit.ts's commands, or `undefined` when `cmd` is not one of them. */
export function answerAudit(b: AuditMockBackend, cmd: string, args: Record<string, unknown>): unknown {
  switch (cmd) {
    case 'audit_list':
      return b.auditList?.(args.query as AuditQuery) ?? { entries: [], next_after: null };
    case 'audit_show':
      return b.auditShow?.(args.seq as number) ?? Promise.reject({ kind: 'not_found', message: `no audit entry ${String(args.seq)}` });
    case 'audit_verify':
      return b.auditVerify?.(args.taskId as string) ?? missing(cmd);
    case 'audit_export':
      return b.auditExport?.(args.request as AuditExportRequest, args.taskId as string) ?? missing(cmd);
    case 'audit_losses':
      return b.auditLosses?.() ?? [];
    case 'audit_acknowledge':
      return b.auditAcknowledge?.(args.seq as number, args.reviewer as string, args.reason as string) ?? missing(cmd);
    case 'plugin:path|resolve_directory':
      return b.homeDir?.() ?? '/home/operator';
    default:
      return undefined;
  }
}
