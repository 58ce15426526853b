import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { FailureGroup, GroupsView, Selection } from '../../ipc';
import { mockBackend, renderApp } from '../../test/ipc';

const lock: FailureGroup = {
  key: 'c8bf569c551a',
  lane_id: 'account_sync_north_america',
  failure_code: 'UNABLE_TO_LOCK_ROW',
  signature: 'unable to obtain exclusive access to this record or <n> records: <id>',
  example_message: 'unable to obtain exclusive access to this record or 1 records: 001Hs00003XkQ2AIAV',
  messages: 37,
  count: 130,
  open: 121,
  first_seen: '2026-11-20T09:01:25.000Z',
  last_seen: '2026-11-20T12:29:53.000Z',
  statuses: [
    { status: 'failed', count: 121 },
    { status: 'replayed', count: 9 },
  ],
};

const done: FailureGroup = {
  ...lock,
  key: '24575288cedb',
  failure_code: 'REQUEST_LIMIT_EXCEEDED',
  signature: 'TotalRequests Limit exceeded.',
  example_message: 'TotalRequests Limit exceeded.',
  messages: 1,
  count: 62,
  open: 0,
  statuses: [{ status: 'discarded', count: 62 }],
};

const view: GroupsView = { groups: [lock, done], events: 192 };

describe('failure groups', () => {
  it('lists each cause with its counts and statuses, and opens one as a batch preflight of that group', async () => {
    const user = userEvent.setup();
    const selections: Selection[] = [];
    mockBackend({
      lanes: [],
      groups: () => view,
      batchPreflight: (selection) => {
        selections.push(selection);
        throw { kind: 'invalid_input', message: 'stop here' };
      },
    });
    renderApp('groups');

    const table = await screen.findByRole('table', { name: 'Failure groups' });
    expect(await screen.findByText('192 events in 2 groups · 121 still failed or blocked')).toBeInTheDocument();
    const row = await within(table).findByRole('row', { name: 'Group c8bf569c551a' });
    expect(row, 'the code and the signature with its placeholders').toHaveTextContent('UNABLE_TO_LOCK_ROW');
    expect(row).toHaveTextContent(lock.signature);
    expect(row, 'every status inside the group').toHaveTextContent('Failed 121');
    expect(row).toHaveTextContent('Replayed 9');

    // The detail: the example message, how many messages it stands for, the CLI's key.
    await user.click(within(row).getByRole('button', { name: /UNABLE_TO_LOCK_ROW/ }));
    expect(screen.getByText(lock.example_message!)).toBeInTheDocument();
    expect(screen.getByText('37')).toBeInTheDocument();
    expect(screen.getByText('(replay batch --group c8bf569c551a)')).toBeInTheDocument();

    // A group with nothing open cannot be batched, and says why.
    const doneRow = within(table).getByRole('row', { name: 'Group 24575288cedb' });
    const doneBatch = within(doneRow).getByRole('button', { name: 'Batch preflight…' });
    expect(doneBatch).toBeDisabled();
    expect(doneBatch).toHaveAttribute('title', expect.stringContaining('Nothing left to replay'));

    // One action: the batch screen opens on the group, and its preflight names the group.
    await user.click(within(row).getByRole('button', { name: 'Batch preflight…' }));
    expect(await screen.findByRole('heading', { name: 'Batch replay' })).toBeInTheDocument();
    expect(screen.getByText('121 events match in the queue.')).toBeInTheDocument();
    expect(screen.getByText('c8bf569c551a')).toBeInTheDocument();
    expect(document.querySelector('.btn-back'), 'back leads to the groups').toHaveTextContent('Groups');
    await user.click(screen.getByRole('button', { name: 'Run batch preflight' }));
    expect(await screen.findByText(/stop here/)).toBeInTheDocument();
    expect(selections).toEqual([
      { lane_id: lock.lane_id, status: null, reason_code: 'UNABLE_TO_LOCK_ROW', ids: null, group: 'c8bf569c551a' },
    ]);
  });

  it('opens the queue filtered to a group\'s lane and failure code', async () => {
    const user = userEvent.setup();
    const calls = mockBackend({ lanes: [], counts: [{ lane_id: lock.lane_id, status: 'failed', count: 121 }], groups: () => view });
    renderApp('groups');
    const row = await screen.findByRole('row', { name: 'Group c8bf569c551a' });
    await user.click(within(row).getByRole('button', { name: 'Events' }));
    expect(await screen.findByRole('heading', { name: 'Event queue' })).toBeInTheDocument();
    await screen.findByRole('search', { name: 'Filter events' });
    const queries = calls.filter((c) => c.cmd === 'events_list').map((c) => c.args.query as { lane_id: string; failure_code?: string });
    expect(queries.at(-1)).toMatchObject({ lane_id: lock.lane_id, failure_code: 'UNABLE_TO_LOCK_ROW' });
  });
});
