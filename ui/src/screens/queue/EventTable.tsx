// The queue's events as a VirtualTable: their columns and cells.
import { StatusBadge } from '../../components/StatusBadge';
import { headCells, VirtualTable, type TableSpec } from '../../components/VirtualTable';
import { useEventPages, type EventFilter, type EventPage, type EventSummary } from '../../ipc';
import { formatTime } from '../../lib/format';

const SPEC: TableSpec<EventPage, EventSummary> = {
  label: 'Events',
  className: 'events',
  columns: 7,
  rowsOf: (page) => page.events,
  rowId: (ev) => ev.id,
  cells: (ev) => <EventCells ev={ev} />,
  texts: { noun: 'events', error: 'Events', loading: 'Loading events…', end: 'end of list' },
};

const HEAD = headCells(['ID', 'Lane', 'Event key', 'External ID', 'Status', 'Failure', 'Occurred (UTC)']);

/** The queue's events, paged by the backend (keyset) and virtualised; arrows move, Enter opens. */
export function EventTable({
  filter,
  expectedTotal,
  selectedId,
  onOpen,
  onClearFilters,
}: {
  filter: EventFilter;
  /** From the counts: how many events the filter matches, for the "loaded of" note. */
  expectedTotal: number | undefined;
  selectedId: number | null;
  onOpen: (id: number) => void;
  onClearFilters: (() => void) | undefined;
}) {
  const query = useEventPages(filter);
  const filtered = filter.laneId !== null || filter.status !== null;
  return (
    <VirtualTable
      spec={SPEC}
      query={query}
      selectedId={selectedId}
      onOpen={onOpen}
      head={HEAD}
      expectedTotal={expectedTotal}
      emptyText={filtered ? 'No events match these filters.' : 'No events.'}
      onClearFilters={onClearFilters}
    />
  );
}

function EventCells({ ev }: { ev: EventSummary }) {
  const failure = [ev.failure_code, ev.failure_message].filter(Boolean).join(': ');
  return (
    <>
      <td className="num muted">{ev.id}</td>
      <td className="ellipsis" title={ev.lane_id}>
        {ev.lane_id}
      </td>
      <td className="mono ellipsis" title={ev.event_key}>
        {ev.event_key}
      </td>
      <td className="mono ellipsis" title={ev.external_id ?? 'No external ID: a replay cannot find its target'}>
        {ev.external_id_missing ? <span className="badge tone-danger badge-flag">missing</span> : ev.external_id}
      </td>
      <td>
        <StatusBadge status={ev.status} />
      </td>
      <td className="ellipsis" title={failure || undefined}>
        {ev.failure_code ? (
          <>
            <span className="failure-code">{ev.failure_code}</span>
            {ev.failure_message && <span className="failure-message"> {ev.failure_message}</span>}
          </>
        ) : (
          <span className="muted">—</span>
        )}
      </td>
      <td className="num" title={ev.occurred_at}>
        {formatTime(ev.occurred_at)}
      </td>
    </>
  );
}
