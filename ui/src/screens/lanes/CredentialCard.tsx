import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { CredentialBadge, credentialState } from './CredentialBadge';
import { ErrorBanner } from '../../components/ErrorBanner';
import {
  toIpcError,
  useCredentialCheck,
  useCredentialDelete,
  useCredentialSet,
  useCredentialStatus,
  type CheckResult,
  type LaneSummary,
} from '../../ipc';
import { formatTime } from '../../lib/format';
import { checkAdvice, checkFailure, secretKind } from './credentialText';
import './CredentialCard.css';

/**
 * The lane's integration-user secret: whether the keychain holds it, how its last check went,
 * and set / rotate, check and delete. The secret field is write-only: what is typed goes to the
 * keychain and the field is emptied; nothing ever reads the secret back into the window.
 */
export function CredentialCard({ summary }: { summary: LaneSummary }) {
  const laneId = summary.lane_id;
  const status = useCredentialStatus(laneId, summary.credential);
  const c = status.data ?? summary.credential;
  const state = credentialState(c);
  const kind = secretKind(c.auth);
  const check = useCredentialCheck(laneId);
  const remove = useCredentialDelete(laneId);
  const [editing, setEditing] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [saved, setSaved] = useState<string | null>(null);
  const keychainDown = c.present === null;
  // When the form or the confirmation closes, keyboard focus returns to the actions row
  // (what had it is gone), not to the top of the page.
  const actions = useRef<HTMLDivElement>(null);
  const wasOpen = useRef(false);
  useEffect(() => {
    const open = editing || confirmDelete;
    if (wasOpen.current && !open) actions.current?.querySelector<HTMLButtonElement>('button:not(:disabled)')?.focus();
    wasOpen.current = open;
  }, [editing, confirmDelete]);

  const closeNotes = () => {
    setSaved(null);
    check.reset();
    remove.reset();
  };

  return (
    <section className="card credential credential-card" aria-labelledby="credential-title">
      <h3 id="credential-title" className="block-title">
        Integration user credential
      </h3>
      <dl className="kv">
        <dt>State</dt>
        <dd>
          <CredentialBadge credential={c} />{' '}
          {/* A checked secret's detail is the last check, on its own row below. */}
          {!(c.present === true && c.last_check) && (
            <span className="muted">{c.present === null ? 'The keychain could not be asked.' : state.detail}</span>
          )}
        </dd>
        <dt>Keychain entry</dt>
        <dd>
          <span className="mono">replay-console</span> / <span className="mono">{c.account}</span>
        </dd>
        <dt>Must act as</dt>
        <dd className="mono">{summary.username ?? '—'}</dd>
        <dt>Auth</dt>
        <dd>
          <span className="mono">{c.auth ?? '—'}</span>
          {kind && <span className="muted"> · secret: {kind.label}</span>}
        </dd>
        <dt>Set</dt>
        <dd className="num">{c.set_at ? `${formatTime(c.set_at)} UTC` : '—'}</dd>
        <dt>Last check</dt>
        <dd>
          <LastCheck check={c.last_check} />
        </dd>
      </dl>

      {keychainDown && (
        <div className="banner banner-warning" role="status">
          <div className="banner-text">
            <strong>The keychain is not available</strong>
            <span className="banner-message">{c.keychain_error ?? 'The keychain could not be asked.'}</span>
          </div>
          <button type="button" className="btn btn-small" onClick={() => void status.refetch()}>
            Ask again
          </button>
        </div>
      )}
      {status.isError && <ErrorBanner context="Credential status" error={status.error} onRetry={() => void status.refetch()} />}
      {!kind && (
        <p className="hint">
          The lane's contract has no <code>connection</code> block, so the console cannot tell which secret it needs. Add one and
          import the contract again.
        </p>
      )}

      {kind && !editing && !confirmDelete && (
        <div className="credential-actions" ref={actions}>
          <button
            type="button"
            className="btn"
            disabled={keychainDown}
            onClick={() => {
              closeNotes();
              setEditing(true);
            }}
          >
            {c.present ? 'Rotate secret…' : 'Set secret…'}
          </button>
          <button
            type="button"
            className="btn"
            disabled={keychainDown || c.present === false || check.isPending}
            onClick={() => {
              closeNotes();
              check.mutate();
            }}
          >
            {check.isPending ? 'Checking…' : 'Check'}
          </button>
          <button
            type="button"
            className="btn btn-danger-ghost"
            disabled={keychainDown || c.present === false}
            onClick={() => {
              closeNotes();
              setConfirmDelete(true);
            }}
          >
            Delete…
          </button>
        </div>
      )}

      {kind && editing && (
        <SecretForm
          laneId={laneId}
          rotating={c.present === true}
          kind={kind}
          foreignHost={c.login_host_needs_allowing ? c.login_host : null}
          onDone={(storedAs) => {
            setEditing(false);
            setSaved(storedAs);
          }}
          onCancel={() => setEditing(false)}
        />
      )}

      {confirmDelete && (
        <DeleteConfirm
          laneId={laneId}
          account={c.account}
          pending={remove.isPending}
          onConfirm={() => remove.mutate(undefined, { onSettled: () => setConfirmDelete(false) })}
          onCancel={() => setConfirmDelete(false)}
        />
      )}

      <div aria-live="polite">
        {saved !== null && (
          <p className="credential-note tone-success-text">
            Stored in the keychain as {saved}. The field was cleared; the secret is never shown again. Press Check to confirm it acts as{' '}
            <span className="mono">{summary.username ?? 'the lane’s user'}</span>.
          </p>
        )}
        {check.data && <CheckPassed result={check.data} />}
        {remove.isSuccess && (
          <p className="credential-note">
            {remove.data ? 'The secret was deleted from the keychain. Replays of this lane will fail until a new one is set.' : 'There was no secret to delete.'}
          </p>
        )}
      </div>
      {check.isError && <CheckFailed error={check.error} username={summary.username} />}
      {remove.isError && <ErrorBanner context="Delete" error={remove.error} />}
    </section>
  );
}

function LastCheck({ check }: { check: CheckResult | null }) {
  if (!check) return <span className="muted">never</span>;
  return check.ok ? (
    <span>
      <span className="tone-success-text">passed</span> · acts as <span className="mono">{check.acts_as ?? '?'}</span> ·{' '}
      <span className="num">{formatTime(check.at)} UTC</span>
    </span>
  ) : (
    <span>
      <span className="tone-danger-text">failed</span> · {checkFailure(check.message ?? 'no reason recorded')} ·{' '}
      <span className="num">{formatTime(check.at)} UTC</span>
    </span>
  );
}

function CheckPassed({ result }: { result: CheckResult }) {
  return (
    <>
      <p className="credential-note tone-success-text">
        Check passed: the secret acts as <span className="mono">{result.acts_as ?? '?'}</span> ({formatTime(result.at)} UTC).
      </p>
      {result.lane_warnings.length > 0 && (
        <ul className="findings list-column" aria-label="Lane warnings">
          {result.lane_warnings.map((w) => (
            <li key={w} className="finding tone-warning">
              <span className="finding-head">
                <span className="finding-severity">Lane warning</span>
              </span>
              <span className="finding-message">{w}</span>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

function CheckFailed({ error, username }: { error: unknown; username: string | null }) {
  const e = toIpcError(error);
  const advice = checkAdvice(e, username);
  return (
    <div className="banner banner-error" role="alert">
      <div className="banner-text">
        <strong>Check failed</strong>
        <span className="banner-message">
          {checkFailure(e.message)}
          {advice && ` ${advice}`}
        </span>
      </div>
    </div>
  );
}

function SecretForm({
  laneId,
  rotating,
  kind,
  foreignHost,
  onDone,
  onCancel,
}: {
  laneId: string;
  rotating: boolean;
  kind: NonNullable<ReturnType<typeof secretKind>>;
  /** The login host when it is neither Salesforce's nor loopback: storing needs it allowed by name. */
  foreignHost: string | null;
  onDone: (storedAs: string) => void;
  onCancel: () => void;
}) {
  const id = useId();
  const setter = useCredentialSet(laneId);
  // Uncontrolled on purpose: the secret lives in the field alone, never in React state.
  const field = useRef<HTMLTextAreaElement>(null);
  const [hasText, setHasText] = useState(false);
  const [hostAllowed, setHostAllowed] = useState(false);

  useEffect(() => {
    field.current?.focus();
  }, []);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const el = field.current;
    if (!el || el.value.trim() === '' || setter.isPending || (foreignHost !== null && !hostAllowed)) return;
    const secret = el.value;
    // Emptied at once, whatever the answer: the field never holds the secret after Save.
    el.value = '';
    setHasText(false);
    const stored = await setter.set(secret, foreignHost !== null && hostAllowed ? foreignHost : null);
    if (stored) onDone(stored.kind === 'rsa_private_key' ? 'an RSA private key' : stored.kind === 'client_secret' ? 'a client secret' : stored.kind);
  };

  return (
    <form className="secret-form" onSubmit={(e) => void submit(e)} aria-label={rotating ? 'Rotate secret' : 'Set secret'}>
      <div className="form-field">
        <label className="form-label" htmlFor={`${id}-secret`}>
          {rotating ? 'New ' : ''}
          {kind.label}
        </label>
        <textarea
          id={`${id}-secret`}
          ref={field}
          className="mono secret-input"
          rows={kind.rows}
          placeholder={kind.placeholder}
          autoComplete="off"
          autoCorrect="off"
          autoCapitalize="off"
          spellCheck={false}
          aria-describedby={`${id}-hint`}
          onInput={(e) => setHasText(e.currentTarget.value.trim() !== '')}
        />
        <span id={`${id}-hint`} className="form-hint">
          {kind.hint} It goes to the OS keychain only and is never shown again{rotating ? '; it replaces the current one' : ''}.
        </span>
      </div>
      {foreignHost !== null && (
        <fieldset className="override allow-host">
          <legend className="visually-hidden">Login host</legend>
          <p className="form-hint">
            The lane's connection sends this secret to <span className="mono">{foreignHost}</span>, which is not a Salesforce host or
            loopback. Store it only if that host is your company's own (a proxy in front of Salesforce); the secret is bound to it and
            goes nowhere else.
          </p>
          <label className="check">
            <input type="checkbox" checked={hostAllowed} onChange={(e) => setHostAllowed(e.target.checked)} />
            <span>
              Allow <span className="mono">{foreignHost}</span> to receive this secret
            </span>
          </label>
        </fieldset>
      )}
      {setter.error !== null && (
        <ErrorBanner context="The secret was not stored (the field was cleared; paste it again)" error={setter.error} />
      )}
      <div className="credential-actions">
        <button type="submit" className="btn btn-primary" disabled={!hasText || setter.isPending || (foreignHost !== null && !hostAllowed)}>
          {setter.isPending ? 'Storing…' : 'Store in keychain'}
        </button>
        <button type="button" className="btn" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function DeleteConfirm({
  laneId,
  account,
  pending,
  onConfirm,
  onCancel,
}: {
  laneId: string;
  account: string;
  pending: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const confirm = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    confirm.current?.focus();
  }, []);
  return (
    <div
      className="delete-confirm"
      role="group"
      aria-label="Confirm delete"
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.preventDefault();
          onCancel();
        }
      }}
    >
      <p>
        Delete the secret of <span className="mono">{laneId}</span> (<span className="mono">{account}</span>) from the keychain? Replays of
        this lane fail until a new secret is set.
      </p>
      <div className="credential-actions">
        <button ref={confirm} type="button" className="btn btn-danger" disabled={pending} onClick={onConfirm}>
          {pending ? 'Deleting…' : 'Delete secret'}
        </button>
        <button type="button" className="btn" onClick={onCancel}>
          Keep it
        </button>
      </div>
    </div>
  );
}
