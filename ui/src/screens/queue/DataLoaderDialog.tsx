import { useId, useRef, useState, type FormEvent } from 'react';
import { Dialog } from '../../components/Dialog';
import { ErrorBanner } from '../../components/ErrorBanner';
import { KvRow } from '../../components/KvRow';
import { PathField } from '../../components/PathField';
import { pickLoaderCsvDestination, useHomeDir, useQueueExport, type EventFilter, type EventStatus } from '../../ipc';
import { formatCount } from '../../lib/format';
import { rememberedOperator } from '../../lib/operator';
import { isAbsolutePath } from '../audit/auditFormat';

function defaultPath(home: string | null, laneId: string): string {
  const name = `${laneId}-remaining-failures.csv`;
  if (home === null) return '';
  const sep = home.includes('\\') && !home.includes('/') ? '\\' : '/';
  return home.endsWith(sep) ? `${home}${name}` : `${home}${sep}${name}`;
}

/**
 * The queue's remaining failures (the lane's failed and blocked events under the current filter)
 * as a CSV for Salesforce Data Loader. What the file leaves out is said after writing it.
 */
export function DataLoaderDialog({
  filter,
  status,
  onClose,
}: {
  filter: EventFilter & { laneId: string };
  status: 'failed' | 'blocked' | null;
  onClose: () => void;
}) {
  const id = useId();
  const home = useHomeDir();
  const exp = useQueueExport();
  const pathRef = useRef<HTMLInputElement>(null);
  const [path, setPath] = useState<string | null>(null);
  const [replace, setReplace] = useState(false);
  const [chooseError, setChooseError] = useState<string | null>(null);
  const shownPath = path ?? defaultPath(home.data ?? null, filter.laneId);
  const ready = isAbsolutePath(shownPath) && !exp.isPending;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!ready) return;
    exp.mutate({
      query: {
        lane_id: filter.laneId,
        status: status as EventStatus | null,
        ...(filter.reasonCode ? { failure_code: filter.reasonCode } : {}),
        ...(filter.search ? { search: filter.search } : {}),
        ...(filter.text ? { text: filter.text } : {}),
        ...(filter.assignee ? { assignee: filter.assignee } : {}),
        ...(filter.tag ? { tag: filter.tag } : {}),
        ...(filter.investigating ? { investigating: true } : {}),
        after: null,
        limit: null,
      },
      path: shownPath.trim(),
      force: replace,
      exported_by: rememberedOperator(),
    });
  };
  const done = exp.data;
  return (
    <Dialog title="Export for Data Loader" className="loader-dialog" onEscape={exp.isPending ? undefined : onClose}>
      {done ? (
        <div>
          <p>
            Wrote {formatCount(done.rows)} {done.rows === 1 ? 'row' : 'rows'} of {done.object} to <span className="mono">{done.path}</span>.
          </p>
          <dl className="kv">
            <KvRow label="Upsert by" className="mono">{done.external_id_field}</KvRow>
            <KvRow label="Columns">{formatCount(done.columns.length)}</KvRow>
            {done.without_external_id > 0 && (
              <KvRow label="Left out">{formatCount(done.without_external_id)} events without an external ID (Data Loader could not upsert them)</KvRow>
            )}
            {done.protected_left_out.length > 0 && (
              <KvRow label="Protected, left out" className="mono">{done.protected_left_out.join(', ')}</KvRow>
            )}
            {done.edited > 0 && <KvRow label="From edits">{formatCount(done.edited)} rows from approved payload edits</KvRow>}
            {done.unapproved_edits > 0 && (
              <KvRow label="Edits waiting">{formatCount(done.unapproved_edits)} events written as imported: their edit awaits approval</KvRow>
            )}
          </dl>
          {done.formula_like_cells > 0 && (
            <p className="callout card tone-warning" role="note">
              {formatCount(done.formula_like_cells)} {done.formula_like_cells === 1 ? 'cell' : 'cells'} would run as formulas in a spreadsheet (they
              begin with =, @, or + or - before a formula), written as they are. Load the file with Data Loader; do not open it in a spreadsheet.
            </p>
          )}
          <p className="muted">
            Data Loader writes without the console's preflight: what it changes is not in this audit log beyond the export itself.
          </p>
          <div className="dialog-actions">
            <button type="button" className="btn btn-primary" onClick={onClose}>
              Close
            </button>
          </div>
        </div>
      ) : (
        <form onSubmit={submit}>
          <p className="muted">
            The lane's {status ?? 'failed and blocked'} events{filter.reasonCode ? ` with reason code ${filter.reasonCode}` : ''}
            {filter.search ? ` matching “${filter.search}”` : ''}
            {filter.text ? ` containing the words “${filter.text}”` : ''}, one row each, one column per payload field, the external ID
            first. Protected fields are left out; null is written as #N/A.
          </p>
          <label className="form-label" htmlFor={`${id}-path`}>
            Write to (absolute path)
          </label>
          <PathField
            id={`${id}-path`}
            inputRef={pathRef}
            value={shownPath}
            onChange={setPath}
            choose={() => pickLoaderCsvDestination(shownPath.trim())}
            onChosen={setPath}
            onChooseError={setChooseError}
            buttonLabel="Choose…"
            disabled={exp.isPending}
            invalid={shownPath !== '' && !isAbsolutePath(shownPath)}
          />
          {chooseError && <p className="hint">{chooseError}</p>}
          <label className="form-check">
            <input type="checkbox" checked={replace} onChange={(e) => setReplace(e.target.checked)} /> Replace the file if it exists
          </label>
          {exp.isError && <ErrorBanner context="Export" error={exp.error} />}
          <div className="dialog-actions">
            <button type="button" className="btn" onClick={onClose} disabled={exp.isPending}>
              Cancel
            </button>
            <button type="submit" className="btn btn-primary" disabled={!ready}>
              {exp.isPending ? 'Writing…' : 'Write the CSV'}
            </button>
          </div>
        </form>
      )}
    </Dialog>
  );
}
