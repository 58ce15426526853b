import type { IpcError } from '../../ipc';

/** What the lane's secret is, by `connection.auth`. */
export function secretKind(auth: string | null): { label: string; hint: string; placeholder: string; rows: number } | null {
  if (auth === 'jwt_bearer') {
    return {
      label: 'RSA private key (PEM)',
      hint: 'The private key whose certificate is uploaded to the connected app, as PEM (BEGIN PRIVATE KEY or BEGIN RSA PRIVATE KEY).',
      placeholder: '-----BEGIN PRIVATE KEY-----\n…\n-----END PRIVATE KEY-----',
      rows: 7,
    };
  }
  if (auth === 'client_credentials') {
    return {
      label: 'Consumer secret',
      hint: "The connected app's consumer secret: one word, no spaces or line breaks.",
      placeholder: '',
      rows: 2,
    };
  }
  return null;
}

function sentence(text: string): string {
  const t = text.trim();
  if (t === '') return t;
  const first = t.charAt(0).toUpperCase() + t.slice(1);
  return /[.!?]$/.test(first) ? first : `${first}.`;
}

/**
 * A check's failure as a sentence. The backend's refusal reads
 * `refused (integration_user_mismatch): integration_user_mismatch: the secret acts as …`; the
 * codes are for scripts, the operator reads the rest.
 */
export function checkFailure(message: string): string {
  const tidy = message
    .replace(/^refused \(([a-z_]+)\):\s*/, '')
    .replace(/^integration_user_mismatch:\s*/, '');
  return sentence(tidy);
}

/** What to do about a failed check, by the error's kind. */
export function checkAdvice(error: IpcError, username: string | null): string {
  switch (error.kind) {
    case 'refused':
      return `The secret belongs to another Salesforce user. Set the key or secret registered for ${username ?? "the lane's user"}, then check again.`;
    case 'salesforce':
      return 'Salesforce refused the token request: make sure the secret belongs to the connected app of this lane and the user is pre-authorized for it, then check again.';
    case 'keychain_unavailable':
      return 'Start or unlock the keychain, then check again.';
    case 'not_found':
      return 'Set the secret first.';
    default:
      return '';
  }
}
