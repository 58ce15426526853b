import type { ErrorKind } from './bindings/ErrorKind';
import type { ErrorReply } from './bindings/ErrorReply';
import type { ImportIssue } from './bindings/ImportIssue';

// A Record, not a list: a kind added in Rust and missing here fails the typecheck.
const KINDS: Record<ErrorKind, true> = {
  invalid_input: true,
  not_found: true,
  cancelled: true,
  refused: true,
  salesforce: true,
  keychain_unavailable: true,
  internal: true,
};

/** An IPC failure as the Rust side reports it: the UI branches on `kind`, shows `message`. */
export class IpcError extends Error {
  readonly kind: ErrorKind;
  /** A refusal's code: `not_permitted` (the team's server refused the login), `approval_pending`, a gate's code. */
  readonly code?: string;
  /** A refused import: its problems in file order (the first 100). */
  readonly issues?: ImportIssue[];
  /** A refused import: all its problems, listed or not. */
  readonly total?: number;

  constructor(reply: ErrorReply) {
    super(reply.message);
    this.name = 'IpcError';
    this.kind = reply.kind;
    if (reply.code !== undefined) this.code = reply.code;
    if (reply.issues !== undefined) this.issues = reply.issues;
    if (reply.total !== undefined) this.total = reply.total;
  }
}

function isIssue(value: unknown): value is ImportIssue {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.line === 'number' &&
    (v.column === null || typeof v.column === 'number') &&
    typeof v.field === 'string' &&
    typeof v.message === 'string'
  );
}

function isErrorReply(value: unknown): value is ErrorReply {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.message === 'string' && typeof v.kind === 'string' && Object.hasOwn(KINDS, v.kind);
}

/**
 * Turns whatever `invoke` rejected with into an `IpcError`. Commands reject with an `ErrorReply`;
 * anything else (a missing command, a bad argument caught by Tauri itself) arrives as a string or
 * an Error and counts as `internal`. Only a message is kept, never a stack.
 */
export function toIpcError(cause: unknown): IpcError {
  if (cause instanceof IpcError) return cause;
  if (isErrorReply(cause)) {
    const reply: ErrorReply = { kind: cause.kind, message: cause.message };
    // Only well-formed problem lists are kept; anything else leaves the message alone to tell.
    if (Array.isArray(cause.issues) && cause.issues.every(isIssue)) reply.issues = cause.issues;
    if (typeof cause.total === 'number') reply.total = cause.total;
    if (typeof cause.code === 'string') reply.code = cause.code;
    return new IpcError(reply);
  }
  // A kind this build does not know yet (a newer backend): keep the message.
  if (typeof cause === 'object' && cause !== null && typeof (cause as { message?: unknown }).message === 'string') {
    return new IpcError({ kind: 'internal', message: (cause as { message: string }).message });
  }
  if (cause instanceof Error) return new IpcError({ kind: 'internal', message: cause.message });
  if (typeof cause === 'string' && cause.trim() !== '') return new IpcError({ kind: 'internal', message: cause });
  return new IpcError({ kind: 'internal', message: 'The backend failed without saying why.' });
}
