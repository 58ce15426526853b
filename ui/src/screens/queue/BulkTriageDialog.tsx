import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { Dialog } from '../../components/Dialog';
import { ErrorBanner } from '../../components/ErrorBanner';
import { RoleNote } from '../../components/RoleNote';
import { useTriage, useWhoami, type TriageChange } from '../../ipc';
import { formatCount } from '../../lib/format';
import { rememberOperator, rememberedOperator } from '../../lib/operator';
import { useRoleBlock } from '../../lib/roles';

/** The backend's limits (services/triage.rs): events in one change, a tag's length. */
export const MAX_TRIAGE_EVENTS = 10_000;
const MAX_TAG = 40;
const MAX_NOTE = 4000;

/** A tag as the backend takes it: letters, digits and - _ . : / only, at most 40. */
function tagProblem(tag: string): string | null {
  const t = tag.trim();
  if (t === '') return null;
  if ([...t].length > MAX_TAG) return `At most ${MAX_TAG} characters.`;
  if (!/^[\p{L}\p{N}\-_.:/]+$/u.test(t)) return 'Letters, digits and - _ . : / only.';
  return null;
}

const events = (n: number) => `${formatCount(n)} ${n === 1 ? 'event' : 'events'}`;

/**
 * One triage change for the events ticked in the queue: assignee, investigating mark, a tag in or
 * out, a note. What is left at "No change" stays as it is on each event. Each event changed gets
 * its own audit entry, with who made the change.
 */
export function BulkTriageDialog({
  eventIds,
  onDone,
  onClose,
}: {
  /** The selected events, taken when the dialog opened. */
  eventIds: readonly number[];
  /** After the change was applied: the queue clears its selection. */
  onDone: () => void;
  onClose: () => void;
}) {
  const id = useId();
  const triage = useTriage();
  const me = useWhoami();
  const blocked = useRoleBlock('edit');
  const team = me.data?.authenticated === true;
  const [by, setBy] = useState(rememberedOperator);
  const [assign, setAssign] = useState<'keep' | 'set' | 'clear'>('keep');
  const [assignee, setAssignee] = useState('');
  const [investigating, setInvestigating] = useState<'keep' | 'on' | 'off'>('keep');
  const [addTag, setAddTag] = useState('');
  const [removeTag, setRemoveTag] = useState('');
  const [note, setNote] = useState('');
  const byRef = useRef<HTMLInputElement>(null);
  const assignRef = useRef<HTMLSelectElement>(null);
  const assigneeRef = useRef<HTMLInputElement>(null);
  const resultRef = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    (byRef.current !== null && by.trim() === '' ? byRef.current : assignRef.current)?.focus();
    // Focus once, on opening: the name when it is still to be typed, else the first change.
  }, []);

  // "Assign to…" picked: the name is what comes next.
  useEffect(() => {
    if (assign === 'set') assigneeRef.current?.focus();
  }, [assign]);

  const done = triage.data;
  useEffect(() => {
    if (done) resultRef.current?.focus();
  }, [done]);

  const who = team || by.trim() !== '';
  const addProblem = tagProblem(addTag);
  const removeProblem = tagProblem(removeTag);
  const sameTag = addTag.trim() !== '' && addTag.trim().toLowerCase() === removeTag.trim().toLowerCase();
  const tooMany = eventIds.length > MAX_TRIAGE_EVENTS;
  const change: TriageChange = {
    ...(assign === 'set' ? { assign: assignee.trim() } : assign === 'clear' ? { assign: '' } : {}),
    ...(investigating === 'keep' ? {} : { investigating: investigating === 'on' }),
    add_tags: addTag.trim() === '' ? [] : [addTag.trim()],
    remove_tags: removeTag.trim() === '' ? [] : [removeTag.trim()],
    ...(note.trim() === '' ? {} : { note: note.trim() }),
    by: team ? (me.data?.login ?? '') : by.trim(),
  };
  const anyChange =
    change.assign !== undefined || change.investigating !== undefined || change.add_tags.length > 0 || change.remove_tags.length > 0 || change.note !== undefined;
  const valid = !(assign === 'set' && assignee.trim() === '') && addProblem === null && removeProblem === null && !sameTag && !tooMany;
  const ready = who && anyChange && valid && blocked === null && !triage.isPending && eventIds.length > 0;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!ready) return;
    if (!team) rememberOperator(by);
    triage.mutate({ eventIds: [...eventIds], change }, { onSuccess: onDone });
  };

  return (
    <Dialog title={`Triage ${events(eventIds.length)}`} className="bulk-triage-dialog" onEscape={triage.isPending ? undefined : onClose}>
      {done ? (
        <div>
          <h3 ref={resultRef} tabIndex={-1} className="bulk-triage-result" role="status">
            {done.changed.length === 0
              ? `Nothing changed: the ${events(done.unchanged.length)} already were as asked`
              : `Updated ${events(done.changed.length)}`}
          </h3>
          {done.changed.length > 0 && done.unchanged.length > 0 && (
            <p className="muted">
              {events(done.unchanged.length)} already {done.unchanged.length === 1 ? 'was' : 'were'} as asked and stayed as{' '}
              {done.unchanged.length === 1 ? 'it was' : 'they were'}.
            </p>
          )}
          <p className="muted">Each event changed has its own entry in the audit log. The selection was cleared.</p>
          <div className="dialog-actions">
            <button type="button" className="btn btn-primary" onClick={onClose}>
              Close
            </button>
          </div>
        </div>
      ) : (
        <form onSubmit={submit} className="bulk-triage-form">
          <p className="muted">
            One change for every selected event, each recorded in its audit trail. What stays at “No change” is left as it is on
            each event.
          </p>
          {!team && (
            <label className="form-field" htmlFor={`${id}-by`}>
              <span className="form-label">You</span>
              <input
                id={`${id}-by`}
                ref={byRef}
                type="text"
                autoComplete="name"
                required
                value={by}
                onChange={(e) => setBy(e.target.value)}
                placeholder="Who you are: recorded with each change"
              />
            </label>
          )}
          <div className="bulk-triage-row">
            <label className="form-field" htmlFor={`${id}-assign`}>
              <span className="form-label">Assignee</span>
              <select id={`${id}-assign`} ref={assignRef} value={assign} onChange={(e) => setAssign(e.target.value as typeof assign)}>
                <option value="keep">No change</option>
                <option value="set">Assign to…</option>
                <option value="clear">Unassign</option>
              </select>
            </label>
            {assign === 'set' && (
              <label className="form-field grow" htmlFor={`${id}-assignee`}>
                <span className="form-label">Assign to</span>
                <input
                  id={`${id}-assignee`}
                  ref={assigneeRef}
                  type="text"
                  value={assignee}
                  onChange={(e) => setAssignee(e.target.value)}
                  placeholder="Who works on them"
                />
              </label>
            )}
          </div>
          <label className="form-field" htmlFor={`${id}-investigating`}>
            <span className="form-label">Investigating</span>
            <select id={`${id}-investigating`} value={investigating} onChange={(e) => setInvestigating(e.target.value as typeof investigating)}>
              <option value="keep">No change</option>
              <option value="on">Mark as being investigated</option>
              <option value="off">Done investigating</option>
            </select>
          </label>
          <div className="bulk-triage-row">
            <TagField
              id={`${id}-add-tag`}
              label="Add tag"
              value={addTag}
              onChange={setAddTag}
              placeholder="e.g. inc-4711"
              problem={addProblem}
              clash={sameTag}
            />
            <TagField
              id={`${id}-remove-tag`}
              label="Remove tag"
              value={removeTag}
              onChange={setRemoveTag}
              placeholder="A tag they carry"
              problem={removeProblem}
              clash={sameTag}
            />
          </div>
          {sameTag && <p className="bulk-triage-problem">A tag cannot be added and removed in one change.</p>}
          <label className="form-field" htmlFor={`${id}-note`}>
            <span className="form-label">Note</span>
            <textarea
              id={`${id}-note`}
              rows={2}
              maxLength={MAX_NOTE}
              value={note}
              onChange={(e) => setNote(e.target.value)}
              placeholder="Left on each event, for the next person"
            />
          </label>
          {tooMany && (
            <p className="bulk-triage-problem">
              At most {formatCount(MAX_TRIAGE_EVENTS)} events in one change: narrow the filter or the selection.
            </p>
          )}
          {!who && <p className="hint">Say who you are first: each change is recorded with your name.</p>}
          <RoleNote reason={blocked} />
          {triage.isError && <ErrorBanner context="Triage" error={triage.error} />}
          <div className="dialog-actions">
            <button type="button" className="btn" onClick={onClose} disabled={triage.isPending}>
              Cancel
            </button>
            <button type="submit" className="btn btn-primary" disabled={!ready}>
              {triage.isPending ? 'Applying…' : `Apply to ${events(eventIds.length)}`}
            </button>
          </div>
        </form>
      )}
    </Dialog>
  );
}

/** A tag to add or remove, with what is wrong with it (`clash`: the same tag both ways). */
function TagField({
  id,
  label,
  value,
  onChange,
  placeholder,
  problem,
  clash,
}: {
  id: string;
  label: string;
  value: string;
  onChange: (value: string) => void;
  placeholder: string;
  problem: string | null;
  clash: boolean;
}) {
  return (
    <div className="form-field grow">
      <label className="form-label" htmlFor={id}>
        {label}
      </label>
      <input
        id={id}
        type="text"
        value={value}
        onChange={(e) => onChange(e.target.value)}
        placeholder={placeholder}
        aria-invalid={problem !== null || clash ? true : undefined}
        aria-describedby={problem !== null ? `${id}-problem` : undefined}
      />
      {problem !== null && (
        <span id={`${id}-problem`} className="bulk-triage-problem">
          {problem}
        </span>
      )}
    </div>
  );
}
