import { useState } from 'react';
import { DetailPanel } from '../../components/DetailPanel';
import { JsonValueView } from '../../components/JsonValueView';
import { useAuditEntry, type AuditEntry, type AuditEntryDetail, type AuditFieldChange, type AuditMacState, type JsonValue } from '../../ipc';
import { formatTime } from '../../lib/format';
import { actionMeta, outcomeMeta } from './auditFormat';
import { TableHead } from '../../components/TableHead';
import { KvRow } from '../../components/KvRow';

const json = (v: unknown) => v as JsonValue | undefined;

/** A table cell holding a stored JSON value. */
function JsonCell({ value, className }: { value: unknown; className?: string }) {
  return (
    <td className={className}>
      <JsonValueView value={json(value)} />
    </td>
  );
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function Text({ value, mono = false }: { value: string | number | null; mono?: boolean }) {
  if (value === null) return <span className="json-null">—</span>;
  return <span className={mono ? 'mono' : undefined}>{value}</span>;
}

/** Every stored column, in the order of the canonical encoding. */
function EntryFields({ entry }: { entry: AuditEntry }) {
  const rows: [string, string | number | null, boolean?][] = [
    ['Seq', entry.seq],
    ['Time (UTC)', `${formatTime(entry.at)}  (${entry.at})`],
    ['Action', entry.action, true],
    ['Actor', entry.actor],
    ['OS user', entry.os_user],
    ['Host', entry.host],
    ['Lane', entry.lane_id],
    ['Lane version', entry.lane_version],
    ['Event', entry.event_id],
    ['Attempt', entry.attempt_id],
    ['Batch', entry.batch_id],
    ['Integration user', entry.integration_user],
    ['External ID', entry.external_id, true],
    ['Record type', entry.record_type],
    ['Operation', entry.operation_type],
    ['Reason', entry.reason],
    ['Ack token', entry.ack_token, true],
    ['Outcome', entry.outcome, true],
  ];
  return (
    <dl className="kv">
      {rows.map(([label, value, mono]) => (
        <div className="kv-row" key={label}>
          <dt>{label}</dt>
          <dd>
            <Text value={value} mono={mono} />
          </dd>
        </div>
      ))}
    </dl>
  );
}

const MAC_TONE: Record<AuditMacState, 'ok' | 'bad' | 'unknown'> = {
  valid: 'ok',
  invalid: 'bad',
  missing: 'bad',
  before_macs: 'unknown',
  unchecked: 'unknown',
};

const MAC_TEXT: Record<AuditMacState, string> = {
  valid: 'Carries this log’s MAC: written by the console',
  invalid: 'Its MAC is not this log’s key’s: forged or rewritten outside the console',
  missing: 'Carries no MAC, though every entry of this log must: inserted outside the console',
  before_macs: 'No MAC: written before entries carried MACs (protected by the chain and the checkpoint only)',
  unchecked: 'Carries a MAC, but the log’s key is not in this keychain: not checked',
};

function Integrity({ d }: { d: AuditEntryDetail }) {
  return (
    <ul className="audit-integrity list-column" aria-label="Integrity">
      <li className={d.hash_ok ? 'ok' : 'bad'}>
        <span className={`check-mark ${d.hash_ok ? 'ok' : 'bad'}`} aria-hidden="true">
          {d.hash_ok ? '✓' : '✗'}
        </span>
        {d.hash_ok ? 'Matches its hash' : 'Does not match its hash: its content was changed after it was written'}
      </li>
      <li className={d.link_ok === true ? 'ok' : d.link_ok === false ? 'bad' : 'unknown'}>
        <span className={`check-mark ${d.link_ok === true ? 'ok' : d.link_ok === false ? 'bad' : ''}`} aria-hidden="true">
          {d.link_ok === true ? '✓' : d.link_ok === false ? '✗' : '?'}
        </span>
        {d.link_ok === true
          ? d.entry.seq === 1
            ? 'First entry: starts the chain'
            : `Links to entry ${d.entry.seq - 1}`
          : d.link_ok === false
            ? `Does not link to entry ${d.entry.seq - 1}: the chain is broken here`
            : `Entry ${d.entry.seq - 1} is missing: the link cannot be checked`}
      </li>
      <li className={MAC_TONE[d.mac]}>
        <span className={`check-mark ${MAC_TONE[d.mac] === 'unknown' ? '' : MAC_TONE[d.mac]}`} aria-hidden="true">
          {MAC_TONE[d.mac] === 'ok' ? '✓' : MAC_TONE[d.mac] === 'bad' ? '✗' : '?'}
        </span>
        {MAC_TEXT[d.mac]}
      </li>
    </ul>
  );
}

function FieldDiff({ diff }: { diff: AuditFieldChange[] }) {
  const [all, setAll] = useState(false);
  const changed = diff.filter((c) => c.changed).length;
  const shown = all ? diff : diff.filter((c) => c.changed);
  return (
    <>
      <div className="audit-diff-head">
        <span>
          {changed} of {diff.length} fields changed
        </span>
        {changed < diff.length && (
          <button type="button" className="btn btn-ghost btn-small" onClick={() => setAll((a) => !a)} aria-pressed={all}>
            {all ? 'Changed only' : 'Show unchanged'}
          </button>
        )}
      </div>
      {shown.length > 0 && (
        <table className="diff audit-diff" aria-label="Before and after">
          <TableHead columns={['Field', 'Before', 'After']} />
          <tbody>
            {shown.map((c) => (
              <tr key={c.field} className={c.changed ? 'is-changed' : 'is-same'}>
                <th scope="row" className="mono">
                  {c.field}
                </th>
                <JsonCell value={c.before} className="diff-current" />
                <JsonCell value={c.after} className="diff-replay" />
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

interface Check {
  field: string;
  intended: unknown;
  actual: unknown;
  matches: boolean;
}

function isCheck(v: unknown): v is Check {
  return isObject(v) && typeof v.field === 'string' && 'intended' in v && typeof v.matches === 'boolean';
}

/**
 * A snapshot as the backend stores it: a record read from Salesforce (`fields` by name) or a
 * post-verify read-back (`fields` as intended/actual checks) as a table; anything else as JSON.
 */
function Snapshot({ title, value }: { title: string; value: unknown }) {
  if (isObject(value) && isObject(value.fields)) {
    const fields = Object.entries(value.fields).sort(([a], [b]) => a.localeCompare(b));
    return (
      <div className="audit-snapshot">
        <h4 className="block-title">{title}: the record as read</h4>
        <table className="payload" aria-label={title}>
          <tbody>
            {fields.map(([k, v]) => (
              <tr key={k}>
                <th scope="row" className="mono">
                  {k}
                </th>
                <JsonCell value={v} />
              </tr>
            ))}
          </tbody>
        </table>
        <JsonBlock title={`${title} as stored (JSON)`} value={value} />
      </div>
    );
  }
  if (isObject(value) && Array.isArray(value.fields) && value.fields.every(isCheck)) {
    const checks = value.fields;
    return (
      <div className="audit-snapshot">
        <h4 className="block-title">{title}: the record read back</h4>
        <table className="diff" aria-label={title}>
          <TableHead columns={['Field', 'Intended', 'Actual']} />
          <tbody>
            {checks.map((c) => (
              <tr key={c.field} className={c.matches ? 'is-same' : 'is-mismatch'}>
                <th scope="row" className="mono">
                  <span className={`check-mark ${c.matches ? 'ok' : 'bad'}`} aria-label={c.matches ? 'matches' : 'differs'}>
                    {c.matches ? '✓' : '✗'}
                  </span>{' '}
                  {c.field}
                </th>
                <JsonCell value={c.intended} />
                <JsonCell value={c.actual} />
              </tr>
            ))}
          </tbody>
        </table>
        <JsonBlock title={`${title} as stored (JSON)`} value={value} />
      </div>
    );
  }
  return <JsonBlock title={title} value={value} open />;
}

function JsonBlock({ title, value, open = false }: { title: string; value: unknown; open?: boolean }) {
  return (
    <details className="request audit-json" open={open}>
      <summary>{title}</summary>
      <pre className="json mono">{JSON.stringify(value, null, 2)}</pre>
    </details>
  );
}

function Detail({ d }: { d: AuditEntryDetail }) {
  const detail = isObject(d.detail) ? d.detail : null;
  const hasBefore = d.before !== null && d.before !== undefined;
  const hasAfter = d.after !== null && d.after !== undefined;
  return (
    <>
      <section className="detail-section">
        <h3>Integrity</h3>
        <Integrity d={d} />
      </section>
      {(d.diff !== null || hasBefore || hasAfter) && (
        <section className="detail-section">
          <h3>Before and after</h3>
          {d.diff !== null ? (
            <FieldDiff diff={d.diff} />
          ) : (
            <>
              {hasBefore && <Snapshot title="Before" value={d.before} />}
              {hasAfter && <Snapshot title="After" value={d.after} />}
            </>
          )}
        </section>
      )}
      <section className="detail-section">
        <h3>Entry</h3>
        <EntryFields entry={d.entry} />
      </section>
      <section className="detail-section">
        <h3>Detail</h3>
        {detail && detail.request !== undefined && <JsonBlock title="Request" value={detail.request} />}
        {detail && detail.response !== undefined && <JsonBlock title="Response" value={detail.response} />}
        {d.detail === null ? (
          <>
            <p className="muted">The stored detail is not JSON; as stored:</p>
            <pre className="json mono">{d.entry.detail}</pre>
          </>
        ) : (
          <JsonBlock title="Full detail (JSON)" value={d.detail} />
        )}
      </section>
      <section className="detail-section">
        <h3>Chain</h3>
        <dl className="kv">
          <KvRow label="Hash" className="mono audit-hash">{d.entry.hash}</KvRow>
          <KvRow label="Previous" className="mono audit-hash">{d.entry.prev_hash}</KvRow>
        </dl>
      </section>
    </>
  );
}

/** One entry in full, beside the list: from `audit_show`. */
export function AuditDetailPanel({
  seq,
  onClose,
  onShowEvent,
  onShowBatch,
}: {
  seq: number;
  onClose: () => void;
  /** Filters the list to this entry's event. */
  onShowEvent: (eventId: number) => void;
  /** Filters the list to this entry's batch. */
  onShowBatch: (batchId: number) => void;
}) {
  const q = useAuditEntry(seq);
  const entry = q.data?.entry;
  const action = entry ? actionMeta(entry.action) : null;
  const outcome = entry?.outcome ? outcomeMeta(entry.outcome) : null;

  return (
    <DetailPanel
      label={`Audit entry ${seq}`}
      className="audit-detail"
      title={`Entry ${seq}`}
      badges={
        <>
          {action && <span className={`badge tone-${action.tone}`}>{action.label}</span>}
          {outcome && <span className={`badge tone-${outcome.tone}`}>{outcome.label}</span>}
        </>
      }
      actions={
        <>
          {entry?.event_id !== null && entry?.event_id !== undefined && (
            <button type="button" className="btn btn-small" onClick={() => onShowEvent(entry.event_id ?? 0)}>
              Event {entry.event_id} trail
            </button>
          )}
          {entry?.batch_id !== null && entry?.batch_id !== undefined && (
            <button type="button" className="btn btn-small" onClick={() => onShowBatch(entry.batch_id ?? 0)}>
              Batch {entry.batch_id} entries
            </button>
          )}
        </>
      }
      closeLabel="Close entry details"
      onClose={onClose}
      yieldToDialog
      query={q}
      loadingText="Loading entry…"
      errorContext={`Entry ${seq}`}
    >
      {q.data && <Detail d={q.data} />}
    </DetailPanel>
  );
}
