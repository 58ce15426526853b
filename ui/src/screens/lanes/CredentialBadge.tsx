import type { CredentialStatus } from '../../ipc';
import { formatTime } from '../../lib/format';
import type { Tone } from '../../lib/status';

/** The state of a lane's integration-user secret, in one word and a colour. */
export function credentialState(c: CredentialStatus): { label: string; tone: Tone; detail: string } {
  if (c.present === null) {
    return { label: 'keychain unavailable', tone: 'warning', detail: c.keychain_error ?? 'The keychain could not be asked.' };
  }
  if (!c.present) return { label: 'no secret', tone: 'danger', detail: `Nothing in the keychain under ${c.account}.` };
  if (!c.last_check) return { label: 'secret not checked', tone: 'neutral', detail: 'In the keychain; never checked against Salesforce.' };
  if (c.last_check.ok) {
    return {
      label: 'secret checked',
      tone: 'success',
      detail: `Acts as ${c.last_check.acts_as ?? '?'} (checked ${formatTime(c.last_check.at)} UTC).`,
    };
  }
  return { label: 'check failed', tone: 'danger', detail: c.last_check.message ?? 'The last check failed.' };
}

export function CredentialBadge({ credential }: { credential: CredentialStatus }) {
  const s = credentialState(credential);
  return (
    <span className={`badge badge-small-inline tone-${s.tone}`} title={s.detail}>
      <span className="dot" aria-hidden="true" />
      {s.label}
    </span>
  );
}
