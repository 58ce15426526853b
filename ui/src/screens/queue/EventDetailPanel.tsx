import { DetailPanel } from '../../components/DetailPanel';
import { EventFields } from '../../components/EventFields';
import { StatusBadge } from '../../components/StatusBadge';
import { useEvent } from '../../ipc';

/** Everything stored about one event, next to the queue; the full view holds the replay. */
export function EventDetailPanel({ id, onClose, onOpen }: { id: number; onClose: () => void; onOpen: (id: number) => void }) {
  const event = useEvent(id);
  return (
    <DetailPanel
      label={`Event ${id}`}
      title={`Event ${id}`}
      badges={event.data && <StatusBadge status={event.data.status} />}
      actions={
        <button type="button" className="btn btn-primary btn-small" onClick={() => onOpen(id)}>
          Preflight and replay
        </button>
      }
      closeLabel="Close event details"
      onClose={onClose}
      query={event}
      loadingText="Loading event…"
    >
      {event.data && <EventFields event={event.data} />}
    </DetailPanel>
  );
}
