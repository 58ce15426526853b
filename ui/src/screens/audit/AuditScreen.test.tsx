import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { AuditQuery } from '../../ipc';
import { auditDetail, auditEntry, auditLoss, fakeHash, verifyContentChanged, verifyForged, verifyOk } from '../../test/audit';
import { eventDetail, mockBackend, renderApp, renderEvent, type Call } from '../../test/ipc';

function auditQueries(calls: Call[]): AuditQuery[] {
  return calls.filter((c) => c.cmd === 'audit_list').map((c) => c.args.query as AuditQuery);
}

async function auditRows() {
  const grid = await screen.findByRole('grid', { name: 'Audit entries' });
  return within(grid)
    .getAllByRole('row')
    .filter((r) => r.closest('tbody') !== null && r.hasAttribute('data-index'));
}

describe('audit list', () => {
  it('renders the entries of audit_list and asks for the next page with `after`', async () => {
    const calls = mockBackend({
      auditList: (q) =>
        q.after === null
          ? {
              entries: [
                auditEntry({ seq: 9, action: 'replay_outcome', actor: 'l.fischer', external_id: 'BA-1007', ack_token: 'ack-9f2c' }),
                auditEntry({ seq: 8, action: 'replay_intent', outcome: 'in_flight' }),
              ],
              next_after: 8,
            }
          : { entries: [auditEntry({ seq: 7, action: 'preflight', outcome: 'ready', reason: null })], next_after: null },
    });
    renderApp('audit');

    await screen.findByText('ack-9f2c');
    await waitFor(async () => expect(await auditRows(), 'both pages end up in the grid, one row per entry').toHaveLength(3));
    const [first] = await auditRows();
    expect(within(first!).getByText('Replay result'), 'the action is shown as a badge with its label').toBeVisible();
    expect(within(first!).getByText('l.fischer'), 'the actor is in the row').toBeVisible();
    expect(within(first!).getByText('BA-1007'), 'the external ID is in the row').toBeVisible();
    expect(within(first!).getByText('Applied'), 'the outcome is in the row').toBeVisible();

    const queries = auditQueries(calls);
    expect(queries[0], 'the first page starts at the newest entry, unfiltered, with a bounded page').toEqual({
      filter: {},
      after: null,
      limit: 200,
      newest_first: true,
    });
    expect(queries[1]?.after, 'the second page continues after the first page’s next_after (keyset paging)').toBe(8);
    expect(queries, 'next_after null on the second page means the end: nothing more is asked').toHaveLength(2);
  });

  it('sends the filters the reviewer sets', async () => {
    const user = userEvent.setup();
    const calls = mockBackend({ auditList: () => ({ entries: [auditEntry({ seq: 1 })], next_after: null }) });
    renderApp('audit');
    await screen.findByRole('grid', { name: 'Audit entries' });

    const bar = screen.getByRole('search', { name: 'Filter audit entries' });
    await user.type(within(bar).getByLabelText('Operator'), 'l.fischer');
    await user.type(within(bar).getByLabelText('Since (UTC)'), '2026-11-20');
    await user.type(within(bar).getByLabelText('Until (UTC)'), '2026-11-21 10:30{Enter}');

    await waitFor(() =>
      expect(auditQueries(calls).at(-1)?.filter, 'Enter applies the typed filters; times are sent in the stored UTC form').toEqual({
        operator: 'l.fischer',
        since: '2026-11-20T00:00:00.000Z',
        until: '2026-11-21T10:30:00.000Z',
      }),
    );
    expect(auditQueries(calls).at(-1)?.after, 'a new filter starts again from the first page').toBeNull();

    await user.selectOptions(within(bar).getByLabelText('Action'), 'discard');
    await waitFor(() =>
      expect(auditQueries(calls).at(-1)?.filter, 'a pick from a list applies at once, keeping the other filters').toEqual({
        operator: 'l.fischer',
        action: 'discard',
        since: '2026-11-20T00:00:00.000Z',
        until: '2026-11-21T10:30:00.000Z',
      }),
    );
  });

  it('refuses a time it cannot read, with a sentence, and sends nothing', async () => {
    const user = userEvent.setup();
    const calls = mockBackend({ auditList: () => ({ entries: [], next_after: null }) });
    renderApp('audit');
    await screen.findByRole('grid', { name: 'Audit entries' });
    const before = auditQueries(calls).length;

    await user.type(screen.getByLabelText('Since (UTC)'), 'yesterday{Enter}');
    expect(within(screen.getByRole('search')).getByRole('alert'), 'the reviewer is told what to write instead').toHaveTextContent(
      /not a time: write a date \(2026-11-20\)/,
    );
    expect(auditQueries(calls), 'an unreadable filter is never sent to the backend').toHaveLength(before);
  });

  it('opens an entry from the keyboard and shows its diff and integrity', async () => {
    const user = userEvent.setup();
    const withDiff = auditEntry({
      seq: 41,
      action: 'replay_intent',
      detail: JSON.stringify({
        after: { Name: 'Acme GmbH', Tier__c: 'Gold' },
        before: { Name: 'Acme GmbH', Tier__c: 'Silver' },
        request: { method: 'PATCH', path: '/services/data/v62.0/sobjects/Account/billing_account_id__c/BA-1007' },
      }),
    });
    const calls = mockBackend({
      auditList: () => ({ entries: [auditEntry({ seq: 42 }), withDiff], next_after: null }),
      auditShow: (seq) => auditDetail(seq === 41 ? withDiff : auditEntry({ seq }), { link_ok: false }),
    });
    renderApp('audit');
    await screen.findByText('ack-42');
    const [first] = await auditRows();
    first!.focus();
    await user.keyboard('{ArrowDown}{Enter}');

    const panel = await screen.findByRole('complementary', { name: 'Audit entry 41' });
    expect(calls.filter((c) => c.cmd === 'audit_show').map((c) => c.args.seq), 'ArrowDown then Enter opens the second row').toEqual([41]);
    const diff = await within(panel).findByRole('table', { name: 'Before and after' });
    expect(within(diff).getByText('Tier__c'), 'the changed field is listed').toBeVisible();
    expect(within(diff).getByText('Silver'), 'with its value before').toBeVisible();
    expect(within(diff).getByText('Gold'), 'and after').toBeVisible();
    expect(within(diff).queryByText('Name'), 'unchanged fields are hidden until asked for').toBeNull();
    expect(within(panel).getByText('Matches its hash'), 'hash_ok is stated').toBeVisible();
    expect(within(panel).getByText(/Does not link to entry 40/), 'a broken link is stated, naming the predecessor').toBeVisible();
    expect(within(panel).getByText('Request'), 'the request from the detail is there, collapsible').toBeVisible();
  });

  it('jumps from an event to its audit trail', async () => {
    const user = userEvent.setup();
    const calls = mockBackend({ event: (id) => eventDetail({ id }), auditList: () => ({ entries: [auditEntry({ seq: 3 })], next_after: null }) });
    renderEvent(7);
    await user.click(await screen.findByRole('button', { name: 'Audit trail' }));

    await screen.findByRole('grid', { name: 'Audit entries' });
    expect(auditQueries(calls)[0]?.filter, 'the audit screen opens filtered to that event').toEqual({ event_id: 7 });
    expect(screen.getByLabelText('Event'), 'the filter bar shows the event filter that is applied').toHaveValue('7');
  });
});

describe('audit entries of a batch', () => {
  it('filters by batch id, shows the batch in the row and the detail, and refuses an id that is not one', async () => {
    const user = userEvent.setup();
    const entry = auditEntry({ seq: 12, action: 'batch_finished', batch_id: 3, event_id: null, outcome: 'cancelled' });
    const calls = mockBackend({ auditList: () => ({ entries: [entry], next_after: null }), auditShow: () => auditDetail(entry) });
    renderApp('audit');
    const bar = screen.getByRole('search', { name: 'Filter audit entries' });
    await user.type(within(bar).getByLabelText('Batch'), 'three{Enter}');
    expect(within(bar).getByRole('alert'), 'a batch id that is not a number is refused with a sentence').toHaveTextContent(
      'Batch: “three” is not a batch id (a whole number).',
    );
    await user.clear(within(bar).getByLabelText('Batch'));
    await user.type(within(bar).getByLabelText('Batch'), '3{Enter}');
    await waitFor(() => expect(auditQueries(calls).at(-1)?.filter, 'the batch filter reaches the backend').toEqual({ batch_id: 3 }));

    const [row] = await auditRows();
    expect(within(row!).getByText('Batch finished'), 'a batch action has its own label').toBeVisible();
    expect(within(row!).getByText('Cancelled'), 'and how the run ended').toBeVisible();
    expect(within(row!).getAllByRole('cell').map((c) => c.textContent)[6], 'the Batch column shows the id').toBe('3');

    await user.click(row!);
    const panel = await screen.findByRole('complementary', { name: 'Audit entry 12' });
    expect(within(panel).getByText('Batch', { selector: 'dt' }).nextElementSibling, 'the detail lists the batch id').toHaveTextContent('3');
    expect(within(panel).getByRole('button', { name: 'Batch 3 entries' }), 'the detail offers the batch’s other entries').toBeVisible();
  });
});

describe('verify chain', () => {
  it('names the first bad entry and its kind, and what was not proven', async () => {
    const user = userEvent.setup();
    mockBackend({ auditVerify: () => verifyContentChanged(500, 1200) });
    renderApp('audit');
    await user.click(await screen.findByRole('button', { name: 'Verify chain' }));

    const result = await screen.findByRole('status', { name: 'Verify result' });
    expect(within(result).getByRole('heading', { level: 3 }), 'the headline names the entry and the kind of damage').toHaveTextContent(
      'Entry 500: Content changed',
    );
    expect(within(result).getByText(/entries 1–499 of 1,200 read/), 'the range that did verify, before the bad entry').toBeVisible();
    expect(within(result).getByText(/entries 501 to 1200 were not checked/), 'what the run could not prove is never silent').toBeVisible();
    expect(within(result).getByRole('button', { name: 'Open entry 500' }), 'the bad entry can be opened from the result').toBeVisible();
  });

  it('shows the verified range, the head hash and the checkpoint on success', async () => {
    const user = userEvent.setup();
    const calls = mockBackend({ auditVerify: () => verifyOk(1200) });
    renderApp('audit');
    await user.click(await screen.findByRole('button', { name: 'Verify chain' }));

    const result = await screen.findByRole('status', { name: 'Verify result' });
    expect(within(result).getByRole('heading', { level: 3 }), 'success says which range was verified').toHaveTextContent(
      'Chain verified: entries 1–1,200',
    );
    expect(within(result).getByText(fakeHash(1200), { exact: false }), 'the head hash is shown in full, to compare').toBeVisible();
    expect(within(result).getByText('Checkpoint valid'), 'the checkpoint state is shown').toBeVisible();
    const verify = calls.find((c) => c.cmd === 'audit_verify');
    expect(typeof verify?.args.taskId, 'verify runs as a task, so its progress events can be told apart').toBe('string');
  });
});

describe('a lost checkpoint and forged entries', () => {
  it('shows a recorded checkpoint loss as a standing alert, with its seq and the unproven range', async () => {
    mockBackend({ auditLosses: () => [auditLoss(42)] });
    renderApp('audit');
    const alert = await screen.findByRole('alert', { name: 'Checkpoint lost' });
    expect(alert, 'the alert says a loss is open, without any verify run').toHaveTextContent('Checkpoint lost: one loss is not acknowledged');
    expect(within(alert).getByRole('button', { name: 'Entry 42' }), 'the loss entry is named and can be opened').toBeVisible();
    expect(alert, 'the range the loss leaves unproven is said').toHaveTextContent('Entries 1 to 41 are not proven by a checkpoint');
    expect(alert, 'and why').toHaveTextContent('the checkpoint file was missing');
  });

  it('keeps an unacknowledged loss in the navigation on every screen', async () => {
    mockBackend({ auditLosses: () => [auditLoss(42)] });
    renderApp('queue');
    const nav = screen.getByRole('navigation', { name: 'Main' });
    expect(
      await within(nav).findByRole('status', { name: 'Audit checkpoint lost at entry 42: not acknowledged' }),
      'the queue shows the loss too, next to "Audit"',
    ).toBeVisible();
  });

  it('records a reviewer’s acknowledgment with a reason, and then shows who acknowledged it', async () => {
    const user = userEvent.setup();
    let acknowledged = false;
    const calls = mockBackend({
      auditLosses: () =>
        acknowledged
          ? [auditLoss(42, { acknowledged: { seq: 50, at: '2026-11-21T09:00:00.000Z', reviewer: 'Rita', reason: 'restored backup' } })]
          : [auditLoss(42)],
      auditAcknowledge: (seq, reviewer, reason) => {
        acknowledged = true;
        return auditLoss(seq, { acknowledged: { seq: 50, at: '2026-11-21T09:00:00.000Z', reviewer, reason } });
      },
    });
    renderApp('audit');
    await user.click(await screen.findByRole('button', { name: 'Acknowledge entry 42…' }));
    const form = screen.getByRole('form', { name: 'Acknowledge the checkpoint loss at entry 42' });
    const submit = within(form).getByRole('button', { name: 'Record acknowledgment' });
    expect(submit, 'nothing is sent without a reviewer and a reason').toBeDisabled();
    await user.type(within(form).getByLabelText('Reviewer'), 'Rita');
    await user.type(within(form).getByLabelText(/Reason/), 'restored backup');
    await user.click(submit);
    await waitFor(() =>
      expect(
        calls.find((c) => c.cmd === 'audit_acknowledge')?.args,
        'the acknowledgment names the loss entry, the reviewer and the reason',
      ).toEqual({ seq: 42, reviewer: 'Rita', reason: 'restored backup' }),
    );
    const alert = await screen.findByRole('alert', { name: 'Checkpoint lost' });
    await waitFor(() => expect(alert, 'an acknowledged loss stays visible, naming who and why').toHaveTextContent('Acknowledged by Rita (entry 50): restored backup'));
  });

  it('names a forged entry at its seq when verify finds one', async () => {
    const user = userEvent.setup();
    mockBackend({ auditVerify: () => verifyForged(7, 10) });
    renderApp('audit');
    await user.click(await screen.findByRole('button', { name: 'Verify chain' }));
    const result = await screen.findByRole('status', { name: 'Verify result' });
    expect(within(result).getByRole('heading', { level: 3 }), 'the forged entry is named with its seq').toHaveTextContent('Entry 7: Forged entry (no valid MAC)');
    expect(within(result).getByRole('button', { name: 'Open entry 7' }), 'and can be opened').toBeVisible();
  });

  it('says in an entry’s panel that it carries no MAC, so was inserted outside the console', async () => {
    mockBackend({
      auditList: () => ({ entries: [auditEntry({ seq: 7, action: 'discard' })], next_after: null }),
      auditShow: (seq) => auditDetail(auditEntry({ seq, action: 'discard' }), { mac: 'missing' }),
    });
    renderApp('audit');
    await screen.findByText('ack-7');
    const [row] = await auditRows();
    row!.focus();
    await userEvent.setup().keyboard('{Enter}');
    const panel = await screen.findByRole('complementary', { name: 'Audit entry 7' });
    expect(within(panel).getByText('Matches its hash'), 'a forged entry can have a right hash').toBeVisible();
    expect(
      within(panel).getByText(/Carries no MAC, though every entry of this log must/),
      'the panel names what gives it away',
    ).toBeVisible();
  });

  it('does not call a log with an acknowledged loss verified from entry 1', async () => {
    const user = userEvent.setup();
    const loss = auditLoss(42, { acknowledged: { seq: 50, at: '2026-11-21T09:00:00.000Z', reviewer: 'Rita', reason: 'restored backup' } });
    mockBackend({ auditVerify: () => verifyOk(60, { losses: [loss] }) });
    renderApp('audit');
    await user.click(await screen.findByRole('button', { name: 'Verify chain' }));
    const result = await screen.findByRole('status', { name: 'Verify result' });
    expect(within(result).getByRole('heading', { level: 3 }), 'the unproven range is in the headline').toHaveTextContent(
      'Verified from entry 42; entries 1–41 not proven (checkpoint lost, acknowledged)',
    );
  });
});
