import { useId, useState, type FormEvent } from 'react';
import { ErrorBanner } from '../../components/ErrorBanner';
import { useAcknowledgeLoss, useAuditLosses, type AuditLoss } from '../../ipc';
import { formatCount } from '../../lib/format';

const WHY: Record<string, string> = {
  checkpoint_missing: 'the checkpoint file was missing',
  checkpoint_unreadable: 'the checkpoint file was unreadable',
  checkpoint_older: 'the checkpoint was older than the keychain’s record (rolled back)',
  checkpoint_other_log: 'the checkpoint file was another log’s',
  checkpoint_differs: 'the checkpoint did not match the keychain’s record',
  log_replaced: 'the whole log was replaced by another',
};

export function lossReason(why: string): string {
  return WHY[why] ?? why;
}

/** One acknowledgment form: the reviewer's name and a reason, both required. */
function AcknowledgeForm({ loss }: { loss: AuditLoss }) {
  const id = useId();
  const ack = useAcknowledgeLoss();
  const [reviewer, setReviewer] = useState('');
  const [reason, setReason] = useState('');
  const [open, setOpen] = useState(false);
  const ready = reviewer.trim() !== '' && reason.trim() !== '';
  if (!open) {
    return (
      <button type="button" className="btn btn-small" onClick={() => setOpen(true)}>
        Acknowledge entry {loss.seq}…
      </button>
    );
  }
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (ready) ack.mutate({ seq: loss.seq, reviewer: reviewer.trim(), reason: reason.trim() });
  };
  return (
    <form className="audit-loss-ack" onSubmit={submit} aria-label={`Acknowledge the checkpoint loss at entry ${loss.seq}`}>
      <label className="form-field" htmlFor={`${id}-reviewer`}>
        <span className="form-label">Reviewer</span>
        <input id={`${id}-reviewer`} type="text" value={reviewer} onChange={(e) => setReviewer(e.target.value)} />
      </label>
      <label className="form-field" htmlFor={`${id}-reason`}>
        <span className="form-label">Reason (recorded in the audit log)</span>
        <input id={`${id}-reason`} type="text" value={reason} onChange={(e) => setReason(e.target.value)} />
      </label>
      <button type="submit" className="btn btn-primary btn-small" disabled={!ready || ack.isPending}>
        {ack.isPending ? 'Recording…' : 'Record acknowledgment'}
      </button>
      {ack.isError && <ErrorBanner context="Acknowledge" error={ack.error} />}
    </form>
  );
}

/**
 * The standing alert of the audit screen: every recorded checkpoint loss, with the entry that
 * records it and the range it leaves unproven. An unacknowledged loss stays until a reviewer
 * acknowledges it; an acknowledged one stays visible, quieter, naming who and why.
 */
export function LossAlert({ onOpenEntry }: { onOpenEntry: (seq: number) => void }) {
  const losses = useAuditLosses();
  const all = losses.data ?? [];
  if (losses.isError) return <ErrorBanner context="Checkpoint losses" error={losses.error} onRetry={() => void losses.refetch()} />;
  if (all.length === 0) return null;
  const open = all.filter((l) => l.acknowledged === null);
  return (
    <section className={`card audit-loss-alert ${open.length > 0 ? 'is-open' : 'is-acknowledged'}`} role="alert" aria-label="Checkpoint lost">
      <h2>
        {open.length > 0
          ? `Checkpoint lost: ${open.length === 1 ? 'one loss is' : `${open.length} losses are`} not acknowledged`
          : 'Checkpoint losses (acknowledged)'}
      </h2>
      <ul>
        {all.map((l) => (
          <li key={l.seq}>
            <p>
              <button type="button" className="btn btn-ghost btn-small" onClick={() => onOpenEntry(l.seq)}>
                Entry {formatCount(l.seq)}
              </button>
              : {lossReason(l.why)}. Entries 1 to {formatCount(l.unproven_last)} are not proven by a checkpoint.
            </p>
            {l.acknowledged ? (
              <p className="muted">
                Acknowledged by {l.acknowledged.reviewer} (entry {formatCount(l.acknowledged.seq)}): {l.acknowledged.reason}
              </p>
            ) : (
              <AcknowledgeForm loss={l} />
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}
