import { useEffect, useRef, useState } from 'react';
import type { BatchProgress, BatchSummary, SkippedEvent } from '../../ipc';
import { formatCount } from '../../lib/format';
import { ProgressBar } from '../audit/VerifyChain';
import { batchStatusMeta } from './batchFormat';

/** Ids shown before "Show all": enough for an incident's usual lists, short for a thousand. */
const FIRST_IDS = 60;

interface Item {
  id: number;
  code?: string;
  message?: string;
}

function EventIds({ items, onOpenEvent }: { items: Item[]; onOpenEvent: (eventId: number) => void }) {
  const [all, setAll] = useState(false);
  const shown = all ? items : items.slice(0, FIRST_IDS);
  return (
    <>
      <ul className="batch-ids list-row">
        {shown.map((it) => (
          <li key={it.id}>
            <button
              type="button"
              className="batch-id num"
              title={it.message}
              aria-label={`Open event ${it.id}${it.code ? ` (${it.code})` : ''}`}
              onClick={() => onOpenEvent(it.id)}
            >
              {it.id}
            </button>
          </li>
        ))}
      </ul>
      {items.length > shown.length && (
        <button type="button" className="btn btn-ghost btn-small" onClick={() => setAll(true)}>
          Show all {formatCount(items.length)}
        </button>
      )}
    </>
  );
}

/** Events with a code (a finding, Salesforce's error), grouped by it: the code once, then its events. */
function EventIdsByCode({ items, onOpenEvent }: { items: Item[]; onOpenEvent: (eventId: number) => void }) {
  const byCode = new Map<string, Item[]>();
  for (const it of items) byCode.set(it.code ?? '', [...(byCode.get(it.code ?? '') ?? []), it]);
  return (
    <dl className="batch-by-code-ids">
      {[...byCode].map(([code, list]) => (
        <div key={code}>
          <dt>
            <code>{code || 'no code'}</code> <span className="muted num">({formatCount(list.length)})</span>
          </dt>
          <dd>
            <EventIds items={list} onOpenEvent={onOpenEvent} />
          </dd>
        </div>
      ))}
    </dl>
  );
}

const ids = (list: number[]) => list.map((id) => ({ id }));
const skipped = (list: SkippedEvent[]) => list.map((s) => ({ id: s.event_id, code: s.code, message: s.message }));

/**
 * What a run of the batch came to: its status, and every event by what happened to it. Just
 * after a run in this window (`justRan`), its heading takes the focus, which brings it into view.
 */
export function BatchSummaryView({
  summary,
  justRan,
  onOpenEvent,
}: {
  summary: BatchSummary;
  justRan: boolean;
  onOpenEvent: (eventId: number) => void;
}) {
  const s = summary;
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (justRan) heading.current?.focus();
  }, [justRan]);
  const meta = batchStatusMeta(s.status);
  const written = s.updated.length + s.created.length;
  const groups: { key: string; title: string; note?: string; items: { id: number; code?: string; message?: string }[]; tone: string }[] = [
    { key: 'updated', title: 'Updated', items: ids(s.updated), tone: 'success' },
    { key: 'created', title: 'Created', items: ids(s.created), tone: 'success' },
    { key: 'unknown', title: 'Unknown outcome: needs Verify', note: 'Sent, but no answer came. Open each event and run Verify before anything else; until then it is not replayed again.', items: ids(s.unknown_outcome), tone: 'attention' },
    { key: 'rejected', title: 'Rejected by Salesforce', note: 'Nothing was written; the events stay replayable.', items: skipped(s.rejected), tone: 'danger' },
    { key: 'changed', title: 'Changed since the preflight (412)', note: 'The record changed after the batch preflight: nothing was written. Preflight these events again.', items: ids(s.changed_since_preflight), tone: 'warning' },
    { key: 'blocked', title: 'Blocked: skipped, never written', items: skipped(s.blocked), tone: 'warning' },
    { key: 'skipped', title: 'Skipped: the event changed state or had an attempt in flight', items: skipped(s.skipped), tone: 'warning' },
    { key: 'not-started', title: 'Not started', note: 'The run ended before these; resuming the batch writes them.', items: ids(s.not_started), tone: 'neutral' },
    { key: 'attempted', title: 'Attempted in an earlier run of this batch', note: 'Skipped by this run: never written twice.', items: ids(s.already_attempted), tone: 'neutral' },
    { key: 'mismatch', title: 'Post-verify mismatch', note: 'Written, but the record read back differs from what was sent.', items: ids(s.post_verify_mismatches), tone: 'danger' },
  ];
  return (
    <section className={`card batch-summary result tone-${meta.tone}`} aria-label="Batch summary">
      <div className="result-head">
        <span className={`badge tone-${meta.tone}`}>
          <span className="dot" aria-hidden="true" />
          {meta.label}
        </span>
        <h3 ref={heading} tabIndex={-1}>
          {formatCount(written)} written ({formatCount(s.updated.length)} updated, {formatCount(s.created.length)} created) of{' '}
          {formatCount(s.total)}
        </h3>
      </div>
      <p className="batch-summary-message">{s.message}</p>
      <dl className="batch-summary-facts">
        <div>
          <dt>Retries</dt>
          <dd className="num">{formatCount(s.retries)}</dd>
        </div>
        <div>
          <dt>Salesforce calls</dt>
          <dd className="num">{s.api_calls === null ? 'unknown' : formatCount(s.api_calls)}</dd>
        </div>
      </dl>
      {groups
        .filter((g) => g.items.length > 0)
        .map((g) => (
          <div key={g.key} className={`batch-group tone-${g.tone}`} aria-label={g.title} role="group">
            <h4>
              {g.title} <span className="num">({formatCount(g.items.length)})</span>
            </h4>
            {g.note && <p className="muted">{g.note}</p>}
            {g.items.some((it) => it.code !== undefined) ? (
              <EventIdsByCode items={g.items} onOpenEvent={onOpenEvent} />
            ) : (
              <EventIds items={g.items} onOpenEvent={onOpenEvent} />
            )}
          </div>
        ))}
    </section>
  );
}

/** The run in progress: events done of the batch, and a cancel that lets in-flight writes settle. */
export function BatchRunProgress({ progress, onCancel }: { progress: BatchProgress | null; onCancel: () => void }) {
  const cancelling = progress?.cancelRequested ?? false;
  return (
    <section className="card batch-progress" aria-label="Batch progress">
      <div className="batch-progress-row">
        <ProgressBar label="Batch progress" progress={progress} unit="events" />
        <button type="button" className="btn" onClick={onCancel} disabled={cancelling || progress === null}>
          {cancelling ? 'Cancelling…' : 'Cancel'}
        </button>
      </div>
      <p className="muted" aria-live="polite">
        {cancelling
          ? 'Cancelling: no new write starts; the writes in flight settle and are recorded.'
          : 'Writing under the single-replay protocol: each event’s intent is recorded before it is sent.'}
      </p>
    </section>
  );
}
