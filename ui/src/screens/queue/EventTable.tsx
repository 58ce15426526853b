// The queue's events as a VirtualTable: their columns and cells, and a checkbox per row.
import { StatusBadge } from '../../components/StatusBadge';
import { headCells, VirtualTable, type TableSpec } from '../../components/VirtualTable';
import { useEventPages, type EventFilter, type EventPage, type EventSummary } from '../../ipc';
import { formatCount, formatTime } from '../../lib/format';

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

/**
 * The queue's events, paged by the backend (keyset) and virtualised; arrows move, Enter opens,
 * a checkbox (or X) ticks an event for triage with others.
 */
export function EventTable({
  filter,
  expectedTotal,
  selectedId,
  onOpen,
  checked,
  onCheckedChange,
  onClearFilters,
}: {
  filter: EventFilter;
  /** From the counts: how many events the filter matches, for the "loaded of" note. */
  expectedTotal: number | undefined;
  selectedId: number | null;
  onOpen: (id: number) => void;
  /** The ticked events (the selection bar's), apart from the one open in the panel. */
  checked: ReadonlySet<number>;
  onCheckedChange: (next: ReadonlySet<number>) => void;
  onClearFilters: (() => void) | undefined;
}) {
  const query = useEventPages(filter);
  // Offered whenever a filter is set (a search or a find too): the list is then narrowed.
  const filtered = onClearFilters !== undefined;
  // A full-text search answers over the indexed events; the rest are being indexed.
  const unindexed = filter.text ? (query.data?.pages[0]?.search_unindexed ?? 0) : 0;
  const footNote =
    unindexed > 0
      ? `The search does not reach ${formatCount(unindexed)} recently imported ${unindexed === 1 ? 'event' : 'events'} yet: indexing, the list updates when done`
      : undefined;
  return (
    <VirtualTable
      spec={SPEC}
      query={query}
      selectedId={selectedId}
      onOpen={onOpen}
      head={HEAD}
      expectedTotal={expectedTotal}
      footNote={footNote}
      emptyText={filtered ? 'No events match these filters.' : 'No events.'}
      onClearFilters={onClearFilters}
      checks={{ checked, onChange: onCheckedChange, rowLabel: (ev) => `Select event ${ev.id}`, allLabel: 'Select all loaded events' }}
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
