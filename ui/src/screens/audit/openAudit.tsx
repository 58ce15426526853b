import { createContext, useContext, type ReactNode } from 'react';
import type { AuditFilter } from '../../ipc';

/** Opens the audit screen with this filter; provided by the app shell. */
type OpenAudit = (filter: AuditFilter) => void;

const OpenAuditContext = createContext<OpenAudit | null>(null);

export function OpenAuditProvider({ open, children }: { open: OpenAudit; children: ReactNode }) {
  return <OpenAuditContext.Provider value={open}>{children}</OpenAuditContext.Provider>;
}

/** A button to the audit screen with this filter; renders nothing where the shell gives no way there. */
function AuditLink({ filter, label, className }: { filter: AuditFilter; label: string; className: string }) {
  const open = useContext(OpenAuditContext);
  if (open === null) return null;
  return (
    <button type="button" className={className} onClick={() => open(filter)}>
      {label}
    </button>
  );
}

/** A button to the event's audit trail. */
export function AuditTrailLink({ eventId, className = 'btn' }: { eventId: number; className?: string }) {
  return <AuditLink filter={{ event_id: eventId }} label="Audit trail" className={className} />;
}

/** A button to the audit entries of a batch: its preflights, every event's attempt, its runs. */
export function AuditBatchLink({ batchId, className = 'btn' }: { batchId: number; className?: string }) {
  return <AuditLink filter={{ batch_id: batchId }} label="Audit entries of this batch" className={className} />;
}
