import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { Approval, Person } from '../../ipc';
import { mockBackend, renderApp } from '../../test/ipc';

const SERVER = 'postgres://vera@db.acme.internal:5432/replay';
const person = (login: string, roles: string[]): Person => ({ login, roles, authenticated: true, server: SERVER });

const approval = (over: Partial<Approval>): Approval => ({
  id: 1,
  event_id: 7,
  preflight_id: 3,
  digest: 'c0ffee'.repeat(10) + 'abcd',
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

function team(me: Person, list: Approval[]) {
  const stored = [...list];
  const calls = mockBackend({
    whoami: () => me,
    approvals: () => stored.map((a) => ({ ...a })),
    decide: (id, approve, reason) => {
      const i = stored.findIndex((a) => a.id === id);
      const decided: Approval = {
        ...stored[i]!,
        status: approve ? 'approved' : 'rejected',
        decided_by: me.login,
        decided_at: '2026-11-21T09:05:00.000Z',
        decision_reason: reason,
      };
      stored[i] = decided;
      return decided;
    },
  });
  return calls;
}

const cards = () => within(screen.getByRole('list', { name: 'Approval requests' })).getAllByRole('article');

async function openApprovals(user: ReturnType<typeof userEvent.setup>) {
  await user.click(await screen.findByRole('button', { name: 'Approvals' }));
  await screen.findByRole('heading', { level: 1, name: 'Approvals' });
  await screen.findByText(/for a decision\.$/);
}

describe('approvals in the window', () => {
  it('shows who is here, lists pending requests first with what and who, and approves one with a reason', async () => {
    const user = userEvent.setup();
    const calls = team(person('vera', ['reader', 'approver']), [
      approval({ id: 1, status: 'rejected', decided_by: 'walt', decided_at: '2026-11-20T08:00:00.000Z', decision_reason: 'wrong tier' }),
      approval({ id: 2, event_id: 9, preflight_id: 12 }),
    ]);
    renderApp();
    const who = await screen.findByRole('region', { name: 'Who is at the console' });
    expect(await within(who).findByText('vera')).toBeVisible();
    expect(who, 'roles and how the login is known').toHaveTextContent('reader · approver');
    expect(who).toHaveTextContent('authenticated by the server');

    await openApprovals(user);
    const [first, second] = cards();
    expect(first, 'the pending request comes first').toHaveAccessibleName('Approval request 2');
    expect(first).toHaveTextContent('9, preflight 12');
    expect(first, 'the requester by login, the typed name beside').toHaveTextContent('dana (typed: Dana Ops)');
    expect(first).toHaveTextContent('tier fixed by finance');
    expect(first).toHaveTextContent('2026-11-21');
    expect(second, 'a decided one says by whom and why').toHaveTextContent('walt');
    expect(second).toHaveTextContent('wrong tier');
    expect(within(second!).queryByRole('button', { name: 'Approve' }), 'a decision is final').toBeNull();

    const approve = within(first!).getByRole('button', { name: 'Approve' });
    expect(approve, 'no reason yet').toBeDisabled();
    expect(first).toHaveTextContent('Give the reason for your decision.');
    await user.type(within(first!).getByLabelText('Reason for your decision'), 'finance confirmed');
    expect(approve).toBeEnabled();
    await user.click(approve);

    expect(calls.filter((c) => c.cmd === 'approval_decide').map((c) => c.args)).toEqual([
      { id: 2, approve: true, reason: 'finance confirmed' },
    ]);
    expect(await screen.findByText('Nothing waits for a decision.')).toBeVisible();
    expect(cards()[0], 'the request now shows its decider').toHaveTextContent('vera');
  });

  it('keeps Approve and Reject disabled, with the reason, for a reader and for the requester', async () => {
    const user = userEvent.setup();
    team(person('rita', ['reader']), [approval({ id: 2 })]);
    const { unmount } = renderApp();
    await openApprovals(user);
    let card = cards()[0]!;
    expect(within(card).getByRole('button', { name: 'Approve' })).toBeDisabled();
    expect(within(card).getByRole('button', { name: 'Reject' })).toBeDisabled();
    expect(within(card).getByRole('button', { name: 'Approve' })).toHaveAccessibleDescription(
      'Your login `rita` is a reader: deciding an approval request needs the approver role.',
    );
    unmount();

    team(person('dana', ['reader', 'operator', 'approver']), [approval({ id: 2 })]);
    renderApp();
    await openApprovals(user);
    card = cards()[0]!;
    expect(within(card).getByRole('button', { name: 'Approve' })).toBeDisabled();
    expect(within(card).getByRole('button', { name: 'Reject' })).toHaveAccessibleDescription(
      'You requested this; another approver must decide.',
    );
  });

  it('in solo mode has no Approvals entry and says the person is not authenticated', async () => {
    mockBackend({});
    renderApp();
    const who = await screen.findByRole('region', { name: 'Who is at the console' });
    expect(await within(who).findByText('solo: not authenticated')).toBeVisible();
    expect(screen.queryByRole('button', { name: 'Approvals' }), 'approvals need a team server').toBeNull();
  });

  it("disables the queue's import for a reader and says which role it needs", async () => {
    team(person('rita', ['reader']), []);
    renderApp();
    const note = await screen.findByText('Your login `rita` is a reader: importing events needs the operator role.');
    expect(note).toBeVisible();
    expect(screen.getByRole('button', { name: 'Import events…' })).toBeDisabled();
  });
});
