import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { EventDetail } from '../../ipc';
import { laneSummary, mockBackend, renderApp, summary, eventQueries } from '../../test/ipc';

const lane = laneSummary();

/** The data rows of the events grid (the header row excluded). */
async function eventRows() {
  const grid = await screen.findByRole('grid', { name: 'Events' });
  return within(grid)
    .getAllByRole('row')
    .filter((r) => r.closest('tbody') !== null);
}

describe('queue', () => {
  it('renders the rows of the events_list reply and flags a missing external ID', async () => {
    const calls = mockBackend({
      lanes: [lane],
      counts: [{ lane_id: lane.lane_id, status: 'failed', count: 3 }],
      events: () => ({
        events: [
          summary({ id: 1, event_key: 'evt-1001', external_id: 'BA-1001' }),
          summary({ id: 2, event_key: 'evt-1002', external_id: null, external_id_missing: true }),
          summary({ id: 3, event_key: 'evt-1003', external_id: 'BA-1003', status: 'blocked' }),
        ],
        next_cursor: null,
      }),
    });
    renderApp();

    await screen.findByText('evt-1001');
    const rows = await eventRows();
    expect(rows, 'one grid row per event of the reply, no more (no loader row on the last page)').toHaveLength(3);

    const [first, second, third] = rows;
    expect(within(second!).getByText('missing'), 'the event without an external ID is flagged in its row').toBeVisible();
    expect(within(first!).queryByText('missing'), 'an event with an external ID carries no flag').toBeNull();
    expect(within(first!).getByText('BA-1001'), 'the external ID is shown where there is one').toBeVisible();
    expect(within(third!).getByText('Blocked'), 'each row shows its own status').toBeVisible();
    expect(within(first!).getByText('UNABLE_TO_LOCK_ROW'), 'the failure code is in the row').toBeVisible();

    expect(eventQueries(calls)[0], 'the first page asks for everything from the start, with a bounded page').toEqual({
      lane_id: null,
      status: null,
      after: null,
      limit: 200,
    });
    expect(eventQueries(calls), 'next_cursor null means the last page: nothing more is asked').toHaveLength(1);
  });

  it('search and reason code reach the backend as a fresh first page', async () => {
    const user = userEvent.setup();
    const calls = mockBackend({
      lanes: [lane],
      counts: [{ lane_id: lane.lane_id, status: 'failed', count: 2 }],
      events: () => ({ events: [summary({})], next_cursor: null }),
    });
    renderApp();
    await screen.findByRole('button', { name: 'account_sync_north_america: Failed, 2' });

    await user.type(screen.getByLabelText('Search by external ID or event key (prefix)'), 'BA-10');
    await user.type(screen.getByLabelText('Failure reason code'), 'UNABLE_TO_LOCK_ROW');
    await user.click(screen.getByRole('button', { name: 'Apply' }));

    await waitFor(() =>
      expect(eventQueries(calls).at(-1), 'the prefix and the code are sent with the page query').toEqual({
        lane_id: null,
        status: null,
        after: null,
        limit: 200,
        search: 'BA-10',
        failure_code: 'UNABLE_TO_LOCK_ROW',
      }),
    );
  });

  it('a status chip puts its lane and status into the next events_list query', async () => {
    const user = userEvent.setup();
    const calls = mockBackend({
      lanes: [lane],
      counts: [
        { lane_id: lane.lane_id, status: 'failed', count: 2 },
        { lane_id: lane.lane_id, status: 'blocked', count: 1 },
        { lane_id: 'contact_sync_emea', status: 'failed', count: 4 },
      ],
      events: (q) => ({ events: [summary({ status: q.status ?? 'failed', lane_id: q.lane_id ?? lane.lane_id })], next_cursor: null }),
    });
    renderApp();

    const chip = await screen.findByRole('button', { name: 'account_sync_north_america: Blocked, 1' });
    expect(eventQueries(calls).at(-1)?.status, 'before any pick the queue is unfiltered').toBeNull();

    await user.click(chip);

    await waitFor(() =>
      expect(eventQueries(calls).at(-1), 'the pick reaches the backend as a fresh first page of that lane and status').toEqual({
        lane_id: 'account_sync_north_america',
        status: 'blocked',
        after: null,
        limit: 200,
      }),
    );
    expect(chip, 'the chip shows it is the active filter').toHaveAttribute('aria-pressed', 'true');
    expect(screen.getByLabelText('Status'), 'the status select follows the chip').toHaveValue('blocked');
    expect(screen.getByLabelText('Lane'), 'the lane select follows the chip').toHaveValue('account_sync_north_america');
  });

  it("asks for the next page with the previous page's cursor once the end of the list is in view", async () => {
    const calls = mockBackend({
      lanes: [lane],
      counts: [{ lane_id: lane.lane_id, status: 'failed', count: 5 }],
      events: (q) =>
        q.after === null
          ? { events: [1, 2, 3].map((id) => summary({ id })), next_cursor: '3' }
          : { events: [4, 5].map((id) => summary({ id })), next_cursor: null },
    });
    renderApp();

    // Three rows fill far less than the viewport, so the loader row is in view at once.
    await waitFor(async () => expect(await eventRows(), 'both pages end up in the grid, in order').toHaveLength(5));
    const queries = eventQueries(calls);
    expect(queries.map((q) => q.after), 'page two starts after the last id of page one; no third page').toEqual([null, '3']);
  });

  it('arrow keys move between rows and Enter opens the focused event in full', async () => {
    const user = userEvent.setup();
    const detail: EventDetail = {
      ...summary({ id: 12, event_key: 'evt-2012', external_id: null, external_id_missing: true }),
      failure_code: 'DUPLICATE_VALUE',
      failure_message: 'duplicate value found: billing_account_id__c',
      lane_version: 3,
      attempts: [],
      triage: { assignee: null, investigating: false, tags: [], notes: [], updated_by: null, updated_at: null },
      source_system: 'billing',
      failure_http_status: 400,
      import_id: 7,
      payload: { Name: 'Acme GmbH', Tier__c: 'Gold', AnnualRevenue: 1250000 },
    };
    const calls = mockBackend({
      lanes: [lane],
      counts: [{ lane_id: lane.lane_id, status: 'failed', count: 2 }],
      events: () => ({ events: [summary({ id: 11 }), summary({ id: 12, event_key: 'evt-2012' })], next_cursor: null }),
      event: (id) => ({ ...detail, id }),
    });
    renderApp();

    await screen.findByText('evt-1011');
    const [first] = await eventRows();
    first!.focus();
    await user.keyboard('{ArrowDown}');
    const [, second] = await eventRows();
    expect(second, 'ArrowDown moves focus to the next row').toHaveFocus();
    await user.keyboard('{Enter}');

    const panel = await screen.findByRole('complementary', { name: 'Event 12' });
    expect(calls.filter((c) => c.cmd === 'event_show').map((c) => c.args), 'Enter opens the focused row, not the first').toEqual([{ id: 12 }]);
    await within(panel).findByText('billing');
    expect(within(panel).getByText('DUPLICATE_VALUE'), 'the failure code is shown').toBeVisible();
    expect(within(panel).getByText('400'), 'the HTTP status of the failure is shown').toBeVisible();
    expect(within(panel).getByText('external ID missing'), 'the target says plainly that it has no external ID').toBeVisible();
    const payload = within(panel).getByRole('table');
    expect(within(payload).getByRole('rowheader', { name: 'Tier__c' }), 'each payload field is a row').toBeVisible();
    expect(within(payload).getByText('Gold'), 'with its value').toBeVisible();
    expect(within(payload).getByText('1250000'), 'numbers are shown as stored').toBeVisible();

    await user.keyboard('{Escape}');
    expect(screen.queryByRole('complementary', { name: 'Event 12' }), 'Escape closes the panel').toBeNull();
  });

  it("shows an IPC error as a banner with the backend's message", async () => {
    mockBackend({
      lanes: [lane],
      counts: [{ lane_id: lane.lane_id, status: 'failed', count: 2 }],
      fail: { events_list: { kind: 'internal', message: 'database is locked' } },
    });
    renderApp();

    const alert = await screen.findByRole('alert');
    expect(alert, 'the operator reads what went wrong, in words').toHaveTextContent('Something failed on this machine');
    expect(alert, "the backend's own message is shown as is").toHaveTextContent('database is locked');
    expect(alert.textContent, 'no stack trace or object dump reaches the screen').not.toMatch(/\bat\s+\S+\s+\(|\[object Object\]/);
  });

  it('with nothing imported, says how to import lanes and events', async () => {
    mockBackend({ lanes: [], counts: [] });
    renderApp();

    expect(await screen.findByText('replay-console lanes import FILE.yaml'), 'step one: the lane contract').toBeVisible();
    expect(screen.getByText('replay-console events import FILE.ndjson'), 'step two: the events').toBeVisible();
    expect(screen.queryByRole('grid'), 'no empty table where there is nothing to list').toBeNull();
  });
});
