import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { Dialog } from '../../components/Dialog';
import { ErrorBanner } from '../../components/ErrorBanner';
import { ReasonField } from '../../components/ReasonField';
import { useDiscard } from '../../ipc';
import { rememberOperator, rememberedOperator } from '../../lib/operator';

/** Closes an event without replay: who and why, for the audit log. */
export function DiscardDialog({ eventId, onClose }: { eventId: number; onClose: () => void }) {
  const id = useId();
  const discard = useDiscard(eventId);
  const [operator, setOperator] = useState(rememberedOperator);
  const [reason, setReason] = useState('');
  const first = useRef<HTMLInputElement>(null);
  const second = useRef<HTMLTextAreaElement>(null);
  const ready = operator.trim() !== '' && reason.trim() !== '' && !discard.isPending;

  useEffect(() => {
    (operator.trim() === '' ? first.current : second.current)?.focus();
    // Focus once, on opening.
  }, []);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!ready) return;
    rememberOperator(operator);
    discard.mutate({ operator: operator.trim(), reason: reason.trim() }, { onSuccess: onClose });
  };

  return (
    <Dialog title={`Discard event ${eventId}`} onEscape={onClose} onBackdrop={onClose}>
      <form onSubmit={submit}>
        <p className="muted">The event leaves the queue of replayable work without being written. The audit log keeps who and why.</p>
        <label className="form-field" htmlFor={`${id}-operator`}>
          <span className="form-label">Operator</span>
          <input id={`${id}-operator`} ref={first} type="text" value={operator} onChange={(e) => setOperator(e.target.value)} />
        </label>
        <ReasonField id={`${id}-reason`} inputRef={second} rows={3} value={reason} onChange={setReason} />
        {discard.isError && <ErrorBanner context="Discard" error={discard.error} />}
        <div className="dialog-actions">
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn btn-danger" disabled={!ready}>
            {discard.isPending ? 'Discarding…' : 'Discard event'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
