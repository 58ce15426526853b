import { createContext, useContext, type ReactNode } from 'react';
import type { AuditFilter } from '../../ipc';

/** Opens the audit screen with this filter; provided by the app shell. */
type OpenAudit = (filter: AuditFilter) => void;

const OpenAuditContext = createContext<OpenAudit | null>(null);

export function OpenAuditProvider({ open, children }: { open: OpenAudit; children: ReactNode }) {
  return <OpenAuditContext.Provider value={open}>{children}</OpenAuditContext.Provider>;
}

/** `openAuditForEvent(eventId)`: the audit trail of one event; `null` outside the app shell. */
export function useOpenAuditForEvent(): ((eventId: number) => void) | null {
  const open = useContext(OpenAuditContext);
  return open === null ? null : (eventId: number) => open({ event_id: eventId });
}

/** A button to the event's audit trail; renders nothing where the shell gives no way there. */
export function AuditTrailLink({ eventId, className = 'btn' }: { eventId: number; className?: string }) {
  const openAuditForEvent = useOpenAuditForEvent();
  if (openAuditForEvent === null) return null;
  return (
    <button type="button" className={className} onClick={() => openAuditForEvent(eventId)}>
      Audit trail
    </button>
  );
}
