import { useId, useMemo, useState, type FormEvent } from 'react';
import { Dialog } from '../../components/Dialog';
import { ErrorBanner } from '../../components/ErrorBanner';
import { ReasonField } from '../../components/ReasonField';
import { useEditPayload, useWhoami, type PayloadChange, type JsonValue, type RevisionsView } from '../../ipc';
import { rememberOperator, rememberedOperator } from '../../lib/operator';
import { ChangesTable } from './PayloadRevisions';
import { isFieldName, readValue, showValue } from './payloadText';

interface Row {
  field: string;
  /** The value as shown when the dialog opened (the current payload's). */
  shown: string;
  text: string;
  removed: boolean;
  /** Added in this dialog. */
  added: boolean;
}

type Payload = Record<string, JsonValue | undefined>;

function rowsOf(payload: Payload): Row[] {
  return Object.keys(payload)
    .sort()
    .map((field) => {
      const shown = showValue(payload[field]);
      return { field, shown, text: shown, removed: false, added: false };
    });
}

/**
 * Proposes an edited payload: the current payload's fields, each editable or removable, new
 * ones added. Only what the operator changed is sent; the diff against the current payload is
 * shown before anything is stored. The result is a new revision awaiting another person's approval.
 */
export function EditPayloadDialog({ view, onClose }: { view: RevisionsView; onClose: () => void }) {
  const id = useId();
  const edit = useEditPayload(view.event_id);
  const me = useWhoami();
  const team = me.data?.authenticated === true;
  const current = (view.revisions.at(-1)?.payload ?? view.original) as Payload;
  const [rows, setRows] = useState<Row[]>(() => rowsOf(current));
  const [newField, setNewField] = useState('');
  const [newValue, setNewValue] = useState('');
  const [editor, setEditor] = useState(rememberedOperator);
  const [reason, setReason] = useState('');
  const [override, setOverride] = useState('');

  // What the edit does to the current payload.
  const changes: PayloadChange[] = useMemo(
    () =>
      rows
        .filter((r) => r.removed || r.added || r.text !== r.shown)
        .map((r) => ({
          field: r.field,
          before: r.added ? null : (current[r.field] ?? null),
          after: r.removed ? null : readValue(r.text),
        }))
        .filter((c) => !(c.before === null && c.after === null)),
    [rows, current],
  );
  const protectedTouched = changes
    .filter((c) => c.after !== null && view.protected_fields.some((p) => p.toLowerCase() === c.field.toLowerCase()))
    .map((c) => c.field);
  const newFieldProblem =
    newField.trim() === ''
      ? null
      : !isFieldName(newField.trim())
        ? 'A field name is a letter, then letters, digits and underscores.'
        : rows.some((r) => r.field.toLowerCase() === newField.trim().toLowerCase())
          ? 'The payload already has this field: edit it above.'
          : null;
  const ready =
    changes.length > 0 &&
    reason.trim() !== '' &&
    (team || editor.trim() !== '') &&
    (protectedTouched.length === 0 || override.trim() !== '') &&
    !edit.isPending;

  const update = (field: string, patch: Partial<Row>) => setRows((rs) => rs.map((r) => (r.field === field ? { ...r, ...patch } : r)));
  const addField = () => {
    const f = newField.trim();
    if (f === '' || newFieldProblem !== null) return;
    setRows((rs) => [...rs, { field: f, shown: '', text: newValue, removed: false, added: true }]);
    setNewField('');
    setNewValue('');
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!ready) return;
    if (!team) rememberOperator(editor);
    edit.mutate(
      {
        set: changes.filter((c) => c.after !== null).map((c) => ({ field: c.field, value: c.after as JsonValue })),
        unset: changes.filter((c) => c.after === null).map((c) => c.field),
        editor: editor.trim(),
        reason: reason.trim(),
        ...(protectedTouched.length > 0 ? { protected_override: override.trim() } : {}),
      },
      { onSuccess: onClose },
    );
  };

  return (
    <Dialog title={`Edit the payload of event ${view.event_id}`} className="edit-payload-dialog" onEscape={onClose}>
      <form onSubmit={submit}>
        <p className="muted">
          The edit becomes revision {(view.revisions.at(-1)?.revision ?? 0) + 1}; the imported payload is kept. It is replayed only after
          someone other than you approves it and a preflight reads the record again with it. Values are text; a number, true, false
          or null is written as such, "quoted" to keep it text.
        </p>
        <div className="edit-fields-scroll">
          <table className="plain edit-fields" aria-label="Payload fields">
            <thead>
              <tr>
                <th scope="col">Field</th>
                <th scope="col">Value</th>
                <th scope="col">Remove</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => {
                const isProtected = view.protected_fields.some((p) => p.toLowerCase() === r.field.toLowerCase());
                return (
                  <tr key={r.field} className={r.removed ? 'is-removed' : r.text !== r.shown || r.added ? 'is-changed' : undefined}>
                    <td className="mono">
                      <label htmlFor={`${id}-f-${r.field}`}>{r.field}</label>
                      {isProtected && (
                        <span className="badge tone-warning protected-mark" title="A protected field of the lane: editing it needs a reason">
                          protected
                        </span>
                      )}
                    </td>
                    <td>
                      <input
                        id={`${id}-f-${r.field}`}
                        className="mono"
                        type="text"
                        value={r.text}
                        disabled={r.removed}
                        onChange={(e) => update(r.field, { text: e.target.value })}
                      />
                    </td>
                    <td className="edit-remove">
                      <input
                        type="checkbox"
                        aria-label={`Remove ${r.field}`}
                        checked={r.removed}
                        onChange={(e) => update(r.field, { removed: e.target.checked })}
                      />
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
        <div className="edit-add">
          <label className="form-field" htmlFor={`${id}-new-field`}>
            <span className="form-label">New field</span>
            <input id={`${id}-new-field`} className="mono" type="text" value={newField} onChange={(e) => setNewField(e.target.value)} placeholder="e.g. BillingCountry" />
          </label>
          <label className="form-field" htmlFor={`${id}-new-value`}>
            <span className="form-label">Value</span>
            <input id={`${id}-new-value`} className="mono" type="text" value={newValue} onChange={(e) => setNewValue(e.target.value)} />
          </label>
          <button type="button" className="btn" onClick={addField} disabled={newField.trim() === '' || newFieldProblem !== null}>
            Add field
          </button>
        </div>
        {newFieldProblem && <p className="hint tone-warning">{newFieldProblem}</p>}
        <h3 className="edit-diff-title">Changes against the current payload</h3>
        {changes.length === 0 ? <p className="muted">Nothing changed yet.</p> : <ChangesTable changes={changes} caption="Changes of this edit" beforeLabel="Now" afterLabel="After the edit" />}
        {protectedTouched.length > 0 && (
          <label className="form-field" htmlFor={`${id}-override`}>
            <span className="form-label">Why the protected field{protectedTouched.length === 1 ? '' : 's'} {protectedTouched.join(', ')} change</span>
            <input id={`${id}-override`} type="text" value={override} onChange={(e) => setOverride(e.target.value)} placeholder="Required: the override's reason, recorded with the revision" />
          </label>
        )}
        {!team && (
          <label className="form-field" htmlFor={`${id}-editor`}>
            <span className="form-label">Editor</span>
            <input id={`${id}-editor`} type="text" autoComplete="name" value={editor} onChange={(e) => setEditor(e.target.value)} placeholder="Your name, as the audit log shows it" />
          </label>
        )}
        <ReasonField id={`${id}-reason`} rows={2} value={reason} onChange={setReason} placeholder="Why the payload is wrong, e.g. the incident" />
        {edit.isError && <ErrorBanner context="Edit" error={edit.error} />}
        <div className="dialog-actions">
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary" disabled={!ready}>
            {edit.isPending ? 'Saving…' : 'Save as a new revision'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
