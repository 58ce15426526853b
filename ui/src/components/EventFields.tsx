import type { ReactNode } from 'react';
import type { EventDetail, JsonValue } from '../ipc';
import { formatTime } from '../lib/format';
import { JsonScalar } from './JsonScalar';
import { StatusBadge } from './StatusBadge';
import { TableHead } from './TableHead';

/** A label and its value in a `.kv` list. */
export function Row({ label, children }: { label: string; children: ReactNode }) {
  return (
    <>
      <dt>{label}</dt>
      <dd>{children}</dd>
    </>
  );
}

export const none = <span className="muted">—</span>;

/** The stored facts of an event: identity, failure and payload (the side panel and the full view). */
export function EventFields({ event }: { event: EventDetail }) {
  return (
    <>
      <section className="detail-section" aria-label="Event">
        <dl className="kv">
          <Row label="Status">
            <StatusBadge status={event.status} />
          </Row>
          <Row label="Lane">
            {event.lane_id} <span className="muted">· contract v{event.lane_version}</span>
          </Row>
          <Row label="Event key">
            <span className="mono">{event.event_key}</span>
          </Row>
          <Row label="Target">
            <span className="mono">{event.object}</span>
            {' · '}
            {event.external_id_missing ? (
              <span className="badge tone-danger badge-flag" title="No external ID: a replay cannot find its target">
                external ID missing
              </span>
            ) : (
              <span className="mono">{event.external_id}</span>
            )}
          </Row>
          <Row label="Operation">
            <span className="mono">{event.operation}</span>
          </Row>
          <Row label="Source system">{event.source_system}</Row>
          <Row label="Occurred">
            <span className="num" title={event.occurred_at}>
              {formatTime(event.occurred_at)} UTC
            </span>
          </Row>
          <Row label="Updated">
            <span className="num" title={event.updated_at}>
              {formatTime(event.updated_at)} UTC
            </span>
          </Row>
          <Row label="Import">
            <span className="num">#{event.import_id}</span>
          </Row>
        </dl>
      </section>

      <section className="detail-section" aria-labelledby="detail-failure">
        <h3 id="detail-failure">Failure</h3>
        {event.failure_code === null && event.failure_message === null && event.failure_http_status === null ? (
          <p className="muted">No failure recorded.</p>
        ) : (
          <dl className="kv">
            <Row label="Code">{event.failure_code ? <span className="mono failure-code">{event.failure_code}</span> : none}</Row>
            <Row label="HTTP status">{event.failure_http_status !== null ? <span className="num">{event.failure_http_status}</span> : none}</Row>
            <Row label="Message">{event.failure_message ? <span className="prewrap">{event.failure_message}</span> : none}</Row>
          </dl>
        )}
      </section>

      <section className="detail-section" aria-labelledby="detail-payload">
        <h3 id="detail-payload">Payload</h3>
        <Payload value={event.payload} />
      </section>
    </>
  );
}

export function Payload({ value }: { value: JsonValue }) {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return <pre className="json">{JSON.stringify(value, null, 2)}</pre>;
  }
  const entries = Object.entries(value);
  if (entries.length === 0) return <p className="muted">Empty payload.</p>;
  return (
    <table className="payload">
      <TableHead columns={['Field', 'Value']} />
      <tbody>
        {entries.map(([k, v]) => (
          <tr key={k}>
            <th scope="row" className="mono">
              {k}
            </th>
            <td>{v !== null && typeof v === 'object' ? <pre className="json">{JSON.stringify(v, null, 2)}</pre> : <JsonScalar value={v} />}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
