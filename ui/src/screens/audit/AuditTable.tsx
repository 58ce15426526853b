// The audit log as a VirtualTable: its columns (Seq sorts), cells and badges.
import { headCells, VirtualTable, type TableSpec } from '../../components/VirtualTable';
import { useAuditPages, type AuditEntry, type AuditFilter, type AuditPage } from '../../ipc';
import { formatTime } from '../../lib/format';
import { actionMeta, outcomeMeta } from './auditFormat';

const HEAD_AFTER_SEQ = headCells(['Time (UTC)', 'Action', 'Actor', 'Lane', 'Event', 'Batch', 'External ID', 'Outcome', 'Reason', 'Ack token']);

const SPEC: TableSpec<AuditPage, AuditEntry> = {
  label: 'Audit entries',
  className: 'events audit-entries',
  columns: 11,
  rowsOf: (page) => page.entries,
  rowId: (entry) => entry.seq,
  cells: (entry) => <EntryCells entry={entry} />,
  texts: { noun: 'entries', error: 'Audit log', loading: 'Loading the audit log…', end: 'end of log' },
};

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
      spec={SPEC}
      query={query}
      selectedId={selectedSeq}
      onOpen={onOpen}
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
          {HEAD_AFTER_SEQ}
        </>
      }
      emptyText={onClearFilters ? 'No entries match these filters.' : 'The audit log is empty.'}
      onClearFilters={onClearFilters}
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
