import { useState } from 'react';
import type { BatchEventDetail } from '../../ipc';
import { isWritable } from './batchGate';
import { formatCount } from '../../lib/format';
import { attemptMeta } from '../../lib/status';
import { findingLabel } from './batchFormat';

type Show = 'all' | 'writable' | 'blocked' | 'warnings';

/** Rows rendered at first, and added per "Show more": a batch of a whole lane can hold tens of
 * thousands of events, more than a table should put in the page at once. */
export const ROWS_PER_PAGE = 500;

const KIND: Record<string, string> = { update: 'Update', create: 'Create', none: '—' };

function Codes({ codes, tone }: { codes: string[]; tone: string }) {
  return (
    <>
      {codes.map((c) => (
        <span key={c} className={`badge badge-flag tone-${tone}`} title={findingLabel(c) ?? undefined}>
          {c}
        </span>
      ))}
    </>
  );
}

function Outcome({ e }: { e: BatchEventDetail }) {
  if (e.outcome !== null) {
    const m = attemptMeta(e.outcome);
    return (
      <span className={`badge tone-${m.tone}`} title={[m.meaning, e.error_code].filter(Boolean).join(' ') || undefined}>
        <span className="dot" aria-hidden="true" />
        {m.label}
      </span>
    );
  }
  return <span className="muted">{isWritable(e) ? 'Not attempted' : 'Skipped'}</span>;
}

/**
 * Each event of the batch in short: its preflight's kind of write and findings and, once the
 * batch ran, its attempt's outcome. A row opens the event in full.
 */
export function BatchEventsTable({
  events,
  withOutcome,
  onOpenEvent,
}: {
  events: BatchEventDetail[];
  withOutcome: boolean;
  onOpenEvent: (eventId: number) => void;
}) {
  const [show, setShow] = useState<Show>('all');
  const [limit, setLimit] = useState(ROWS_PER_PAGE);
  const counts: Record<Show, number> = {
    all: events.length,
    writable: events.filter(isWritable).length,
    blocked: events.filter((e) => !isWritable(e)).length,
    warnings: events.filter((e) => e.warnings.length > 0).length,
  };
  const shown = events.filter((e) =>
    show === 'all' ? true : show === 'writable' ? isWritable(e) : show === 'blocked' ? !isWritable(e) : e.warnings.length > 0,
  );
  const chips: [Show, string, string][] = [
    ['all', 'All', 'neutral'],
    ['writable', 'Would write', 'info'],
    ['blocked', 'Blocked', 'warning'],
    ['warnings', 'With warnings', 'attention'],
  ];
  return (
    <section className="card batch-events" aria-label="Events of the batch">
      <header className="card-head">
        <div>
          <h2>Events</h2>
          <p className="muted">Click an event to open it: its preflight, its attempts and its audit trail.</p>
        </div>
      </header>
      <div className="batch-events-filter" role="group" aria-label="Show events">
        {chips.map(([id, label, tone]) => (
          <button key={id} type="button" className={`chip tone-${tone}`} aria-pressed={show === id} onClick={() => {
              setShow(id);
              setLimit(ROWS_PER_PAGE);
            }}>
            {label} <span className="chip-count">{formatCount(counts[id])}</span>
          </button>
        ))}
      </div>
      <div className="batch-events-scroll">
        <table className="plain batch-events-table" aria-label="Batch events">
          <thead>
            <tr>
              <th scope="col">Event</th>
              <th scope="col">External ID</th>
              <th scope="col">Kind</th>
              <th scope="col">Blocking / warnings</th>
              {withOutcome && <th scope="col">Outcome</th>}
            </tr>
          </thead>
          <tbody>
            {shown.slice(0, limit).map((e) => (
              <tr key={e.event_id} className={isWritable(e) ? undefined : 'is-blocked'} onClick={() => onOpenEvent(e.event_id)}>
                <td className="num">
                  <button
                    type="button"
                    className="link-button"
                    aria-label={`Open event ${e.event_id}`}
                    onClick={(ev) => {
                      ev.stopPropagation();
                      onOpenEvent(e.event_id);
                    }}
                  >
                    {e.event_id}
                  </button>
                </td>
                <td className="mono ellipsis" title={e.external_id ?? undefined}>
                  {e.external_id ?? <span className="muted">(none)</span>}
                </td>
                <td>{KIND[e.kind] ?? e.kind}</td>
                <td>
                  {e.blocking.length === 0 && e.warnings.length === 0 ? (
                    <span className="muted">—</span>
                  ) : (
                    <div className="batch-codes">
                      <Codes codes={e.blocking} tone="warning" />
                      <Codes codes={e.warnings} tone="neutral" />
                    </div>
                  )}
                </td>
                {withOutcome && (
                  <td>
                    <Outcome e={e} />
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
        {shown.length === 0 && <p className="table-note">No event of this batch is in this group.</p>}
        {shown.length > limit && (
          <p className="table-note">
            Showing {formatCount(limit)} of {formatCount(shown.length)} events.{' '}
            <button type="button" className="link-button" onClick={() => setLimit((l) => l + ROWS_PER_PAGE)}>
              Show {formatCount(Math.min(ROWS_PER_PAGE, shown.length - limit))} more
            </button>
          </p>
        )}
      </div>
    </section>
  );
}
