import { useEffect, useId, useRef, useState, type FormEvent, type Ref } from 'react';
import { Dialog } from '../../components/Dialog';
import { ErrorBanner } from '../../components/ErrorBanner';
import { PathField } from '../../components/PathField';
import { pickImportFile, toIpcError, useEventsImport, type Format, type ImportOutcome, type TaskProgress } from '../../ipc';
import { formatCount } from '../../lib/format';
import { importRejection, type ImportRejection } from './importRejection';
import './ImportDialog.css';
import { TableHead } from '../../components/TableHead';

const FORMATS: { value: Format | ''; label: string }[] = [
  { value: '', label: 'Auto (from the extension)' },
  { value: 'ndjson', label: 'NDJSON (one event per line)' },
  { value: 'json', label: 'JSON (an array of events)' },
  { value: 'csv', label: 'CSV (payload as JSON text)' },
];

/** `/home/…`, `C:\…`, `\\server\share\…`: the backend opens the path as given, from its own working directory. */
export function isAbsolutePath(path: string): boolean {
  return path.startsWith('/') || /^[A-Za-z]:[\\/]/.test(path) || path.startsWith('\\\\');
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${formatCount(n)} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u += 1;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[u]}`;
}

/**
 * Imports a file of failed and blocked events: path and format, then progress with Cancel, then
 * what was added, or every problem of a rejected file (nothing is imported then).
 */
export function ImportDialog({ onClose }: { onClose: () => void }) {
  const id = useId();
  const importer = useEventsImport();
  const [path, setPath] = useState('');
  const [format, setFormat] = useState<Format | ''>('');
  const [pickError, setPickError] = useState<string | null>(null);
  const pathRef = useRef<HTMLInputElement>(null);
  const cancelRef = useRef<HTMLButtonElement>(null);
  const resultRef = useRef<HTMLHeadingElement>(null);
  const trimmed = path.trim();
  const pathOk = isAbsolutePath(trimmed);
  const running = importer.isPending;
  const finished = importer.outcome !== undefined || importer.error !== null;

  useEffect(() => {
    // Focus the path on opening (the focus trap gives focus back to the opener on closing).
    pathRef.current?.focus();
  }, []);
  // Keyboard focus follows the dialog's stage: Cancel while running, the result's heading after.
  useEffect(() => {
    if (running) cancelRef.current?.focus();
  }, [running]);
  useEffect(() => {
    if (finished) resultRef.current?.focus();
  }, [finished]);

  const start = (e: FormEvent) => {
    e.preventDefault();
    if (!pathOk || running) return;
    importer.start({ path: trimmed, format: format === '' ? null : format });
  };

  // Closing while the import runs would leave it running unseen: cancel it instead.
  const close = () => (running ? importer.cancel() : onClose());

  return (
    <Dialog
      title="Import events"
      className="import-dialog"
      onEscape={close}
      onBackdrop={running ? undefined : onClose}
    >
      {!running && !finished && (
        <form onSubmit={start}>
          <p className="muted">
            A file of failed and blocked writes: NDJSON, a JSON array, or CSV with the same column names. The whole file is
            checked first; any invalid record rejects it, and records already stored are not added twice.
          </p>
          <div className="form-field">
            <label className="form-label" htmlFor={`${id}-path`}>
              File path
            </label>
            {/* The native dialog fills the path field; the path stays editable (and typing one works too). */}
            <PathField
              id={`${id}-path`}
              inputRef={pathRef}
              value={path}
              onChange={setPath}
              choose={pickImportFile}
              onChosen={setPath}
              onChooseError={setPickError}
              buttonLabel="Choose file…"
              placeholder="/home/ops/incidents/INC-4471/failed.ndjson"
              describedBy={`${id}-path-hint`}
              invalid={trimmed !== '' && !pathOk}
            />
            {pickError && (
              <span className="form-hint is-bad" role="alert">
                {pickError}
              </span>
            )}
            <span id={`${id}-path-hint`} className={`form-hint${trimmed !== '' && !pathOk ? ' is-bad' : ''}`}>
              {trimmed !== '' && !pathOk
                ? 'Give the full path, starting with / (or a drive letter on Windows).'
                : 'The full path of the file on this machine.'}
            </span>
          </div>
          <label className="form-field" htmlFor={`${id}-format`}>
            <span className="form-label">Format</span>
            <select
              id={`${id}-format`}
              className="select"
              value={format}
              onChange={(e) => setFormat(FORMATS.find((f) => f.value === e.target.value)?.value ?? '')}
            >
              {FORMATS.map((f) => (
                <option key={f.value} value={f.value}>
                  {f.label}
                </option>
              ))}
            </select>
          </label>
          <div className="dialog-actions">
            <button type="button" className="btn" onClick={onClose}>
              Close
            </button>
            <button type="submit" className="btn btn-primary" disabled={!pathOk}>
              Start import
            </button>
          </div>
        </form>
      )}

      {running && (
        <div className="import-running">
          <p className="mono ellipsis" title={trimmed}>
            {trimmed}
          </p>
          <ImportProgress progress={importer.progress} />
          <div className="dialog-actions">
            <button ref={cancelRef} type="button" className="btn" onClick={importer.cancel}>
              Cancel import
            </button>
          </div>
        </div>
      )}

      {finished && (
        <div className="import-result">
          {importer.outcome !== undefined ? (
            <ImportDone outcome={importer.outcome} headingRef={resultRef} />
          ) : (
            <ImportFailed error={importer.error} source={trimmed} headingRef={resultRef} />
          )}
          <div className="dialog-actions">
            <button type="button" className="btn" onClick={importer.reset}>
              Import another file
            </button>
            <button type="button" className="btn btn-primary" onClick={onClose}>
              Done
            </button>
          </div>
        </div>
      )}
    </Dialog>
  );
}

function ImportProgress({ progress }: { progress: TaskProgress | null }) {
  const known = progress !== null && progress.total > 0;
  const share = known ? Math.min(1, progress.done / progress.total) : 0;
  const text = known
    ? `${formatBytes(progress.done)} of ${formatBytes(progress.total)} read (${Math.round(share * 100)}%)`
    : 'Starting…';
  return (
    <div className="import-progress">
      <div
        className={`progress${known ? '' : ' is-indeterminate'}`}
        role="progressbar"
        aria-label="Bytes read"
        aria-valuemin={0}
        aria-valuemax={known ? progress.total : undefined}
        aria-valuenow={known ? progress.done : undefined}
        aria-valuetext={text}
      >
        <div className="progress-fill" style={{ width: `${(share * 100).toFixed(1)}%` }} />
      </div>
      <p className="muted num" aria-live="polite">
        {text}
      </p>
    </div>
  );
}

function ImportDone({ outcome, headingRef }: { outcome: ImportOutcome; headingRef: Ref<HTMLHeadingElement> }) {
  return (
    <>
      <h3 ref={headingRef} tabIndex={-1} className="import-result-title tone-success-text">
        {outcome.inserted === 0 ? 'Nothing new: every record was already stored' : `Imported ${formatCount(outcome.inserted)} new ${outcome.inserted === 1 ? 'event' : 'events'}`}
      </h3>
      <dl className="kv import-counts">
        <dt>Records in the file</dt>
        <dd className="num">{formatCount(outcome.records)}</dd>
        <dt>Inserted</dt>
        <dd className="num">{formatCount(outcome.inserted)}</dd>
        <dt>Already present</dt>
        <dd className="num">{formatCount(outcome.unchanged)}</dd>
        <dt>Missing external ID</dt>
        <dd className="num">
          {formatCount(outcome.missing_external_id)}
          {outcome.missing_external_id > 0 && <span className="muted"> (blocked until an external ID is known)</span>}
        </dd>
        <dt>Format</dt>
        <dd className="mono">{outcome.format}</dd>
        <dt>File SHA-256</dt>
        <dd className="mono" title={outcome.file_sha256}>
          {outcome.file_sha256.slice(0, 16)}…
        </dd>
      </dl>
    </>
  );
}

function ImportFailed({
  error,
  source,
  headingRef,
}: {
  error: unknown;
  source: string;
  headingRef: Ref<HTMLHeadingElement>;
}) {
  const e = toIpcError(error);
  const rejection = importRejection(e, source);
  if (e.kind === 'cancelled') {
    return (
      <h3 ref={headingRef} tabIndex={-1} className="import-result-title">
        Import cancelled; nothing was imported.
      </h3>
    );
  }
  if (rejection) return <RejectionView rejection={rejection} headingRef={headingRef} />;
  return (
    <>
      <h3 ref={headingRef} tabIndex={-1} className="import-result-title tone-danger-text">
        The file was not imported
      </h3>
      <ErrorBanner context="Import" error={e} />
    </>
  );
}

function RejectionView({ rejection, headingRef }: { rejection: ImportRejection; headingRef: Ref<HTMLHeadingElement> }) {
  const n = rejection.total;
  return (
    <>
      <h3 ref={headingRef} tabIndex={-1} className="import-result-title tone-danger-text">
        Rejected: nothing was imported
      </h3>
      <p>
        {formatCount(n)} {n === 1 ? 'problem' : 'problems'} in <span className="mono">{rejection.source}</span>. The file is
        imported whole or not at all: fix {n === 1 ? 'it' : 'them'} and import the file again.
      </p>
      <div className="import-issues" tabIndex={0} role="region" aria-label="Problems by line">
        <table className="plain mono">
          <TableHead columns={['Line', 'Column', 'Field', 'Problem']} />
          <tbody>
            {rejection.problems.map((p, i) => (
              <tr key={i}>
                <td className="num">{p.line > 0 ? p.line : ''}</td>
                <td className="num">{p.column ?? ''}</td>
                <td>{p.field}</td>
                <td className="prewrap">{p.message}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {rejection.more > 0 && <p className="muted">…and {formatCount(rejection.more)} more not listed.</p>}
    </>
  );
}
