import { ErrorBanner } from '../../components/ErrorBanner';
import type { AuditVerifyReport, TaskProgress } from '../../ipc';
import { formatCount } from '../../lib/format';
import { CHECKPOINT_LABELS, PROBLEM_LABELS, percent } from './auditFormat';
import { KvRow } from '../../components/KvRow';

/** A determinate bar once the backend reports, an indeterminate one until then. */
export function ProgressBar({ label, progress, unit }: { label: string; progress: TaskProgress | null; unit: string }) {
  const known = progress !== null && progress.total > 0;
  const pct = known ? percent(progress.done, progress.total) : 0;
  return (
    <div className="audit-progress">
      <div
        className={`audit-progress-track${known ? '' : ' is-indeterminate'}`}
        role="progressbar"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={known ? pct : undefined}
        aria-valuetext={known ? `${pct}%` : 'starting'}
      >
        <div className="audit-progress-fill" style={{ width: known ? `${pct}%` : undefined }} />
      </div>
      <span className="audit-progress-text">
        {known ? `${formatCount(Math.min(progress.done, progress.total))} of ${formatCount(progress.total)} ${unit} · ${pct}%` : 'Starting…'}
      </span>
    </div>
  );
}

function range(first: number | null, last: number | null): string {
  if (first === null || last === null) return 'no entries';
  return first === last ? `entry ${first}` : `entries ${formatCount(first)}–${formatCount(last)}`;
}

function NotProven({ items }: { items: string[] }) {
  if (items.length === 0) return null;
  return (
    <div className="audit-not-proven">
      <h4>Not proven by this run</h4>
      <ul>
        {items.map((s) => (
          <li key={s}>{s}</li>
        ))}
      </ul>
    </div>
  );
}

export function VerifyReportView({ report, onOpenEntry }: { report: AuditVerifyReport; onOpenEntry: (seq: number) => void }) {
  const cp = report.checkpoint;
  const cpMeta = CHECKPOINT_LABELS[cp.state];
  const [first, ...rest] = report.problems;
  // An acknowledged checkpoint loss is not a failure, but the entries before it are not proven.
  const unprovenUpto = report.losses.reduce((m, l) => Math.max(m, l.unproven_last), 0);
  return (
    <div className={`audit-verify-report ${report.ok ? 'is-ok' : 'is-bad'}`} role="status" aria-label="Verify result">
      {report.ok && unprovenUpto > 0 ? (
        <h3>
          <span className="check-mark bad" aria-hidden="true">
            !
          </span>{' '}
          Verified from entry {formatCount(unprovenUpto + 1)}; {range(1, unprovenUpto)} not proven (checkpoint lost, acknowledged)
        </h3>
      ) : report.ok ? (
        <h3>
          <span className="check-mark ok" aria-hidden="true">
            ✓
          </span>{' '}
          Chain verified: {range(report.verified_first, report.verified_last)}
        </h3>
      ) : first ? (
        <h3>
          <span className="check-mark bad" aria-hidden="true">
            ✗
          </span>{' '}
          {first.seq !== null ? `Entry ${first.seq}: ` : ''}
          {PROBLEM_LABELS[first.kind]}
        </h3>
      ) : (
        <h3>The log did not verify</h3>
      )}
      {!report.ok && first && <p className="audit-problem-message">{first.message}</p>}
      <dl className="kv audit-verify-facts">
        <KvRow label="Verified">
          {range(report.verified_first, report.verified_last)} of {formatCount(report.entries)} read
        </KvRow>
        {report.verified_hash && report.verified_hash !== report.head_hash && (
          <KvRow label="Last good hash" className="mono audit-hash">{report.verified_hash}</KvRow>
        )}
        <KvRow label="Head">
          {report.head_seq === null ? (
            'empty log'
          ) : (
            <>
              entry {formatCount(report.head_seq)} · <span className="mono audit-hash">{report.head_hash}</span>
            </>
          )}
        </KvRow>
        <KvRow label="Checkpoint">
          <span className={`badge tone-${cpMeta.tone}`}>{cpMeta.label}</span>
          {cp.seq !== null && <span> at entry {formatCount(cp.seq)}</span>}
          {cp.key_id && <span className="muted"> · key {cp.key_id}</span>}
          <div className="audit-cp-message">{cp.message}</div>
        </KvRow>
        <KvRow label="Entry MACs">
          {report.macs_from === null
            ? 'none: the log was written before entries carried MACs'
            : `from entry ${formatCount(report.macs_from)} · ${formatCount(report.macs_checked)} checked against the log’s key`}
        </KvRow>
        <KvRow label="Took">{report.elapsed_ms < 1000 ? `${report.elapsed_ms} ms` : `${(report.elapsed_ms / 1000).toFixed(1)} s`}</KvRow>
      </dl>
      {!report.ok && first?.seq !== null && first?.seq !== undefined && first.kind !== 'gap' && (
        <button type="button" className="btn btn-small" onClick={() => onOpenEntry(first.seq ?? 0)}>
          Open entry {first.seq}
        </button>
      )}
      {rest.length > 0 && (
        <div className="audit-more-problems">
          <h4>Also found</h4>
          <ul>
            {rest.map((p, i) => (
              <li key={`${p.kind}-${p.seq ?? 'x'}-${i}`}>
                <strong>
                  {p.seq !== null ? `Entry ${p.seq}: ` : ''}
                  {PROBLEM_LABELS[p.kind]}
                </strong>{' '}
                {p.message}
              </li>
            ))}
          </ul>
        </div>
      )}
      <NotProven items={report.not_proven} />
    </div>
  );
}

/** The "Verify chain" run: its progress, its result or its error. */
export function VerifyChainPanel({
  pending,
  progress,
  report,
  error,
  onOpenEntry,
  onDismiss,
}: {
  pending: boolean;
  progress: TaskProgress | null;
  report: AuditVerifyReport | undefined;
  error: unknown;
  onOpenEntry: (seq: number) => void;
  onDismiss: () => void;
}) {
  if (!pending && !report && !error) return null;
  return (
    <section className="card audit-verify" aria-label="Verify chain">
      <header className="audit-verify-head">
        <h2>Verify chain</h2>
        {!pending && (
          <button type="button" className="btn btn-ghost btn-small" onClick={onDismiss}>
            Dismiss
          </button>
        )}
      </header>
      {pending && <ProgressBar label="Verifying the chain" progress={progress} unit="entries" />}
      {!pending && error !== null && error !== undefined && <ErrorBanner context="Verify chain" error={error} />}
      {!pending && report && <VerifyReportView report={report} onOpenEntry={onOpenEntry} />}
    </section>
  );
}
