import { describe, expect, it } from 'vitest';
import type { Approval, Person } from '../ipc';
import { approvalOrder, decideBlock, roleBlock, rolesInWords } from './roles';

const person = (login: string, roles: string[], authenticated = true): Person => ({
  login,
  roles,
  authenticated,
  server: authenticated ? 'postgres://x@db:5432/replay' : null,
});

const approval = (over: Partial<Approval> = {}): Approval => ({
  id: 1,
  event_id: 7,
  preflight_id: 3,
  digest: 'ab'.repeat(32),
  reassignment_reason: 'tier fixed by finance',
  display_name: 'Dana Ops',
  requested_by: 'dana',
  requested_at: '2026-11-21T09:00:00.000Z',
  status: 'pending',
  decided_by: null,
  decided_at: null,
  decision_reason: null,
  ...over,
});

describe('roles in the window', () => {
  it("names the login, its roles and the role an action needs when the login lacks it", () => {
    const reader = person('rita', ['reader']);
    expect(roleBlock(reader, 'replay')).toBe('Your login `rita` is a reader: replay needs the operator role.');
    expect(roleBlock(reader, 'import')).toBe('Your login `rita` is a reader: importing events needs the operator role.');
    const approver = person('vera', ['reader', 'approver']);
    expect(roleBlock(approver, 'batch'), 'an approver does not replay').toBe(
      'Your login `vera` is a reader and an approver: a batch replay needs the operator role.',
    );
    expect(roleBlock(approver, 'decide'), 'an approver decides').toBeNull();
    expect(roleBlock(person('nobody', []), 'discard')).toBe('Your login `nobody` holds no team role: discarding an event needs the operator role.');
  });

  it('lets an operator act, solo mode do everything, and does not block while it is not known who is here', () => {
    const operator = person('otto', ['reader', 'operator']);
    for (const a of ['import', 'preflight', 'replay', 'discard', 'batch', 'verify'] as const) {
      expect(roleBlock(operator, a), a).toBeNull();
    }
    expect(roleBlock(operator, 'decide'), 'an operator does not decide approvals').toContain('needs the approver role');
    const solo = person('dana', ['reader', 'operator', 'approver', 'admin'], false);
    expect(roleBlock(solo, 'replay')).toBeNull();
    expect(roleBlock(undefined, 'replay'), 'the server still refuses; the window does not guess').toBeNull();
    expect(rolesInWords(['reader', 'operator', 'admin'])).toBe('is a reader, an operator and an admin');
  });

  it('says why a login may not decide a request: no approver role, its own request, solo mode, already decided', () => {
    const a = approval();
    expect(decideBlock(person('rita', ['reader']), a)).toBe('Your login `rita` is a reader: deciding an approval request needs the approver role.');
    expect(decideBlock(person('dana', ['reader', 'operator', 'approver']), a)).toBe('You requested this; another approver must decide.');
    expect(decideBlock(person('dana', ['reader', 'operator', 'approver', 'admin'], false), a)).toContain('Approvals need a team server');
    expect(decideBlock(person('vera', ['reader', 'approver']), a), 'another approver may').toBeNull();
    expect(decideBlock(person('vera', ['reader', 'approver']), approval({ status: 'approved', decided_by: 'walt' }))).toBe(
      'Already approved by walt: a decision is final.',
    );
  });

  it('puts pending requests first, oldest waiting first, then the decided ones newest first', () => {
    const list = [
      approval({ id: 5, status: 'rejected' }),
      approval({ id: 4 }),
      approval({ id: 3, status: 'approved' }),
      approval({ id: 2 }),
      approval({ id: 6, status: 'approved' }),
    ];
    expect(approvalOrder(list).map((a) => a.id)).toEqual([2, 4, 6, 5, 3]);
  });
});
