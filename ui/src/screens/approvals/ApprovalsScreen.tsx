import { useId, useState } from 'react';
import { ErrorBanner } from '../../components/ErrorBanner';
import { useApprovalDecide, useApprovals, useWhoami, type Approval, type Person } from '../../ipc';
import { formatTime } from '../../lib/format';
import { approvalOrder, decideBlock } from '../../lib/roles';
import './approvals.css';

const STATUS_TONE: Record<string, string> = { pending: 'attention', approved: 'success', rejected: 'danger' };

/**
 * Team mode's approval requests: an override the lane contract says needs approval waits for
 * another login with the approver role. Pending ones first, each with what it would let happen
 * and who asked; Approve and Reject need a reason, and stay disabled, saying why, for a login
 * that may not decide (no approver role, or the requester).
 */
export function ApprovalsScreen({ onOpenEvent }: { onOpenEvent: (eventId: number) => void }) {
  const me = useWhoami();
  const person = me.data;
  const team = person?.authenticated === true;
  const q = useApprovals(team);
  const list = approvalOrder(q.data ?? []);
  const pending = list.filter((a) => a.status === 'pending').length;

  return (
    <div className="screen approvals-screen">
      <header className="screen-header">
        <div>
          <h1>Approvals</h1>
          <p className="screen-sub">
            Overrides of protected fields wait here for another login with the approver role. The replay then runs with the
            same preflight; the audit names both logins.
          </p>
        </div>
        {team && (
          <div className="screen-actions">
            <button type="button" className="btn" onClick={() => void q.refetch()}>
              Refresh
            </button>
          </div>
        )}
      </header>
      <div className="approvals-body">
        {me.isError && <ErrorBanner context="Who is at the console" error={me.error} />}
        {person !== undefined && !team && (
          <p className="callout card tone-info" role="note">
            Approvals need a team server (<span className="mono">--db postgres://LOGIN@HOST:PORT/DATABASE</span>): a database file
            has one person and no logins, so an override&apos;s approver there is declared, not authenticated.
          </p>
        )}
        {q.isError && <ErrorBanner context="Approvals" error={q.error} onRetry={() => void q.refetch()} />}
        {team && q.isPending && <p className="muted">Loading approval requests…</p>}
        {team && q.isSuccess && (
          <p className="approvals-count muted" aria-live="polite">
            {pending === 0 ? 'Nothing waits for a decision.' : `${pending} ${pending === 1 ? 'request waits' : 'requests wait'} for a decision.`}
          </p>
        )}
        <ul className="approvals-list" aria-label="Approval requests">
          {list.map((a) => (
            <li key={a.id}>
              <ApprovalCard approval={a} person={person} onOpenEvent={onOpenEvent} />
            </li>
          ))}
        </ul>
      </div>
    </div>
  );
}

function ApprovalCard({ approval: a, person, onOpenEvent }: { approval: Approval; person: Person | undefined; onOpenEvent: (id: number) => void }) {
  const id = useId();
  const [reason, setReason] = useState('');
  const decide = useApprovalDecide();
  const blocked = decideBlock(person, a);
  const why = blocked ?? (reason.trim() === '' ? 'Give the reason for your decision.' : null);
  const disabled = why !== null || decide.isPending;
  const send = (approve: boolean) => {
    if (disabled) return;
    decide.mutate({ id: a.id, approve, reason: reason.trim() }, { onSuccess: () => setReason('') });
  };

  return (
    <article className="card approval" aria-label={`Approval request ${a.id}`} data-approval-id={a.id} data-status={a.status}>
      <header className="card-head approval-head">
        <h2>
          Request {a.id}{' '}
          <span className={`badge tone-${STATUS_TONE[a.status] ?? 'neutral'}`}>
            <span className="dot" aria-hidden="true" />
            {a.status}
          </span>
        </h2>
        <button type="button" className="btn btn-small btn-ghost" onClick={() => onOpenEvent(a.event_id)}>
          Event {a.event_id} →
        </button>
      </header>
      <div className="card-body">
        <dl className="approval-facts">
          <dt>Event</dt>
          <dd>
            {a.event_id}, preflight {a.preflight_id} <span className="mono muted" title="The preflight's digest the approval is bound to">{a.digest.slice(0, 12)}</span>
          </dd>
          <dt>Requested by</dt>
          <dd>
            <span className="mono">{a.requested_by}</span>
            {a.display_name !== '' && a.display_name !== a.requested_by && <span className="muted"> (typed: {a.display_name})</span>}
            <span className="muted"> · {formatTime(a.requested_at)}</span>
          </dd>
          <dt>Reassignment reason</dt>
          <dd>{a.reassignment_reason || <span className="muted">none given</span>}</dd>
          {a.status !== 'pending' && (
            <>
              <dt>Decided by</dt>
              <dd>
                <span className="mono">{a.decided_by}</span>
                {a.decided_at && <span className="muted"> · {formatTime(a.decided_at)}</span>}
                {a.decision_reason && <>: {a.decision_reason}</>}
              </dd>
            </>
          )}
        </dl>
        {a.status === 'pending' && (
          <form className="approval-decide" aria-label={`Decide request ${a.id}`} onSubmit={(e) => e.preventDefault()}>
            <label className="form-field" htmlFor={`${id}-reason`}>
              <span className="form-label">Reason for your decision</span>
              <textarea
                id={`${id}-reason`}
                rows={2}
                value={reason}
                disabled={blocked !== null}
                onChange={(e) => setReason(e.target.value)}
                placeholder="e.g. finance confirmed the reassignment"
              />
            </label>
            <div className="submit-row">
              <button type="button" className="btn btn-primary btn-approve" disabled={disabled} aria-describedby={`${id}-why`} onClick={() => send(true)}>
                {decide.isPending && decide.variables.approve ? 'Approving…' : 'Approve'}
              </button>
              <button type="button" className="btn btn-danger-ghost btn-reject" disabled={disabled} aria-describedby={`${id}-why`} onClick={() => send(false)}>
                {decide.isPending && !decide.variables.approve ? 'Rejecting…' : 'Reject'}
              </button>
              <p id={`${id}-why`} className={`gate-reason decide-reason${blocked !== null ? ' is-blocked' : ''}`} aria-live="polite">
                {why ?? `You decide as ${person?.login ?? ''}; the audit records your login.`}
              </p>
            </div>
            {decide.isError && <ErrorBanner context="Decision" error={decide.error} />}
          </form>
        )}
      </div>
    </article>
  );
}
