import { VirtualTable } from '../../components/VirtualTable';
import { useAuditPages, type AuditEntry, type AuditFilter, type AuditPage } from '../../ipc';
import { formatTime } from '../../lib/format';
import { actionMeta, outcomeMeta } from './auditFormat';

const COLUMNS = 11;
const entriesOf = (page: AuditPage) => page.entries;
const entrySeq = (entry: AuditEntry) => entry.seq;

function Badge({ label, tone, title }: { label: string; tone: string; title?: string }) {
  return (
    <span className={`badge tone-${tone}`} title={title}>
      <span className="dot" aria-hidden="true" />
      {label}
    </span>
  );
}

/** The audit log, paged by the backend (keyset) and virtualised; arrows move, Enter opens. */
export function AuditTable({
  filter,
  newestFirst,
  onToggleOrder,
  selectedSeq,
  onOpen,
  onClearFilters,
}: {
  filter: AuditFilter;
  newestFirst: boolean;
  onToggleOrder: () => void;
  selectedSeq: number | null;
  onOpen: (seq: number) => void;
  onClearFilters: (() => void) | undefined;
}) {
  const query = useAuditPages(filter, newestFirst);
  return (
    <VirtualTable
      query={query}
      rowsOf={entriesOf}
      rowId={entrySeq}
      selectedId={selectedSeq}
      onOpen={onOpen}
      label="Audit entries"
      className="events audit-entries"
      columns={COLUMNS}
      head={
        <>
          <th scope="col" aria-sort={newestFirst ? 'descending' : 'ascending'}>
            <button
              type="button"
              className="sort-toggle"
              title={newestFirst ? 'Newest first: click for oldest first' : 'Oldest first: click for newest first'}
              onClick={onToggleOrder}
            >
              Seq <span aria-hidden="true">{newestFirst ? '↓' : '↑'}</span>
              <span className="visually-hidden">{newestFirst ? ', newest first' : ', oldest first'}</span>
            </button>
          </th>
          <th scope="col">Time (UTC)</th>
          <th scope="col">Action</th>
          <th scope="col">Actor</th>
          <th scope="col">Lane</th>
          <th scope="col">Event</th>
          <th scope="col">Batch</th>
          <th scope="col">External ID</th>
          <th scope="col">Outcome</th>
          <th scope="col">Reason</th>
          <th scope="col">Ack token</th>
        </>
      }
      cells={(entry) => <EntryCells entry={entry} />}
      noun="entries"
      errorContext="Audit log"
      loadingText="Loading the audit log…"
      emptyText={onClearFilters ? 'No entries match these filters.' : 'The audit log is empty.'}
      onClearFilters={onClearFilters}
      endText="end of log"
    />
  );
}

function EntryCells({ entry }: { entry: AuditEntry }) {
  const action = actionMeta(entry.action);
  const outcome = entry.outcome === null ? null : outcomeMeta(entry.outcome);
  return (
    <>
      <td className="num muted">{entry.seq}</td>
      <td className="num" title={entry.at}>
        {formatTime(entry.at)}
      </td>
      <td>
        <Badge label={action.label} tone={action.tone} title={entry.action} />
      </td>
      <td className="ellipsis" title={entry.os_user !== entry.actor ? `${entry.actor} (OS user ${entry.os_user})` : entry.actor}>
        {entry.actor}
      </td>
      <td className="ellipsis" title={entry.lane_id ?? undefined}>
        {entry.lane_id ?? <span className="muted">—</span>}
      </td>
      <td className="num">{entry.event_id ?? <span className="muted">—</span>}</td>
      <td className="num">{entry.batch_id ?? <span className="muted">—</span>}</td>
      <td className="mono ellipsis" title={entry.external_id ?? undefined}>
        {entry.external_id ?? <span className="muted">—</span>}
      </td>
      <td>{outcome ? <Badge label={outcome.label} tone={outcome.tone} title={entry.outcome ?? undefined} /> : <span className="muted">—</span>}</td>
      <td className="ellipsis" title={entry.reason ?? undefined}>
        {entry.reason ?? <span className="muted">—</span>}
      </td>
      <td className="mono ellipsis" title={entry.ack_token ?? undefined}>
        {entry.ack_token ?? <span className="muted">—</span>}
      </td>
    </>
  );
}
