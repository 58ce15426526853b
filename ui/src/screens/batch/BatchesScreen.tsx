import type { KeyboardEvent } from 'react';
import { ErrorBanner } from '../../components/ErrorBanner';
import { useBatchPages, type BatchListItem } from '../../ipc';
import { formatCount, formatTime } from '../../lib/format';
import { batchStatusMeta } from './batchFormat';
import './batch.css';

/** The history's columns, and what the counts count. */
const COLUMNS: [string, string?][] = [
  ['Batch'],
  ['Lane'],
  ['Planned (UTC)'],
  ['Operator'],
  ['Status'],
  ['Events', 'Events in the batch'],
  ['Written', 'Written (attempts applied), over every run'],
  ['Blocked', 'Blocked by the batch preflight: never written'],
  ['Changed', 'Changed since the preflight (412): not written'],
  ['Rejected', 'Rejected by Salesforce'],
  ['Unknown', 'Sent without an answer: needs Verify'],
];

function Count({ n, tone }: { n: number; tone: string }) {
  return n === 0 ? <span className="muted num">0</span> : <span className={`num batch-count tone-${tone}`}>{formatCount(n)}</span>;
}

function Row({ b, onOpen }: { b: BatchListItem; onOpen: (batchId: number) => void }) {
  const meta = batchStatusMeta(b.status);
  const n = (outcome: string) => b.attempts[outcome] ?? 0;
  const onKey = (e: KeyboardEvent<HTMLTableRowElement>) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      onOpen(b.batch_id);
    }
  };
  return (
    <tr tabIndex={0} onClick={() => onOpen(b.batch_id)} onKeyDown={onKey} aria-label={`Batch ${b.batch_id}`}>
      <td className="num">{b.batch_id}</td>
      <td className="ellipsis" title={b.lane_id}>
        {b.lane_id}
      </td>
      <td className="num nowrap" title={b.created_at}>
        {formatTime(b.created_at)}
      </td>
      <td className="ellipsis" title={b.reason ?? undefined}>
        {b.operator ?? b.planned_by}
        {b.operator === null && <span className="muted"> (planned)</span>}
      </td>
      <td>
        <span className={`badge tone-${meta.tone}`} title={meta.meaning}>
          <span className="dot" aria-hidden="true" />
          {meta.label}
        </span>
      </td>
      <td className="num">{formatCount(b.aggregate.total)}</td>
      <td>
        <Count n={n('applied')} tone="success" />
      </td>
      <td>
        <Count n={b.aggregate.blocked} tone="warning" />
      </td>
      <td>
        <Count n={n('precondition_failed')} tone="warning" />
      </td>
      <td>
        <Count n={n('rejected')} tone="danger" />
      </td>
      <td>
        <Count n={n('unknown_outcome')} tone="attention" />
      </td>
    </tr>
  );
}

/** Every batch, newest first: who planned and ran it, how it ended, what it wrote. */
export function BatchesScreen({ onOpen }: { onOpen: (batchId: number) => void }) {
  const q = useBatchPages();
  const batches = q.data?.pages.flatMap((p) => p.batches) ?? [];
  return (
    <div className="screen batch-screen">
      <header className="screen-header">
        <div>
          <h1>Batches</h1>
          <p className="screen-sub">Batch replays, newest first. Start one from the queue: filter a lane, then “Batch replay…”.</p>
        </div>
        <div className="screen-actions">
          <button type="button" className="btn" onClick={() => void q.refetch()}>
            Refresh
          </button>
        </div>
      </header>
      {q.isError && <ErrorBanner context="Batches" error={q.error} onRetry={() => void q.refetch()} />}
      <div className="batch-history">
        <div className="table-wrap">
          <div className="table-scroll">
            <table className="plain batch-list" aria-label="Batches">
              <thead>
                <tr>
                  {COLUMNS.map(([label, title]) => (
                    <th key={label} scope="col" title={title}>
                      {label}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {batches.map((b) => (
                  <Row key={b.batch_id} b={b} onOpen={onOpen} />
                ))}
              </tbody>
            </table>
            {q.isPending && <p className="table-note">Loading batches…</p>}
            {q.isSuccess && batches.length === 0 && <p className="table-note">No batch yet.</p>}
            {q.hasNextPage && (
              <div className="table-note">
                <button type="button" className="btn btn-small" onClick={() => void q.fetchNextPage()} disabled={q.isFetchingNextPage}>
                  {q.isFetchingNextPage ? 'Loading…' : 'Load older batches'}
                </button>
              </div>
            )}
          </div>
          <div className="table-foot">
            <span>
              {formatCount(batches.length)} {batches.length === 1 ? 'batch' : 'batches'}
              {q.hasNextPage ? ' · older ones not loaded yet' : batches.length > 0 ? ' · all loaded' : ''}
            </span>
            <span className="keys" aria-hidden="true">
              <kbd>Enter</kbd> open
            </span>
          </div>
        </div>
      </div>
    </div>
  );
}
