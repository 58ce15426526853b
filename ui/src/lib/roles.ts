// Team mode in the window: what a login's roles let it do, and why a button is disabled when they
// do not. The server stays the authority (it refuses with code `not_permitted` whatever the window
// shows); this only keeps a person from asking for what would be refused, and says why.
import { useWhoami, type Approval, type Person } from '../ipc';

export type Role = 'reader' | 'operator' | 'approver' | 'admin';

/** What a button asks the server to do, and the role that allows it (store/team.rs ROLE_SQL). */
export const NEEDS = {
  import: { role: 'operator', what: 'importing events' },
  preflight: { role: 'operator', what: 'a preflight' },
  replay: { role: 'operator', what: 'replay' },
  discard: { role: 'operator', what: 'discarding an event' },
  edit: { role: 'operator', what: 'editing a payload' },
  approveEdit: { role: 'approver', what: 'approving an edited payload' },
  batch: { role: 'operator', what: 'a batch replay' },
  verify: { role: 'operator', what: 'settling an outcome' },
  decide: { role: 'approver', what: 'deciding an approval request' },
} as const satisfies Record<string, { role: Role; what: string }>;

export type Action = keyof typeof NEEDS;

/** The approver an override names in team mode until its request is decided (services/team.rs). */
export const REQUESTED_APPROVER = '(approval request: team mode)';

/** `a reader`, `a reader and an approver`: the roles a login holds, as words. */
export function rolesInWords(roles: readonly string[]): string {
  if (roles.length === 0) return 'holds no team role';
  const named = roles.map((r) => `${/^[aeiou]/.test(r) ? 'an' : 'a'} ${r}`);
  const last = named.pop() ?? '';
  return `is ${named.length > 0 ? `${named.join(', ')} and ${last}` : last}`;
}

/**
 * Why this person may not do this, or `null` when they may (or while it is not yet known who is
 * at the console: the server then still refuses what the login may not do).
 */
export function roleBlock(person: Person | undefined, action: Action): string | null {
  if (person === undefined) return null;
  const need = NEEDS[action];
  if (person.roles.includes(need.role)) return null;
  return `Your login \`${person.login}\` ${rolesInWords(person.roles)}: ${need.what} needs the ${need.role} role.`;
}

/** Why this person may not approve or reject this request, or `null` when they may. */
export function decideBlock(person: Person | undefined, approval: Approval): string | null {
  if (approval.status !== 'pending') {
    return `Already ${approval.status} by ${approval.decided_by ?? 'someone'}: a decision is final.`;
  }
  if (person === undefined) return 'Finding out who is at the console…';
  if (!person.authenticated) return 'Approvals need a team server: a database file has one person and no logins.';
  const byRole = roleBlock(person, 'decide');
  if (byRole !== null) return byRole;
  if (person.login === approval.requested_by) return 'You requested this; another approver must decide.';
  return null;
}

/** Pending first (oldest waiting first), then the decided ones, newest first. */
export function approvalOrder(list: readonly Approval[]): Approval[] {
  const pending = list.filter((a) => a.status === 'pending').sort((a, b) => a.id - b.id);
  const decided = list.filter((a) => a.status !== 'pending').sort((a, b) => b.id - a.id);
  return [...pending, ...decided];
}

/** `dana (authenticated by the server)`: who is at the console, in one line. */
export function personLine(person: Person): string {
  return person.authenticated
    ? `${person.login}: authenticated by the server`
    : `${person.login}: solo, not authenticated`;
}

/** Why the person at the console may not do this, or `null` (see [`roleBlock`]). */
export function useRoleBlock(action: Action): string | null {
  return roleBlock(useWhoami().data, action);
}
