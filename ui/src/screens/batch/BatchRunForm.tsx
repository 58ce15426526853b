import { useId, useState, type FormEvent } from 'react';
import { OperatorField } from '../../components/OperatorField';
import { ReasonField } from '../../components/ReasonField';
import type { BatchDetail, BatchRunRequest } from '../../ipc';
import { batchGate, batchRunRequest, DEFAULT_CONCURRENCY, isWritable, MAX_CONCURRENCY, sideEffectKinds, type BatchFormState } from './batchGate';
import { formatCount } from '../../lib/format';
import { rememberOperator, rememberedOperator } from '../../lib/operator';
import { useAcknowledgments } from '../../lib/useAcknowledgments';
import { useRoleBlock } from '../../lib/roles';

/**
 * One operator, one reason and one acknowledgment for the whole batch: a checkbox per kind of
 * side effect its writable events have. The button stays disabled, saying why, until all is
 * filled in (batchGate.ts); a batch that ended early is resumed with the same form.
 */
export function BatchRunForm({
  batch,
  now,
  running,
  onSubmit,
}: {
  batch: BatchDetail;
  now: number;
  /** A run of this batch is in progress in this window. */
  running: boolean;
  onSubmit: (request: BatchRunRequest) => void;
}) {
  const id = useId();
  const [operator, setOperator] = useState(rememberedOperator);
  const [reason, setReason] = useState(batch.reason ?? '');
  // Ticks belong to one batch token: another batch starts unticked.
  const [acknowledged, toggle] = useAcknowledgments<string>(batch.ack_token);
  const [concurrency, setConcurrency] = useState(String(DEFAULT_CONCURRENCY));

  const form: BatchFormState = { operator, reason, acknowledged, concurrency };
  const roleBlocked = useRoleBlock('batch');
  const gate = roleBlocked !== null ? ({ ok: false, reason: roleBlocked } as const) : batchGate(batch, form, now, running);
  const kinds = sideEffectKinds(batch.events);
  const writable = batch.events.filter(isWritable).length;
  const resume = batch.status !== 'planned';

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!gate.ok) return;
    rememberOperator(operator);
    onSubmit(batchRunRequest(batch, form));
  };

  return (
    <form className="batch-form" aria-label={resume ? 'Resume the batch' : 'Run the batch'} onSubmit={submit} noValidate>
      <div className="form-row">
        <OperatorField id={`${id}-operator`} value={operator} onChange={setOperator} className="form-field grow" />
        <label className="form-field batch-concurrency" htmlFor={`${id}-concurrency`}>
          <span className="form-label">Concurrency</span>
          <input
            id={`${id}-concurrency`}
            type="number"
            min={1}
            max={MAX_CONCURRENCY}
            inputMode="numeric"
            value={concurrency}
            onChange={(e) => setConcurrency(e.target.value)}
            aria-describedby={`${id}-concurrency-help`}
          />
        </label>
      </div>
      <p id={`${id}-concurrency-help`} className="visually-hidden">
        Writes in flight at once, from 1 to {MAX_CONCURRENCY}.
      </p>
      <ReasonField
        id={`${id}-reason`}
        value={reason}
        onChange={setReason}
        placeholder="Why these events are written again, e.g. the incident they belong to"
      />
      <fieldset className="acks">
        <legend className="form-label">
          Side effects to acknowledge <span className="muted">(over the {formatCount(writable)} events that would be written)</span>
        </legend>
        {kinds.length === 0 ? (
          <p className="muted">None: no event of this batch would be written.</p>
        ) : (
          <ul>
            {kinds.map((k) => (
              <li key={`${batch.ack_token}-${k.code}`}>
                <label className="check">
                  <input type="checkbox" checked={acknowledged.has(k.code)} onChange={() => toggle(k.code)} data-code={k.code} />
                  <span>
                    {k.label} <span className="muted num">({formatCount(k.events)} {k.events === 1 ? 'event' : 'events'})</span>
                  </span>
                </label>
              </li>
            ))}
          </ul>
        )}
      </fieldset>
      <div className="submit-row">
        <button type="submit" className="btn btn-primary btn-replay btn-batch-run" disabled={!gate.ok} aria-describedby={`${id}-gate`}>
          {running ? 'Running…' : resume ? 'Resume batch' : `Run batch: write ${formatCount(writable)} ${writable === 1 ? 'event' : 'events'}`}
        </button>
        <p id={`${id}-gate`} className={`gate-reason${gate.ok ? ' is-ok' : ''}`} aria-live="polite">
          {gate.ok
            ? resume
              ? 'Ready. Events already attempted in this batch are skipped, never written twice.'
              : 'Ready.'
            : gate.reason}
        </p>
      </div>
    </form>
  );
}
