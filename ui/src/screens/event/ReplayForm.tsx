import { useId, useState, type FormEvent, type KeyboardEvent } from 'react';
import { ErrorBanner } from '../../components/ErrorBanner';
import { OperatorField } from '../../components/OperatorField';
import { OverrideFields, useOverrideState } from '../../components/OverrideFields';
import { ReasonField } from '../../components/ReasonField';
import { toIpcError, useWhoami, type OverrideRequest, type PreflightView, type ReplayRequest } from '../../ipc';
import { REQUESTED_APPROVER, roleBlock } from '../../lib/roles';
import { rememberOperator, rememberedOperator } from '../../lib/operator';
import { freshFor, replayGate, replayRequest, type ReplayFormState } from '../../lib/replayGate';
import { useAcknowledgments } from '../../lib/useAcknowledgments';

/**
 * The operator's statement: who, why, every side effect acknowledged, and, when asked for, an
 * override or a reason to replay again. The button names the user Salesforce will see as the
 * writer, and stays disabled, saying why, until the gate passes.
 */
export function ReplayForm({
  view,
  now,
  eventStatus,
  onSubmit,
  submitting,
  error,
  onRerun,
  rerunning,
}: {
  view: PreflightView;
  now: number;
  eventStatus: string;
  onSubmit: (request: ReplayRequest) => void;
  submitting: boolean;
  error: unknown;
  /** Takes the preflight again with this override (or none): the token binds the exact request. */
  onRerun: (override: OverrideRequest | null) => void;
  rerunning: boolean;
}) {
  const p = view.preflight;
  const id = useId();
  const [operator, setOperator] = useState(rememberedOperator);
  const [reason, setReason] = useState('');
  // Ticks belong to one preflight: a new token (new side effects, maybe) starts unticked.
  const [acknowledged, toggle] = useAcknowledgments<number>(p.ack_token);
  const [again, setAgain] = useState('');
  const overrideState = useOverrideState(p.override_request);
  const me = useWhoami().data;
  // Team mode: an approval request, decided by another login with the approver role, stands
  // for the approver; a typed name would count for nothing.
  const team = me?.authenticated === true;

  const override: OverrideRequest | null = overrideState.on
    ? { reassignment_reason: overrideState.reason, approved_by: team ? REQUESTED_APPROVER : overrideState.approver }
    : null;
  const form: ReplayFormState = { operator, reason, acknowledged, again, override };
  const roleBlocked = roleBlock(me, 'replay');
  const gate = roleBlocked !== null ? ({ ok: false, reason: roleBlocked } as const) : replayGate(view, form, now, eventStatus);
  const canSubmit = gate.ok && !submitting && !rerunning;

  const askAgain = eventStatus === 'replayed' || p.findings.some((f) => f.code === 'already_replayed');
  const offerOverride = p.override_request !== null || p.changes.some((c) => c.protected);
  const overrideDiffers =
    (override === null) !== (p.override_request === null) ||
    (override !== null &&
      (override.reassignment_reason.trim() !== p.override_request?.reassignment_reason.trim() ||
        override.approved_by.trim() !== p.override_request?.approved_by.trim()));
  const overrideComplete = override === null || (override.reassignment_reason.trim() !== '' && override.approved_by.trim() !== '');
  const writer = p.acts_as || p.integration_user;

  const submit = (e?: FormEvent) => {
    e?.preventDefault();
    // Enter in a field submits the form; only a passing gate sends anything.
    if (!canSubmit) return;
    rememberOperator(operator);
    onSubmit(replayRequest(view, form));
  };

  const onReasonKey = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) submit(e as unknown as FormEvent);
  };

  return (
    <form className="replay-form" aria-label="Replay" onSubmit={submit} noValidate>
      <div className="form-row">
        <OperatorField id={`${id}-operator`} value={operator} onChange={setOperator} />
      </div>
      <ReasonField
        id={`${id}-reason`}
        value={reason}
        onChange={setReason}
        onKeyDown={onReasonKey}
        placeholder="Why this event is written again, e.g. the incident it belongs to"
      />

      {offerOverride && (
        <OverrideFields
          id={id}
          label="Write the protected fields under an approved override"
          approverHint="Someone other than you"
          state={overrideState}
          approval={team ? 'request' : 'declared'}
        >
          {overrideDiffers && overrideComplete && (
            <div className="override-rerun">
              <button type="button" className="btn btn-small" disabled={rerunning} onClick={() => onRerun(override)}>
                {override === null ? 'Run the preflight without the override' : 'Run the preflight with this override'}
              </button>
              <span className="muted">The acknowledgment binds the exact request, so the preflight is taken again.</span>
            </div>
          )}
          {p.override_request !== null && !overrideDiffers && (
            <p className="muted override-note">
              {p.override_request.approved_by === REQUESTED_APPROVER
                ? 'This preflight was taken with the override; the replay opens an approval request for it (or runs once another login has approved it).'
                : `This preflight was taken with the override approved by ${p.override_request.approved_by} (declared, not authenticated).`}
            </p>
          )}
        </OverrideFields>
      )}

      <fieldset className="acks">
        <legend className="form-label">Side effects to acknowledge</legend>
        {p.side_effects.length === 0 ? (
          <p className="muted">None: nothing would be sent.</p>
        ) : (
          <ul>
            {p.side_effects.map((s, i) => (
              <li key={`${p.ack_token}-${i}`}>
                <label className="check">
                  <input type="checkbox" checked={acknowledged.has(i)} onChange={() => toggle(i)} data-code={s.code} />
                  <span>{s.text}</span>
                </label>
              </li>
            ))}
          </ul>
        )}
      </fieldset>

      {askAgain && (
        <label className="form-field" htmlFor={`${id}-again`}>
          <span className="form-label">Reason to replay again</span>
          <input
            id={`${id}-again`}
            type="text"
            value={again}
            onChange={(e) => setAgain(e.target.value)}
            placeholder="Why write an event that was already replayed"
          />
        </label>
      )}

      <div className="submit-row">
        <button type="submit" className="btn btn-primary btn-replay" disabled={!canSubmit} aria-describedby={`${id}-gate`}>
          {submitting ? 'Replaying…' : `Replay as ${writer}`}
        </button>
        <p id={`${id}-gate`} className={`gate-reason${gate.ok ? ' is-ok' : ''}`} aria-live="polite">
          {gate.ok ? 'Ready. Enter sends it.' : gate.reason}
        </p>
        {(freshFor(view, now) <= 0 || eventStatus !== p.event.status) && (
          <button type="button" className="btn" disabled={rerunning} onClick={() => onRerun(p.override_request)}>
            Preflight again
          </button>
        )}
      </div>
      {error !== null && error !== undefined && <ReplayError error={error} login={me?.login ?? null} />}
    </form>
  );
}

/**
 * A refused replay. `approval_pending` is not a failure to fix but a step of team mode: the
 * request is open and waits for another login with the approver role.
 */
function ReplayError({ error, login }: { error: unknown; login: string | null }) {
  const e = toIpcError(error);
  if (e.code !== 'approval_pending') return <ErrorBanner context="Replay" error={error} />;
  return (
    <section className="card callout tone-attention approval-pending" role="status" aria-label="Approval requested">
      <h2>An approval request was opened{login !== null ? ` for your login ${login}` : ''}</h2>
      <p>
        Nothing was written. Another login with the approver role approves or rejects it under Approvals; once approved,
        replay again with this same preflight.
      </p>
      <p className="muted">{e.message}</p>
    </section>
  );
}
