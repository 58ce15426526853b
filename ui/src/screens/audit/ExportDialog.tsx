import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { Dialog } from '../../components/Dialog';
import { ErrorBanner } from '../../components/ErrorBanner';
import { PathField } from '../../components/PathField';
import { pickExportDestination, toIpcError, useAuditExport, useHomeDir, type AuditExportFormat, type AuditExportOutcome, type AuditFilter } from '../../ipc';
import { formatCount, formatTime } from '../../lib/format';
import { compactFilter, defaultExportPath, isAbsolutePath, isFiltered, parseTimeBound, withExtension } from './auditFormat';
import { ProgressBar } from './VerifyChain';
import './audit.css';
import { KvRow } from '../../components/KvRow';

type Scope = 'filter' | 'window';

const FILTER_LABELS: Record<keyof AuditFilter, string> = {
  lane_id: 'lane',
  operator: 'operator',
  action: 'action',
  outcome: 'outcome',
  event_id: 'event',
  batch_id: 'batch',
  external_id: 'external ID',
  since: 'since',
  until: 'until',
};

export function describeFilter(f: AuditFilter): string {
  const c = compactFilter(f);
  const parts = (Object.keys(c) as (keyof AuditFilter)[]).map((k) => {
    const v = c[k];
    return `${FILTER_LABELS[k]} ${k === 'since' || k === 'until' ? formatTime(String(v)) : String(v)}`;
  });
  return parts.length === 0 ? 'the whole log' : parts.join(', ');
}

function Manifest({ outcome }: { outcome: AuditExportOutcome }) {
  const m = outcome.manifest;
  const command = `replay-console audit verify-export ${/\s/.test(outcome.path) ? `"${outcome.path}"` : outcome.path}`;
  const [copied, setCopied] = useState(false);
  const copy = () => {
    void navigator.clipboard?.writeText(command).then(
      () => setCopied(true),
      () => setCopied(false),
    );
  };
  return (
    <div className="audit-manifest" aria-label="Export manifest">
      <p className="audit-manifest-lead">
        <span className="check-mark ok" aria-hidden="true">
          ✓
        </span>{' '}
        Exported {formatCount(m.count)} {m.count === 1 ? 'entry' : 'entries'} as {m.file_format.toUpperCase()}.
      </p>
      <dl className="kv">
        <KvRow label="File" className="mono">{outcome.path}</KvRow>
        <KvRow label="Manifest" className="mono">{outcome.manifest_path}</KvRow>
        <KvRow label="Entries">
          {formatCount(m.count)}
          {m.first_seq !== null && m.last_seq !== null ? ` · seq ${formatCount(m.first_seq)}–${formatCount(m.last_seq)}` : ''}
          {m.complete ? ' · complete from entry 1' : ' · filtered'}
        </KvRow>
        <KvRow label="Filters">
          {m.incident_window ? `incident window ${m.incident_window}` : describeFilter(m.filters)}
        </KvRow>
        <KvRow label="Log head">
          {m.head_seq === null ? 'empty log' : <>entry {formatCount(m.head_seq)} · <span className="mono audit-hash">{m.head_hash}</span></>}
        </KvRow>
        <KvRow label="Checkpoint">
          {m.checkpoint ? (
            <>
              entry {formatCount(m.checkpoint.seq)}, signed {formatTime(m.checkpoint.at)} · key <span className="mono">{m.checkpoint.key_id}</span>
            </>
          ) : (
            <span className="muted">none: the log had no signed checkpoint</span>
          )}
        </KvRow>
        <KvRow label="File SHA-256" className="mono audit-hash">{m.sha256}</KvRow>
        <KvRow label="Size">{formatCount(m.bytes)} bytes</KvRow>
      </dl>
      <div className="audit-command">
        <span className="form-label">Check it offline, anywhere</span>
        <div className="audit-command-row">
          <code>{command}</code>
          {navigator.clipboard && (
            <button type="button" className="btn btn-small" onClick={copy}>
              {copied ? 'Copied' : 'Copy'}
            </button>
          )}
        </div>
        <p className="hint">Keep the file and its manifest together; compare the key ID with `audit verify` on this machine.</p>
      </div>
    </div>
  );
}

/** The incident lead's export: format, what to export, where; then progress, then the manifest. */
export function ExportDialog({ filter, onClose }: { filter: AuditFilter; onClose: () => void }) {
  const id = useId();
  const job = useAuditExport();
  const home = useHomeDir();
  const [now] = useState(() => new Date());
  const [format, setFormat] = useState<AuditExportFormat>('csv');
  const [scope, setScope] = useState<Scope>('filter');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [path, setPath] = useState(() => defaultExportPath(null, 'csv', now));
  const [pathTouched, setPathTouched] = useState(false);
  const [replace, setReplace] = useState(false);
  const [errors, setErrors] = useState<string[]>([]);
  const pathRef = useRef<HTMLInputElement>(null);
  const firstRef = useRef<HTMLInputElement>(null);

  // The home folder arrives after the first render: the suggestion follows, until edited.
  const homePath = home.data ?? null;
  useEffect(() => {
    if (homePath !== null && !pathTouched) setPath(defaultExportPath(homePath, format, now));
    // Only when the home folder arrives; format and edits are handled where they happen.
  }, [homePath]);

  useEffect(() => {
    firstRef.current?.focus();
  }, []);

  const running = job.isPending;
  const cancelled = job.isError && toIpcError(job.error).kind === 'cancelled';
  const done = job.isSuccess;

  const close = () => {
    // Closing while it runs would leave it running unseen: cancel it first.
    if (running) job.cancel();
    onClose();
  };

  // The native save dialog starts at the suggested path and fills the field; typing still works.
  const typed = (p: string) => {
    setPathTouched(true);
    setPath(p);
  };

  const pickFormat = (f: AuditExportFormat) => {
    setFormat(f);
    setPath((p) => withExtension(p, f));
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (running) return;
    const errs: string[] = [];
    const out = path.trim();
    if (out === '') errs.push('Name the file to write: a full path such as /home/you/audit-export.csv.');
    else if (!isAbsolutePath(out)) {
      errs.push(
        out.startsWith('~')
          ? `“${out}” starts with ~, which only a shell expands: write the full path of your home folder instead.`
          : `“${out}” is not an absolute path: write the full path, starting with / (or a drive letter such as C:\\ on Windows).`,
      );
    }
    let window: string | null = null;
    if (scope === 'window') {
      const f = from.trim() === '' ? { error: 'Give the window’s start (FROM).' } : parseTimeBound(from);
      const t = to.trim() === '' ? { error: 'Give the window’s end (TO).' } : parseTimeBound(to);
      if ('error' in f) errs.push(`From: ${f.error}`);
      if ('error' in t) errs.push(`To: ${t.error}`);
      if ('value' in f && 'value' in t) {
        if (f.value >= t.value) errs.push('The window is empty: FROM must be before TO (TO is exclusive).');
        else window = `${f.value}..${t.value}`;
      }
    }
    setErrors(errs);
    if (errs.length > 0) {
      if (errs.some((m) => m.includes('path') || m.includes('file'))) pathRef.current?.focus();
      return;
    }
    job.mutate({ format, out, filter: scope === 'window' ? {} : compactFilter(filter), incident_window: window, force: replace });
  };

  const filtered = isFiltered(filter);

  return (
    <Dialog
      title="Export the audit log"
      className="audit-export-dialog"
      onEscape={running ? undefined : close}
      onBackdrop={running ? undefined : close}
    >
      {done && job.data ? (
        <>
          <Manifest outcome={job.data} />
          <div className="dialog-actions">
            <button type="button" className="btn btn-primary" onClick={onClose}>
              Done
            </button>
          </div>
        </>
      ) : (
        <form onSubmit={submit} noValidate>
          <p className="muted">Writes the file and FILE.manifest.json beside it (count, range, head hash, checkpoint, SHA-256).</p>
          <fieldset className="audit-fieldset" disabled={running}>
            <legend className="form-label">Format</legend>
            <label className="check">
              <input ref={firstRef} type="radio" name={`${id}-format`} checked={format === 'csv'} onChange={() => pickFormat('csv')} />
              <span>
                CSV <span className="muted">(RFC 4180, formula cells neutralised)</span>
              </span>
            </label>
            <label className="check">
              <input type="radio" name={`${id}-format`} checked={format === 'ndjson'} onChange={() => pickFormat('ndjson')} />
              <span>
                NDJSON <span className="muted">(one JSON object per line)</span>
              </span>
            </label>
          </fieldset>
          <fieldset className="audit-fieldset" disabled={running}>
            <legend className="form-label">Entries</legend>
            <label className="check">
              <input type="radio" name={`${id}-scope`} checked={scope === 'filter'} onChange={() => setScope('filter')} />
              <span>
                {filtered ? 'The current filter: ' : 'The whole log'}
                {filtered && <span className="audit-filter-summary">{describeFilter(filter)}</span>}
              </span>
            </label>
            <label className="check">
              <input type="radio" name={`${id}-scope`} checked={scope === 'window'} onChange={() => setScope('window')} />
              <span>
                An incident window <span className="muted">(every entry from FROM to TO, TO exclusive)</span>
              </span>
            </label>
            {scope === 'window' && (
              <div className="form-row audit-window">
                <label className="form-field grow" htmlFor={`${id}-from`}>
                  <span className="form-label">From (UTC)</span>
                  <input id={`${id}-from`} type="text" value={from} placeholder="2026-11-20 09:00" onChange={(e) => setFrom(e.target.value)} />
                </label>
                <label className="form-field grow" htmlFor={`${id}-to`}>
                  <span className="form-label">To (UTC)</span>
                  <input id={`${id}-to`} type="text" value={to} placeholder="2026-11-20 12:00" onChange={(e) => setTo(e.target.value)} />
                </label>
              </div>
            )}
          </fieldset>
          <div className="form-field">
            <label className="form-label" htmlFor={`${id}-path`}>
              Write to (absolute path)
            </label>
            <PathField
              id={`${id}-path`}
              inputRef={pathRef}
              value={path}
              onChange={typed}
              choose={() => pickExportDestination(path.trim(), format)}
              onChosen={(chosen) => typed(withExtension(chosen, format))}
              onChooseError={(message) => setErrors(message === null ? [] : [message])}
              buttonLabel="Choose…"
              disabled={running}
              invalid={errors.length > 0 && !isAbsolutePath(path)}
            />
          </div>
          <label className="form-check">
            <input type="checkbox" checked={replace} disabled={running} onChange={(e) => setReplace(e.target.checked)} />
            <span>Replace the file if it already exists (otherwise an existing file is never overwritten)</span>
          </label>
          {errors.length > 0 && (
            <ul className="audit-form-errors" role="alert">
              {errors.map((m) => (
                <li key={m}>{m}</li>
              ))}
            </ul>
          )}
          {running && <ProgressBar label="Exporting" progress={job.progress} unit="entries" />}
          {running && job.cancelRequested && <p className="muted">Cancelling: the partial file is being removed…</p>}
          {cancelled && <p className="audit-cancelled">Export cancelled: no file was written under that name.</p>}
          {job.isError && !cancelled && <ErrorBanner context="Export" error={job.error} />}
          {job.cancelError !== null && <ErrorBanner context="Cancel" error={job.cancelError} />}
          <div className="dialog-actions">
            {running ? (
              <button type="button" className="btn" onClick={job.cancel} disabled={job.cancelRequested}>
                {job.cancelRequested ? 'Cancelling…' : 'Cancel export'}
              </button>
            ) : (
              <>
                <button type="button" className="btn" onClick={close}>
                  Close
                </button>
                <button type="submit" className="btn btn-primary">
                  {job.isError ? 'Start again' : 'Start export'}
                </button>
              </>
            )}
          </div>
        </form>
      )}
    </Dialog>
  );
}
