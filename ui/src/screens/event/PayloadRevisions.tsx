import { useId, useState, type FormEvent } from 'react';
import { ErrorBanner } from '../../components/ErrorBanner';
import { ReasonField } from '../../components/ReasonField';
import { RoleNote } from '../../components/RoleNote';
import { useApproveEdit, useRevisions, useWhoami, type EventDetail, type PayloadChange, type RevisionView } from '../../ipc';
import { formatTime } from '../../lib/format';
import { rememberedOperator } from '../../lib/operator';
import { useRoleBlock } from '../../lib/roles';
import { EditPayloadDialog } from './EditPayloadDialog';
import { showValue } from './payloadText';

/**
 * The event's payload revisions: what the replay would write against what was imported, who
 * edited and who approved, the way to propose an edit and to approve another person's.
 */
export function PayloadRevisions({ event }: { event: EventDetail }) {
  const q = useRevisions(event.id);
  const [editing, setEditing] = useState(false);
  const editBlocked = useRoleBlock('edit');
  const editable = event.status === 'failed' || event.status === 'blocked';
  const v = q.data;
  const current = v?.revisions.at(-1);
  const earlier = v?.revisions.slice(0, -1) ?? [];
  return (
    <section className="card payload-revisions" aria-labelledby="revisions-title">
      <header className="card-head">
        <div>
          <h2 id="revisions-title">Payload edits</h2>
          <p className="muted">
            {current === undefined
              ? 'Never edited: a replay writes the payload as imported.'
              : `Revision ${current.revision} is what a replay writes; the imported payload is kept beside it.`}
          </p>
        </div>
        {editable && (
          <button
            type="button"
            className="btn"
            onClick={() => setEditing(true)}
            disabled={editBlocked !== null || v === undefined}
            title={editBlocked ?? 'Propose an edited payload as a new revision'}
          >
            Edit payload…
          </button>
        )}
      </header>
      {editable && <RoleNote reason={editBlocked} />}
      {q.isError && <ErrorBanner context="Payload edits" error={q.error} onRetry={() => void q.refetch()} />}
      {current && (
        <div className="card-body">
          <RevisionBlock eventId={event.id} r={current} editable={editable} />
          {earlier.length > 0 && (
            <details className="earlier-revisions">
              <summary>
                {earlier.length} earlier {earlier.length === 1 ? 'revision' : 'revisions'}
              </summary>
              {earlier.reverse().map((r) => (
                <RevisionBlock key={r.revision} eventId={event.id} r={r} editable={false} />
              ))}
            </details>
          )}
        </div>
      )}
      {editing && v && <EditPayloadDialog view={v} onClose={() => setEditing(false)} />}
    </section>
  );
}

function who(name: string, authenticated: boolean | null) {
  return (
    <>
      <strong>{name}</strong>{' '}
      <span className="muted">{authenticated ? '(login)' : '(declared, not authenticated)'}</span>
    </>
  );
}

function RevisionBlock({ eventId, r, editable }: { eventId: number; r: RevisionView; editable: boolean }) {
  return (
    <div className="revision" aria-label={`Revision ${r.revision}`}>
      <p className="revision-meta">
        <span className="revision-no">Revision {r.revision}</span>
        {r.current ? <span className="badge tone-info">current</span> : <span className="badge tone-neutral">replaced</span>} edited by{' '}
        {who(r.editor, r.editor_authenticated)} · {formatTime(r.created_at)}
      </p>
      <p className="revision-reason">“{r.reason}”</p>
      {r.protected_override && (
        <p className="callout card tone-warning revision-override" role="note">
          Protected fields edited: {r.protected_override}
        </p>
      )}
      <ChangesTable changes={r.changes} caption={`Changes of revision ${r.revision} against the imported payload`} />
      {r.approved_by !== null ? (
        <p className="revision-approved tone-success">
          Approved by {who(r.approved_by, r.approver_authenticated)} · {formatTime(r.approved_at ?? '')}
          {r.approval_reason && <span className="muted"> · “{r.approval_reason}”</span>}
        </p>
      ) : r.current && editable ? (
        <ApproveForm eventId={eventId} r={r} />
      ) : (
        <p className="muted">Not approved.</p>
      )}
    </div>
  );
}

/** Field, value as imported, value in the revision. */
export function ChangesTable({
  changes,
  caption,
  beforeLabel = 'Imported',
  afterLabel = 'Edited',
}: {
  changes: PayloadChange[];
  caption: string;
  beforeLabel?: string;
  afterLabel?: string;
}) {
  return (
    <table className="plain changes-table" aria-label={caption}>
      <thead>
        <tr>
          <th scope="col">Field</th>
          <th scope="col">{beforeLabel}</th>
          <th scope="col">{afterLabel}</th>
        </tr>
      </thead>
      <tbody>
        {changes.map((c) => (
          <tr key={c.field}>
            <td className="mono">{c.field}</td>
            <td className="mono change-before">{c.before === null ? <span className="muted">(absent)</span> : showValue(c.before)}</td>
            <td className="mono change-after">{c.after === null ? <span className="muted">(removed)</span> : showValue(c.after)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function ApproveForm({ eventId, r }: { eventId: number; r: RevisionView }) {
  const id = useId();
  const approve = useApproveEdit(eventId);
  const me = useWhoami();
  const blocked = useRoleBlock('approveEdit');
  const team = me.data?.authenticated === true;
  const [approver, setApprover] = useState(() => (rememberedOperator() === r.editor ? '' : rememberedOperator()));
  const [reason, setReason] = useState('');
  const self = team ? me.data?.login === r.editor : approver.trim().toLowerCase() === r.editor.trim().toLowerCase();
  const ready = (team || approver.trim() !== '') && reason.trim() !== '' && !self && blocked === null && !approve.isPending;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (ready) approve.mutate({ revision: r.revision, approver: approver.trim(), reason: reason.trim() });
  };
  return (
    <form className="approve-edit" onSubmit={submit} aria-label={`Approve revision ${r.revision}`}>
      <p className="callout card tone-attention" role="note">
        Awaits approval by someone other than {r.editor}. Until then a replay of this event is refused; after it, a preflight
        taken on this revision reads the record again before anything is written.
      </p>
      {!team && (
        <label className="form-field" htmlFor={`${id}-approver`}>
          <span className="form-label">Approver</span>
          <input
            id={`${id}-approver`}
            type="text"
            value={approver}
            onChange={(e) => setApprover(e.target.value)}
            placeholder="Someone other than the editor: declared, recorded as such"
          />
        </label>
      )}
      <ReasonField id={`${id}-reason`} rows={2} value={reason} onChange={setReason} />
      {self && <p className="field-error">{team ? 'You edited this revision' : `${r.editor} edited this revision`}: someone else approves it.</p>}
      <RoleNote reason={blocked} />
      {approve.isError && <ErrorBanner context="Approval" error={approve.error} />}
      <div className="submit-row">
        <button type="submit" className="btn btn-primary" disabled={!ready}>
          {approve.isPending ? 'Approving…' : `Approve revision ${r.revision}`}
        </button>
      </div>
    </form>
  );
}
