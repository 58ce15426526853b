import type { BatchAggregate } from '../../ipc';
import { formatCount } from '../../lib/format';
import { findingLabel } from './batchFormat';

function Tile({ label, value, tone, note }: { label: string; value: number; tone: string; note?: string }) {
  return (
    <div className={`batch-tile tone-${value === 0 ? 'neutral' : tone}`}>
      <dt>{label}</dt>
      <dd className="batch-tile-value num">{formatCount(value)}</dd>
      {note && <dd className="batch-tile-note">{note}</dd>}
    </div>
  );
}

function ByCode({ title, counts, tone }: { title: string; counts: Record<string, number>; tone: string }) {
  const rows = Object.entries(counts).sort(([a, x], [b, y]) => y - x || a.localeCompare(b));
  if (rows.length === 0) return null;
  return (
    <div className="batch-by-code">
      <h3 className="block-title">{title}</h3>
      <ul className="list-column" aria-label={title}>
        {rows.map(([code, n]) => {
          const label = findingLabel(code);
          return (
            <li key={code}>
              <span className={`badge badge-flag tone-${tone}`}>{formatCount(n)}</span>
              <code>{code}</code>
              {label && <span className="muted">{label}</span>}
            </li>
          );
        })}
      </ul>
    </div>
  );
}

/** What the batch would do, counted over its per-event preflights. */
export function AggregateView({ aggregate }: { aggregate: BatchAggregate }) {
  const a = aggregate;
  const writable = a.would_update + a.would_create;
  return (
    <section className="card batch-aggregate" aria-label="What the batch would do">
      <header className="card-head">
        <div>
          <h2>What the batch would do</h2>
          <p className="muted">
            {formatCount(a.total)} {a.total === 1 ? 'event' : 'events'}: {formatCount(writable)} would be written,{' '}
            {formatCount(a.blocked)} blocked and skipped (never written).
          </p>
        </div>
      </header>
      <div className="card-body">
        <dl className="batch-tiles">
          <Tile label="Would update" value={a.would_update} tone="info" />
          <Tile label="Would create" value={a.would_create} tone="info" />
          <Tile label="Blocked" value={a.blocked} tone="warning" note="skipped" />
          <Tile label="Change owner" value={a.change_owner} tone="attention" />
          <Tile label="Touch protected fields" value={a.touch_protected} tone="attention" />
        </dl>
        <ByCode title="Blocked by finding" counts={a.blocked_by} tone="warning" />
        <ByCode title="Warnings, over the events that would be written" counts={a.warnings_by} tone="neutral" />
        {a.touch_protected > 0 && (
          <p className="muted batch-note">
            Protected fields are never written by a batch: where one would change, it is left out of the write or, when
            the contract says so, the event is blocked.
          </p>
        )}
      </div>
    </section>
  );
}
