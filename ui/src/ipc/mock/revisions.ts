// Dev and test only: answers for the commands of ../revisions.ts, ../queueExport.ts and ../triage.ts (the
// incident workflow's writes outside a replay).
import type { EditRequest } from '../bindings/EditRequest';
import type { QueueExportOutcome } from '../bindings/QueueExportOutcome';
import type { QueueExportRequest } from '../bindings/QueueExportRequest';
import type { RevisionView } from '../bindings/RevisionView';
import type { RevisionsView } from '../bindings/RevisionsView';
import type { TriageChange } from '../bindings/TriageChange';
import type { TriageOutcome } from '../bindings/TriageOutcome';
import { missing, type Answer, type Answers } from './answer';

export interface RevisionsMockBackend {
  /** Answers `event_revisions`; the default is an event never edited. */
  revisions?: (eventId: number) => Answer<RevisionsView>;
  edit?: (eventId: number, request: EditRequest) => Answer<RevisionView>;
  approveEdit?: (eventId: number, revision: number, approver: string, reason: string) => Answer<RevisionView>;
  /** Answers `queue_export_csv` (the queue's Data Loader export). */
  queueExport?: (request: QueueExportRequest) => Answer<QueueExportOutcome>;
  /** Answers `events_triage`; the default changes every event named. */
  triage?: (eventIds: number[], change: TriageChange) => Answer<TriageOutcome>;
}

export const revisionAnswers: Answers<RevisionsMockBackend> = {
  event_revisions: (b, a) =>
    b.revisions?.(a.eventId as number) ?? {
      event_id: a.eventId as number,
      status: 'failed',
      original: {},
      revisions: [],
      waiting_for: null,
      protected_fields: [],
    },
  event_edit: (b, a, cmd) => b.edit?.(a.eventId as number, a.request as EditRequest) ?? missing(cmd),
  events_triage: (b, a) =>
    b.triage?.(a.eventIds as number[], a.change as TriageChange) ?? { changed: a.eventIds as number[], unchanged: [] },
  queue_export_csv: (b, a, cmd) => b.queueExport?.(a.request as QueueExportRequest) ?? missing(cmd),
  event_edit_approve: (b, a, cmd) =>
    b.approveEdit?.(a.eventId as number, a.revision as number, a.approver as string, a.reason as string) ?? missing(cmd),
};
