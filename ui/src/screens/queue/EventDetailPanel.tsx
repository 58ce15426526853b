import { useEffect, useRef } from 'react';
import { ErrorBanner } from '../../components/ErrorBanner';
import { EventFields } from '../../components/EventFields';
import { StatusBadge } from '../../components/StatusBadge';
import { useEvent } from '../../ipc';

/** Everything stored about one event, next to the queue; the full view holds the replay. */
export function EventDetailPanel({ id, onClose, onOpen }: { id: number; onClose: () => void; onOpen: (id: number) => void }) {
  const event = useEvent(id);
  const ref = useRef<HTMLElement>(null);

  useEffect(() => {
    const onKey = (e: globalThis.KeyboardEvent) => {
      // The queue stays mounted (hidden) under the full event view; Escape there is not ours.
      if (e.key === 'Escape' && !e.defaultPrevented && !ref.current?.closest('[hidden]')) onClose();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);

  return (
    <aside className="detail" aria-label={`Event ${id}`} ref={ref}>
      <header className="detail-header">
        <div className="detail-title">
          <h2>Event {id}</h2>
          {event.data && <StatusBadge status={event.data.status} />}
        </div>
        <div className="detail-actions">
          <button type="button" className="btn btn-primary btn-small" onClick={() => onOpen(id)}>
            Preflight and replay
          </button>
          <button type="button" className="btn btn-icon" aria-label="Close event details" title="Close (Esc)" onClick={onClose}>
            <svg width="14" height="14" viewBox="0 0 14 14" aria-hidden="true">
              <path d="M3 3l8 8M11 3l-8 8" stroke="currentColor" strokeWidth="1.6" strokeLinecap="round" />
            </svg>
          </button>
        </div>
      </header>
      <div className="detail-body">
        {event.isPending && <p className="muted">Loading event…</p>}
        {event.isError && <ErrorBanner error={event.error} onRetry={() => void event.refetch()} />}
        {event.data && <EventFields event={event.data} />}
      </div>
    </aside>
  );
}
