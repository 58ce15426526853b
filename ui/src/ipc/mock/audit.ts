// Dev and test only: answers for the commands of ../audit.ts (progress events: ./tasks.ts).
import type { AuditEntryDetail } from '../bindings/AuditEntryDetail';
import type { AuditExportOutcome } from '../bindings/AuditExportOutcome';
import type { AuditExportRequest } from '../bindings/AuditExportRequest';
import type { AuditLoss } from '../bindings/AuditLoss';
import type { AuditPage } from '../bindings/AuditPage';
import type { AuditQuery } from '../bindings/AuditQuery';
import type { AuditVerifyReport } from '../bindings/AuditVerifyReport';
import { missing, reject, type Answer, type Answers } from './answer';

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

export const auditAnswers: Answers<AuditMockBackend> = {
  audit_list: (b, a) => b.auditList?.(a.query as AuditQuery) ?? { entries: [], next_after: null },
  audit_show: (b, a) => b.auditShow?.(a.seq as number) ?? reject('not_found', `no audit entry ${String(a.seq)}`),
  audit_verify: (b, a, cmd) => b.auditVerify?.(a.taskId as string) ?? missing(cmd),
  audit_export: (b, a, cmd) => b.auditExport?.(a.request as AuditExportRequest, a.taskId as string) ?? missing(cmd),
  audit_losses: (b) => b.auditLosses?.() ?? [],
  audit_acknowledge: (b, a, cmd) => b.auditAcknowledge?.(a.seq as number, a.reviewer as string, a.reason as string) ?? missing(cmd),
  'plugin:path|resolve_directory': (b) => b.homeDir?.() ?? '/home/operator',
};
