import { useId, useState, type FormEvent } from 'react';
import { ErrorBanner } from '../../components/ErrorBanner';
import { RoleNote } from '../../components/RoleNote';
import { useTriage, useWhoami, type EventDetail, type TriageChange } from '../../ipc';
import { formatTime } from '../../lib/format';
import { rememberOperator, rememberedOperator } from '../../lib/operator';
import { useRoleBlock } from '../../lib/roles';

/**
 * Who works on this event: its assignee, whether someone is investigating it, its tags and the
 * notes left on it. Each change is an audit entry.
 */
export function TriageCard({ event }: { event: EventDetail }) {
  const id = useId();
  const t = event.triage;
  const triage = useTriage();
  const me = useWhoami();
  const blocked = useRoleBlock('edit');
  const team = me.data?.authenticated === true;
  const [by, setBy] = useState(rememberedOperator);
  const [assignee, setAssignee] = useState(t.assignee ?? '');
  const [tag, setTag] = useState('');
  const [note, setNote] = useState('');
  const who = team || by.trim() !== '';
  const busy = triage.isPending || blocked !== null;
  const send = (change: Omit<TriageChange, 'by' | 'add_tags' | 'remove_tags'> & Partial<Pick<TriageChange, 'add_tags' | 'remove_tags'>>) => {
    if (!who) return;
    if (!team) rememberOperator(by);
    triage.mutate({ eventIds: [event.id], change: { add_tags: [], remove_tags: [], ...change, by: by.trim() } });
  };
  const submitNote = (e: FormEvent) => {
    e.preventDefault();
    if (note.trim() === '') return;
    send({ note: note.trim() });
    setNote('');
  };
  return (
    <section className="card triage-card" aria-labelledby={`${id}-title`}>
      <header className="card-head">
        <div>
          <h2 id={`${id}-title`}>Triage</h2>
          <p className="muted">
            {t.assignee ? `Assigned to ${t.assignee}` : 'Unassigned'}
            {t.investigating ? ' · being investigated' : ''}
            {t.updated_by ? ` · last changed by ${t.updated_by}, ${formatTime(t.updated_at ?? '')}` : ''}
          </p>
        </div>
      </header>
      <div className="card-body">
        {!team && (
          <label className="form-field" htmlFor={`${id}-by`}>
            <span className="form-label">You</span>
            <input id={`${id}-by`} type="text" autoComplete="name" value={by} onChange={(e) => setBy(e.target.value)} placeholder="Who you are: recorded with each change" />
          </label>
        )}
        <div className="triage-row">
          <label className="form-field" htmlFor={`${id}-assignee`}>
            <span className="form-label">Assignee</span>
            <input id={`${id}-assignee`} type="text" value={assignee} onChange={(e) => setAssignee(e.target.value)} placeholder="Who works on it" />
          </label>
          <button type="button" className="btn" disabled={busy || !who || assignee.trim() === (t.assignee ?? '')} onClick={() => send({ assign: assignee.trim() })}>
            {assignee.trim() === '' && t.assignee ? 'Unassign' : 'Assign'}
          </button>
          <button type="button" className="btn" disabled={busy || !who} onClick={() => send({ investigating: !t.investigating })}>
            {t.investigating ? 'Done investigating' : 'Mark investigating'}
          </button>
        </div>
        <div className="triage-tags" aria-label="Tags">
          {t.tags.map((tg) => (
            <span key={tg} className="badge tone-neutral triage-tag">
              {tg}
              <button type="button" className="tag-remove" aria-label={`Remove tag ${tg}`} disabled={busy || !who} onClick={() => send({ remove_tags: [tg] })}>
                ×
              </button>
            </span>
          ))}
          <form
            className="triage-add-tag"
            onSubmit={(e) => {
              e.preventDefault();
              if (tag.trim() === '') return;
              send({ add_tags: [tag.trim()] });
              setTag('');
            }}
          >
            <input type="text" aria-label="New tag" value={tag} onChange={(e) => setTag(e.target.value)} placeholder="Add a tag, e.g. inc-4711" />
            <button type="submit" className="btn btn-small" disabled={busy || !who || tag.trim() === ''}>
              Add tag
            </button>
          </form>
        </div>
        {t.notes.length > 0 && (
          <ol className="triage-notes" aria-label="Notes">
            {t.notes.map((n) => (
              <li key={n.id}>
                <span className="triage-note-meta">
                  <strong>{n.author}</strong> {n.author_authenticated ? '' : <span className="muted">(declared)</span>} · {formatTime(n.at)}
                </span>
                <span className="triage-note-text">{n.text}</span>
              </li>
            ))}
          </ol>
        )}
        <form className="triage-note-form" onSubmit={submitNote}>
          <label className="form-field" htmlFor={`${id}-note`}>
            <span className="form-label">Note</span>
            <textarea id={`${id}-note`} rows={2} value={note} onChange={(e) => setNote(e.target.value)} placeholder="What you found, for the next person" />
          </label>
          <button type="submit" className="btn" disabled={busy || !who || note.trim() === ''}>
            Add note
          </button>
        </form>
        {!who && <p className="hint">Say who you are first: each change is recorded with your name.</p>}
        <RoleNote reason={blocked} />
        {triage.isError && <ErrorBanner context="Triage" error={triage.error} />}
      </div>
    </section>
  );
}
