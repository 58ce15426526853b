import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { Person, QueueExportRequest, TriageChange } from '../../ipc';
import { eventQueries, laneSummary, mockBackend, renderApp, summary } from '../../test/ipc';

const lane = laneSummary();
const counts = [{ lane_id: lane.lane_id, status: 'failed' as const, count: 3 }];
const three = () => ({ events: [21, 22, 23].map((id) => summary({ id, lane_id: lane.lane_id })), next_cursor: null });

function grid() {
  return screen.findByRole('grid', { name: 'Events' });
}

function selectionBar() {
  return screen.getByRole('region', { name: 'Selected events' });
}

describe('multi-select triage', () => {
  it('applies one change to the ticked events in a single triage call, without opening them', async () => {
    const user = userEvent.setup();
    const sent: [number[], TriageChange][] = [];
    const calls = mockBackend({
      lanes: [lane],
      counts,
      events: three,
      triage: (ids, change) => {
        sent.push([ids, change]);
        return { changed: ids, unchanged: [] };
      },
    });
    renderApp();
    const table = await grid();
    await within(table).findByText('evt-1021');

    await user.click(within(table).getByRole('checkbox', { name: 'Select event 23' }));
    await user.click(within(table).getByRole('checkbox', { name: 'Select event 21' }));
    expect(within(table).getByRole('checkbox', { name: 'Select event 22' })).not.toBeChecked();
    expect(calls.some((c) => c.cmd === 'event_show'), 'a tick does not open the event').toBe(false);
    expect(screen.queryByRole('complementary', { name: /^Event / }), 'no detail panel').toBeNull();
    expect(selectionBar()).toHaveTextContent('2 selected');

    await user.click(within(selectionBar()).getByRole('button', { name: 'Triage selected…' }));
    const dialog = await screen.findByRole('dialog', { name: 'Triage 2 events' });
    await user.type(within(dialog).getByLabelText('You'), 'Dana Ops');
    await user.selectOptions(within(dialog).getByLabelText('Assignee'), 'Assign to…');
    await user.type(within(dialog).getByLabelText('Assign to'), 'Ana Lead');
    await user.selectOptions(within(dialog).getByLabelText('Investigating'), 'Mark as being investigated');
    await user.type(within(dialog).getByLabelText('Add tag'), 'inc-4711');
    await user.type(within(dialog).getByLabelText('Note'), 'ERP lock during the nightly run');
    const before = eventQueries(calls).length;
    await user.click(within(dialog).getByRole('button', { name: 'Apply to 2 events' }));

    expect(await within(dialog).findByRole('status')).toHaveTextContent('Updated 2 events');
    expect(sent, 'one call for both events, with the one change').toEqual([
      [
        [21, 23],
        {
          assign: 'Ana Lead',
          investigating: true,
          add_tags: ['inc-4711'],
          remove_tags: [],
          note: 'ERP lock during the nightly run',
          by: 'Dana Ops',
        },
      ],
    ]);
    await waitFor(() => expect(eventQueries(calls).length, 'the queue is asked again').toBeGreaterThan(before));
    expect(selectionBar(), 'the selection is cleared').not.toHaveTextContent('selected');
    expect(within(table).getByRole('checkbox', { name: 'Select event 21' })).not.toBeChecked();
    await user.click(within(dialog).getByRole('button', { name: 'Close' }));
    expect(screen.queryByRole('dialog')).toBeNull();
  });

  it('clicking a row still opens its detail panel and leaves it unticked', async () => {
    const user = userEvent.setup();
    const calls = mockBackend({ lanes: [lane], counts, events: three });
    renderApp();
    const table = await grid();
    await user.click(await within(table).findByText('evt-1022'));
    await waitFor(() => expect(calls.filter((c) => c.cmd === 'event_show').map((c) => c.args)).toEqual([{ id: 22 }]));
    expect(within(table).getByRole('checkbox', { name: 'Select event 22' })).not.toBeChecked();
    expect(selectionBar()).not.toHaveTextContent('selected');
  });

  it('the header checkbox ticks every loaded row and unticks them again', async () => {
    const user = userEvent.setup();
    mockBackend({
      lanes: [lane],
      counts,
      // Two pages, both loaded (the list fits the viewport): "all" is every loaded row.
      events: (q) =>
        q.after === null
          ? { events: [31, 32].map((id) => summary({ id })), next_cursor: '32' }
          : { events: [33].map((id) => summary({ id })), next_cursor: null },
    });
    renderApp();
    const table = await grid();
    await within(table).findByText('evt-1033');
    const all = within(table).getByRole('checkbox', { name: 'Select all loaded events' });
    const rows = () => [31, 32, 33].map((id) => within(table).getByRole('checkbox', { name: `Select event ${id}` }));

    await user.click(rows()[1]!);
    expect(all, 'some ticked: the header box is mixed').toHaveProperty('indeterminate', true);
    await user.click(all);
    for (const box of rows()) expect(box).toBeChecked();
    expect(all).toBeChecked();
    expect(selectionBar()).toHaveTextContent('3 selected');

    await user.click(all);
    for (const box of rows()) expect(box).not.toBeChecked();
    expect(selectionBar()).not.toHaveTextContent('selected');
  });

  it('Shift+click ticks a range; X ticks the focused row', async () => {
    const user = userEvent.setup();
    mockBackend({ lanes: [lane], counts, events: () => ({ events: [41, 42, 43, 44].map((id) => summary({ id })), next_cursor: null }) });
    renderApp();
    const table = await grid();
    await within(table).findByText('evt-1044');
    const box = (id: number) => within(table).getByRole('checkbox', { name: `Select event ${id}` });

    await user.click(box(41));
    await user.keyboard('{Shift>}');
    await user.click(box(43));
    await user.keyboard('{/Shift}');
    expect([41, 42, 43, 44].map((id) => (box(id) as HTMLInputElement).checked)).toEqual([true, true, true, false]);

    const row44 = box(44).closest('tr') as HTMLElement;
    row44.focus();
    await user.keyboard('x');
    expect(box(44)).toBeChecked();
    expect(screen.queryByRole('complementary', { name: /^Event / }), 'X ticks, it does not open').toBeNull();
    expect(selectionBar()).toHaveTextContent('4 selected');
    await user.click(within(selectionBar()).getByRole('button', { name: 'Clear selection' }));
    expect(box(41)).not.toBeChecked();
  });

  it('in solo mode asks who makes the change, and remembers the name', async () => {
    const user = userEvent.setup();
    const sent: TriageChange[] = [];
    mockBackend({
      lanes: [lane],
      counts,
      events: three,
      triage: (ids, change) => {
        sent.push(change);
        return { changed: ids.slice(1), unchanged: ids.slice(0, 1) };
      },
    });
    renderApp();
    const table = await grid();
    await user.click(await within(table).findByRole('checkbox', { name: 'Select all loaded events' }));
    await user.click(within(selectionBar()).getByRole('button', { name: 'Triage selected…' }));
    const dialog = await screen.findByRole('dialog', { name: 'Triage 3 events' });

    const you = within(dialog).getByLabelText('You');
    expect(you).toHaveAttribute('placeholder', expect.not.stringMatching(/^Your name/));
    expect(you, 'nobody named yet: the name comes first').toHaveFocus();
    await user.selectOptions(within(dialog).getByLabelText('Assignee'), 'Unassign');
    const apply = within(dialog).getByRole('button', { name: 'Apply to 3 events' });
    expect(apply, 'a change, but nobody to record it with').toBeDisabled();
    expect(dialog).toHaveTextContent('Say who you are first');
    await user.click(apply);
    expect(sent).toEqual([]);

    await user.type(you, '  Dana Ops ');
    expect(apply).toBeEnabled();
    await user.click(apply);
    expect(await within(dialog).findByRole('status')).toHaveTextContent('Updated 2 events');
    expect(dialog).toHaveTextContent('1 event already was as asked');
    expect(sent).toEqual([{ assign: '', add_tags: [], remove_tags: [], by: 'Dana Ops' }]);
    expect(window.localStorage.getItem('replay-console.operator'), 'remembered for the next change').toBe('Dana Ops');
  });

  it('needs a change before it applies, and refuses a bad tag before sending it', async () => {
    const user = userEvent.setup();
    window.localStorage.setItem('replay-console.operator', 'Dana Ops');
    const calls = mockBackend({ lanes: [lane], counts, events: three });
    renderApp();
    const table = await grid();
    await user.click(await within(table).findByRole('checkbox', { name: 'Select event 21' }));
    await user.click(within(selectionBar()).getByRole('button', { name: 'Triage selected…' }));
    const dialog = await screen.findByRole('dialog', { name: 'Triage 1 event' });
    expect(within(dialog).getByLabelText('You'), 'the remembered name').toHaveValue('Dana Ops');
    const apply = within(dialog).getByRole('button', { name: 'Apply to 1 event' });
    expect(apply, 'nothing to change yet').toBeDisabled();
    await user.type(within(dialog).getByLabelText('Add tag'), 'inc 4711');
    expect(within(dialog).getByLabelText('Add tag')).toHaveAttribute('aria-invalid', 'true');
    expect(apply, 'a tag with a space').toBeDisabled();
    await user.clear(within(dialog).getByLabelText('Add tag'));
    await user.type(within(dialog).getByLabelText('Remove tag'), 'inc-7');
    expect(apply).toBeEnabled();
    await user.keyboard('{Escape}');
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(calls.some((c) => c.cmd === 'events_triage'), 'cancelled: nothing sent').toBe(false);
    expect(selectionBar(), 'cancelling keeps the selection').toHaveTextContent('1 selected');
  });

  it('in team mode records the login, and a reader may not triage', async () => {
    const user = userEvent.setup();
    let person: Person = { login: 'ines', roles: ['operator'], authenticated: true, server: 'team.example:5432' };
    const sent: TriageChange[] = [];
    mockBackend({
      lanes: [lane],
      counts,
      events: three,
      whoami: () => person,
      triage: (ids, change) => {
        sent.push(change);
        return { changed: ids, unchanged: [] };
      },
    });
    const first = renderApp();
    let table = await grid();
    await user.click(await within(table).findByRole('checkbox', { name: 'Select event 22' }));
    await user.click(within(selectionBar()).getByRole('button', { name: 'Triage selected…' }));
    let dialog = await screen.findByRole('dialog', { name: 'Triage 1 event' });
    expect(within(dialog).queryByLabelText('You'), 'the login is who').toBeNull();
    await user.selectOptions(within(dialog).getByLabelText('Investigating'), 'Done investigating');
    await user.click(within(dialog).getByRole('button', { name: 'Apply to 1 event' }));
    await within(dialog).findByRole('status');
    expect(sent).toEqual([{ investigating: false, add_tags: [], remove_tags: [], by: 'ines' }]);
    first.unmount();

    person = { login: 'rita', roles: ['reader'], authenticated: true, server: 'team.example:5432' };
    renderApp();
    table = await grid();
    await user.click(await within(table).findByRole('checkbox', { name: 'Select event 22' }));
    const button = within(selectionBar()).getByRole('button', { name: 'Triage selected…' });
    await waitFor(() => expect(button, 'a reader may look, not triage').toBeDisabled());
    expect(within(selectionBar()).getByRole('note')).toHaveTextContent('needs the operator role');
  });

  it('shows a refused change in the dialog and keeps the selection', async () => {
    const user = userEvent.setup();
    window.localStorage.setItem('replay-console.operator', 'Dana Ops');
    mockBackend({
      lanes: [lane],
      counts,
      events: three,
      fail: { events_triage: { kind: 'invalid_input', message: 'tag `inc-7` is both added and removed' } },
    });
    renderApp();
    const table = await grid();
    await user.click(await within(table).findByRole('checkbox', { name: 'Select event 21' }));
    await user.click(within(table).getByRole('checkbox', { name: 'Select event 22' }));
    await user.click(within(selectionBar()).getByRole('button', { name: 'Triage selected…' }));
    const dialog = await screen.findByRole('dialog', { name: 'Triage 2 events' });
    await user.type(within(dialog).getByLabelText('Note'), 'checked');
    await user.click(within(dialog).getByRole('button', { name: 'Apply to 2 events' }));
    const alert = await within(dialog).findByRole('alert');
    expect(alert).toHaveTextContent('Triage: The input is not valid');
    expect(alert).toHaveTextContent('tag `inc-7` is both added and removed');
    await user.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(selectionBar()).toHaveTextContent('2 selected');
  });

  it('a new filter clears the selection', async () => {
    const user = userEvent.setup();
    mockBackend({
      lanes: [lane],
      counts: [...counts, { lane_id: lane.lane_id, status: 'blocked', count: 1 }],
      events: three,
    });
    renderApp();
    const table = await grid();
    await user.click(await within(table).findByRole('checkbox', { name: 'Select event 21' }));
    expect(selectionBar()).toHaveTextContent('1 selected');
    await user.type(screen.getByLabelText('Failure reason code'), 'UNABLE_TO_LOCK_ROW');
    await user.click(screen.getByRole('button', { name: 'Apply' }));
    await waitFor(() => expect(selectionBar()).not.toHaveTextContent('selected'));
    expect(within(await grid()).getByRole('checkbox', { name: 'Select event 21' })).not.toBeChecked();
  });
});

describe('find', () => {
  it('sends the words as `text`, hides the total while set, and Clear filters drops them', async () => {
    const user = userEvent.setup();
    const calls = mockBackend({ lanes: [lane], counts, events: three });
    renderApp();
    await screen.findByText('3 total');

    const find = screen.getByLabelText('Find words in payload values and failure messages');
    expect(find).toHaveAttribute('placeholder', 'Words in payloads and messages');
    await user.type(find, '  acme gmb* ');
    expect(eventQueries(calls).some((q) => 'text' in q), 'applied on submit, not while typing').toBe(false);
    await user.keyboard('{Enter}');

    await waitFor(() =>
      expect(eventQueries(calls).at(-1), 'the words go with a fresh first page').toEqual({
        lane_id: null,
        status: null,
        after: null,
        limit: 200,
        text: 'acme gmb*',
      }),
    );
    expect(screen.queryByText('3 total'), 'the kept counts do not know what the words match').toBeNull();
    expect(screen.queryByText(/matching$/)).toBeNull();

    await user.click(screen.getByRole('button', { name: 'Clear filters' }));
    expect(find, 'the field is emptied').toHaveValue('');
    expect(await screen.findByText('3 total'), 'the unfiltered queue again').toBeInTheDocument();
    // And the words are gone from the filter: the next query goes without them.
    await user.type(screen.getByLabelText('Failure reason code'), 'UNABLE_TO_LOCK_ROW{Enter}');
    await waitFor(() =>
      expect(eventQueries(calls).at(-1)).toEqual({ lane_id: null, status: null, after: null, limit: 200, failure_code: 'UNABLE_TO_LOCK_ROW' }),
    );
  });

  it('says how many events the index does not reach yet, and only for a text search', async () => {
    const user = userEvent.setup();
    mockBackend({
      lanes: [lane],
      counts,
      events: (q) => ({ ...three(), ...(q.text ? { search_unindexed: 1200 } : {}) }),
    });
    renderApp();
    await screen.findByText('3 total');
    expect(screen.queryByText(/does not reach/)).toBeNull();
    await user.type(screen.getByLabelText('Find words in payload values and failure messages'), 'acme{Enter}');
    expect(
      await screen.findByText('The search does not reach 1,200 recently imported events yet: indexing, the list updates when done'),
    ).toBeVisible();
  });

  it('is said to be left out of a batch, like the search', async () => {
    const user = userEvent.setup();
    mockBackend({ lanes: [lane], counts, events: three });
    renderApp();
    await user.click(await screen.findByRole('button', { name: `${lane.lane_id}: Failed, 3` }));
    await user.type(screen.getByLabelText('Find words in payload values and failure messages'), 'timeout{Enter}');
    expect(await screen.findByText(/the text search “timeout” is left out/)).toBeVisible();
    await user.click(screen.getByRole('button', { name: 'Batch replay…' }));
    expect(await screen.findByRole('note')).toHaveTextContent(/text search “timeout” is not part of the batch/);
  });

  it('goes with the Data Loader export of the filter', async () => {
    const user = userEvent.setup();
    const sent: QueueExportRequest[] = [];
    mockBackend({
      lanes: [lane],
      counts,
      events: three,
      queueExport: (request) => {
        sent.push(request);
        return {
          path: '/home/ines/loader.csv',
          rows: 1,
          columns: ['billing_account_id__c', 'Name'],
          object: 'Account',
          external_id_field: 'billing_account_id__c',
          without_external_id: 0,
          protected_left_out: [],
          edited: 0,
          unapproved_edits: 0,
          formula_like_cells: 0,
        };
      },
    });
    renderApp();
    await user.click(await screen.findByRole('button', { name: `${lane.lane_id}: Failed, 3` }));
    await user.type(screen.getByLabelText('Find words in payload values and failure messages'), 'acme{Enter}');
    await user.click(screen.getByRole('button', { name: 'Export for Data Loader…' }));
    const dialog = await screen.findByRole('dialog', { name: 'Export for Data Loader' });
    expect(dialog, 'the dialog says which events').toHaveTextContent('containing the words “acme”');
    const path = within(dialog).getByLabelText('Write to (absolute path)');
    await user.clear(path);
    await user.type(path, '/home/ines/loader.csv');
    await user.click(within(dialog).getByRole('button', { name: 'Write the CSV' }));
    await within(dialog).findByText(/Wrote 1 row of Account/);
    expect(sent[0]?.query).toMatchObject({ lane_id: lane.lane_id, status: 'failed', text: 'acme' });
  });
});
