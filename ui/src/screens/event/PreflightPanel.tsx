import type { ReactNode } from 'react';
import { none, Row } from '../../components/EventFields';
import { JsonValueView } from '../../components/JsonValueView';
import { OutcomeBadge } from './OutcomeBadge';
import type { FieldChange, Finding, OwnerState, PlannedRequest, Preflight, PreflightView } from '../../ipc';
import { formatTime } from '../../lib/format';
import { formatRemaining, freshFor } from '../../lib/replayGate';

/**
 * What the preflight found, read-only: freshness and token, findings, the target record, its
 * owner, the last write, the planned change field by field, and the exact request.
 */
export function PreflightPanel({ view, now, usedBy = null }: { view: PreflightView; now: number; usedBy?: number | null }) {
  const p = view.preflight;
  return (
    <div className="preflight">
      <Freshness view={view} now={now} usedBy={usedBy} />
      <Findings findings={p.findings} />
      <div className="facts-grid">
        <Fact title="Target record">
          <TargetFacts p={p} />
        </Fact>
        <Fact title="Owner">
          <OwnerFacts p={p} />
        </Fact>
        <Fact title="Last write" wide>
          <LastWriteFacts p={p} />
        </Fact>
        <Fact title="Lane policy" wide>
          <PolicyFacts p={p} />
        </Fact>
      </div>
      <section className="pf-section" aria-labelledby="pf-change">
        <h3 id="pf-change" className="block-title">
          Planned change <span className="block-title-note">{writeSummary(p)}</span>
        </h3>
        {p.event.revision !== undefined && (
          <p className="callout card tone-warning pf-revision" role="note">
            From revision {p.event.revision} of the payload, an edit: a replay needs its approval by someone other than its editor.
          </p>
        )}
        <ChangeTable changes={p.changes} kind={p.request.kind} />
      </section>
      <RequestView request={p.request} />
    </div>
  );
}

function Freshness({ view, now, usedBy }: { view: PreflightView; now: number; usedBy: number | null }) {
  const left = freshFor(view, now);
  const p = view.preflight;
  // A group, not a live region: a countdown announced every second would drown everything else;
  // the replay form's gate reason (live) says when it turns stale.
  return (
    <div className={`freshness ${usedBy !== null ? 'is-used' : left > 0 ? 'is-fresh' : 'is-stale'}`} role="group" aria-label="Preflight freshness">
      <span>
        Taken <span className="num">{formatTime(p.taken_at)}</span> UTC
      </span>
      <span className="freshness-token">
        acknowledgment <code className="token" title={`digest ${p.digest}`}>{p.ack_token}</code>
      </span>
      <span className="freshness-clock" title={`Valid until ${formatTime(view.expires_at)} UTC (max age ${view.max_age_minutes} min)`}>
        {usedBy !== null ? (
          <>used by attempt #{usedBy}</>
        ) : left > 0 ? (
          <>
            fresh for <span className="num">{formatRemaining(left)}</span>
          </>
        ) : (
          <strong>stale: preflight again</strong>
        )}
      </span>
    </div>
  );
}

function Findings({ findings }: { findings: Finding[] }) {
  if (findings.length === 0) {
    return (
      <p className="findings-none">
        <span className="badge tone-success">
          <span className="dot" aria-hidden="true" />
          No findings
        </span>{' '}
        Nothing in the contract stands in the way of this replay.
      </p>
    );
  }
  // Blocking first: they decide whether the replay can happen at all.
  const sorted = [...findings].sort((a, b) => (a.severity === b.severity ? 0 : a.severity === 'blocking' ? -1 : 1));
  return (
    <ul className="findings list-column" aria-label="Findings">
      {sorted.map((f, i) => (
        <li key={`${f.code}-${i}`} className={`finding ${f.severity === 'blocking' ? 'tone-danger' : 'tone-warning'}`}>
          <span className="finding-head">
            <span className="finding-severity">{f.severity === 'blocking' ? 'Blocking' : 'Warning'}</span>
            <code>{f.code}</code>
          </span>
          <span className="finding-message">{f.message}</span>
        </li>
      ))}
    </ul>
  );
}

/** Whose policy the lane's contract is, and what it lets this event do. */
function PolicyFacts({ p }: { p: Preflight }) {
  const lp = p.lane_policy;
  return (
    <dl className="kv">
      <Row label="Business owner">{lp.business_owner || none}</Row>
      <Row label="Technical owner">{lp.technical_owner || none}</Row>
      <Row label="Alerts go to">{lp.alert_owner || none}</Row>
      <Row label="System of record">{lp.system_of_record || none}</Row>
      <Row label="Lane writes by">
        {lp.write_operation === 'update' ? 'update only: this lane never creates' : lp.write_operation || none}
        {p.event.operation !== 'upsert' && <span className="muted"> (this event: {p.event.operation} only)</span>}
      </Row>
      {p.failed_checks.length > 0 && (
        <Row label="Checks not completed">
          <ul className="id-list">
            {p.failed_checks.map((c) => (
              <li key={c.check}>
                <code>{c.check}</code> {c.message}
              </li>
            ))}
          </ul>
        </Row>
      )}
    </dl>
  );
}

function Fact({ title, wide = false, children }: { title: string; wide?: boolean; children: ReactNode }) {
  return (
    <section className={`fact card${wide ? ' fact-wide' : ''}`} aria-label={title}>
      <h3 className="block-title">{title}</h3>
      {children}
    </section>
  );
}

function personName(o: OwnerState | null, fallbackId: string | null): ReactNode {
  if (o) {
    return (
      <>
        {o.name ?? <span className="mono">{o.id}</span>} {o.name && <span className="mono muted">{o.id}</span>}
      </>
    );
  }
  return fallbackId ? <span className="mono">{fallbackId}</span> : none;
}

function TargetFacts({ p }: { p: Preflight }) {
  const t = p.target;
  const ext = p.event.external_id;
  switch (t.state) {
    case 'found':
      return (
        <dl className="kv">
          <Row label="Id">
            <span className="mono">{t.record.id}</span>
          </Row>
          <Row label="Last modified">
            <span className="num" title={t.record.last_modified_date}>
              {formatTime(t.record.last_modified_date)} UTC
            </span>
          </Row>
          <Row label="Modified by">{personName(p.last_modified_by, t.record.last_modified_by_id)}</Row>
        </dl>
      );
    case 'not_found':
      return (
        <>
          <p>
            No <span className="mono">{p.event.object}</span> has external ID <span className="mono">{ext}</span>:{' '}
            <strong>{p.request.kind === 'create' ? 'a replay would create it.' : 'this replay may not create it.'}</strong>
          </p>
          {p.key_matches.length > 0 && (
            <div className="key-matches">
              <p className="muted">Records matching the business key:</p>
              <ul className="id-list">
                {p.key_matches.map((m) => (
                  <li key={m.id} className="mono">
                    {m.id}
                    {typeof m.fields.Name === 'string' && <span className="muted"> {m.fields.Name}</span>}
                  </li>
                ))}
              </ul>
            </div>
          )}
        </>
      );
    case 'several':
      return (
        <>
          <p>
            <strong>
              {t.ids.length} records share external ID <span className="mono">{ext}</span>:
            </strong>
          </p>
          <ul className="id-list">
            {t.ids.map((id) => (
              <li key={id} className="mono">
                {id}
              </li>
            ))}
          </ul>
        </>
      );
    case 'no_external_id':
      return <p>The event has no external ID: nothing was looked up and nothing can be written.</p>;
  }
}

function OwnerFacts({ p }: { p: Preflight }) {
  const o = p.owner;
  const ownerChange = p.changes.find((c) => c.field === 'OwnerId' && c.sent && c.changes);
  if (!o) {
    return (
      <p className="muted">
        {p.request.kind === 'create' ? 'No record yet: assignment rules choose the owner of the new record.' : 'No owner to show.'}
      </p>
    );
  }
  return (
    <dl className="kv">
      <Row label={o.kind === 'queue' ? 'Queue' : o.kind === 'user' ? 'User' : 'Owner'}>
        {o.name ?? none} <span className="mono muted">{o.id}</span>
      </Row>
      {o.kind === 'user' && (
        <Row label="Active">
          {o.active === null ? none : o.active ? 'yes' : <span className="badge badge-flag tone-warning">inactive</span>}
        </Row>
      )}
      {o.api_name && (
        <Row label={o.kind === 'queue' ? 'API name' : 'Username'}>
          <span className="mono">{o.api_name}</span>
        </Row>
      )}
      <Row label="Fallback owner">
        {p.owner_is_fallback ? <span className="badge badge-flag tone-warning">fallback owner</span> : 'no'}
      </Row>
      <Row label="After replay">
        {ownerChange ? (
          <strong>
            changes to <span className="mono">{String(ownerChange.replay)}</span>
          </strong>
        ) : (
          'unchanged'
        )}
      </Row>
    </dl>
  );
}

function LastWriteFacts({ p }: { p: Preflight }) {
  const e = p.event;
  const a = p.latest_attempt;
  return (
    <dl className="kv">
      <Row label="Event failure">
        {e.failure_code || e.failure_message ? (
          <>
            {e.failure_code && <span className="failure-code">{e.failure_code}</span>}
            {e.failure_message && <span className="muted prewrap"> {e.failure_message}</span>}
          </>
        ) : (
          none
        )}
      </Row>
      <Row label="Our last attempt">
        {a ? (
          <>
            <OutcomeBadge outcome={a.outcome} /> <span className="muted">#{a.attempt_id}</span> by {a.operator},{' '}
            <span className="num">{formatTime(a.at)}</span>
          </>
        ) : (
          <span className="muted">none</span>
        )}
      </Row>
      <Row label="Since the event">
        {p.target.state !== 'found' ? (
          none
        ) : p.modified_after_event ? (
          <span className="badge badge-flag tone-warning">record modified after the event</span>
        ) : (
          'record not modified'
        )}
      </Row>
    </dl>
  );
}

function writeSummary(p: Preflight): string {
  const r = p.request;
  switch (r.kind) {
    case 'update':
      return `update of ${r.path.join(' ')}, only if unchanged since the preflight`;
    case 'create':
      return `create (upsert by ${r.path[1] ?? 'external ID'} = ${r.path[2] ?? ''})`;
    case 'none':
      return 'nothing can be sent';
  }
}

/** The diff: what the record holds now against what the replay would write, field by field. */
export function ChangeTable({ changes, kind }: { changes: FieldChange[]; kind: PlannedRequest['kind'] }) {
  if (changes.length === 0) return <p className="muted">The payload has no field to write.</p>;
  return (
    <table className="diff" aria-label="Planned change">
      <thead>
        <tr>
          <th scope="col">Field</th>
          <th scope="col">{kind === 'create' ? 'Current (no record)' : 'Current'}</th>
          <th scope="col">Replay</th>
          <th scope="col" className="diff-notes-col">
            <span className="visually-hidden">Notes</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {changes.map((c) => (
          <tr key={c.field} className={`${c.changes ? 'is-changed' : 'is-same'}${c.sent ? '' : ' is-stripped'}`}>
            <th scope="row" className="mono">
              {c.field}
            </th>
            <td className="diff-current">{c.current === null ? <span className="json-null">(none)</span> : <JsonValueView value={c.current} />}</td>
            <td className="diff-replay">
              <JsonValueView value={c.replay} />
            </td>
            <td>
              <span className="diff-notes">
                {c.protected && (
                  <span className="badge badge-flag tone-danger" title="A protected field of the lane's write policy">
                    protected
                  </span>
                )}
                {!c.sent && (
                  <span className="badge badge-flag tone-neutral" title="Stripped from the request: protected fields are written only under an approved override">
                    not sent
                  </span>
                )}
                {c.sent && !c.changes && <span className="muted">same value</span>}
              </span>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function RequestView({ request }: { request: PlannedRequest }) {
  if (request.kind === 'none') {
    return <p className="muted pf-section">No request: nothing can be sent for this event as it stands.</p>;
  }
  // A create is `POST /sobjects/{Object}/` (the documented form, with its trailing slash).
  const path = `/sobjects/${request.path.map(encodeURIComponent).join('/')}${request.kind === 'create' ? '/' : ''}`;
  return (
    <details className="request pf-section">
      <summary>
        Exact request{' '}
        <code>
          {request.method} {path}
        </code>
      </summary>
      <p className="muted request-note">Path relative to the lane's /services/data/vXX.X; sent as the integration user.</p>
      {request.recheck_external_id && (
        <p className="request-note">
          Just before it, <code>{request.recheck_external_id.field}</code> = <code>{request.recheck_external_id.value}</code> is read
          again: if a record has it by then, nothing is written and the replay is refused.
        </p>
      )}
      <table className="plain request-headers" aria-label="Request headers">
        <tbody>
          {request.headers.map(([k, v]) => (
            <tr key={k}>
              <th scope="row" className="mono">
                {k}
              </th>
              <td className="mono">{v}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <pre className="json request-body">{JSON.stringify(request.body, null, 2)}</pre>
    </details>
  );
}
