// Dev and test only: answers for the commands of ../team.ts.
import type { Approval } from '../bindings/Approval';
import type { Person } from '../bindings/Person';
import { reject, type Answer, type Answers } from './answer';

export interface TeamMockBackend {
  /** Answers `whoami`; the default is solo mode (an OS user, every role, not authenticated). */
  whoami?: () => Answer<Person>;
  /** Answers `approvals_list`; the default refuses as a database file does. */
  approvals?: (status: string | null) => Answer<Approval[]>;
  decide?: (id: number, approve: boolean, reason: string) => Answer<Approval>;
}

export const SOLO_PERSON: Person = {
  login: 'dana',
  roles: ['reader', 'operator', 'approver', 'admin'],
  authenticated: false,
  server: null,
};

const SOLO = 'this is team mode: open a team server with --db postgres://LOGIN@HOST:PORT/DATABASE';

export const teamAnswers: Answers<TeamMockBackend> = {
  whoami: (b) => b.whoami?.() ?? SOLO_PERSON,
  approvals_list: (b, a) => b.approvals?.((a.status ?? null) as string | null) ?? reject('invalid_input', SOLO),
  approval_decide: (b, a) => b.decide?.(a.id as number, a.approve as boolean, a.reason as string) ?? reject('invalid_input', SOLO),
};
