import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { TriageChange } from '../../ipc';
import { eventDetail, eventQueries, laneSummary, mockBackend, renderApp, renderEvent, summary } from '../../test/ipc';

describe('triage', () => {
  it('shows who works on an event and sends each change with the name of who made it', async () => {
    const user = userEvent.setup();
    const changes: [number[], TriageChange][] = [];
    mockBackend({
      event: () =>
        eventDetail({
          id: 7,
          status: 'failed',
          triage: {
            assignee: 'Ana Lead',
            investigating: false,
            tags: ['inc-7'],
            notes: [{ id: 1, author: 'Ana Lead', author_authenticated: false, text: 'lock from the nightly ERP job', at: '2026-11-20T11:00:00.000Z' }],
            updated_by: 'Ana Lead',
            updated_at: '2026-11-20T11:00:00.000Z',
          },
        }),
      triage: (ids, change) => {
        changes.push([ids, change]);
        return { changed: ids, unchanged: [] };
      },
    });
    renderEvent(7);
    const card = (await screen.findByRole('heading', { name: 'Triage' })).closest('section') as HTMLElement;
    expect(card).toHaveTextContent('Assigned to Ana Lead');
    expect(within(card).getByRole('list', { name: 'Notes' })).toHaveTextContent('lock from the nightly ERP job');
    const mark = within(card).getByRole('button', { name: 'Mark investigating' });
    expect(mark, 'nobody named yet').toBeDisabled();
    await user.type(within(card).getByLabelText('You'), 'Dana Ops');
    await user.click(mark);
    await user.click(within(card).getByRole('button', { name: 'Remove tag inc-7' }));
    await user.type(within(card).getByLabelText('New tag'), 'erp-lock');
    await user.click(within(card).getByRole('button', { name: 'Add tag' }));
    await user.type(within(card).getByLabelText('Note'), 'retry after 14:00');
    await user.click(within(card).getByRole('button', { name: 'Add note' }));
    expect(changes.map(([ids, c]) => [ids, c])).toEqual([
      [[7], { add_tags: [], remove_tags: [], investigating: true, by: 'Dana Ops' }],
      [[7], { add_tags: [], remove_tags: ['inc-7'], by: 'Dana Ops' }],
      [[7], { add_tags: ['erp-lock'], remove_tags: [], by: 'Dana Ops' }],
      [[7], { add_tags: [], remove_tags: [], note: 'retry after 14:00', by: 'Dana Ops' }],
    ]);
  });

  it('filters the queue by assignee, tag and the investigating mark', async () => {
    const user = userEvent.setup();
    const lane = laneSummary();
    const calls = mockBackend({
      lanes: [lane],
      counts: [{ lane_id: lane.lane_id, status: 'failed', count: 3 }],
      events: () => ({ events: [summary({ lane_id: lane.lane_id })], next_cursor: null }),
    });
    renderApp();
    await screen.findByRole('search', { name: 'Filter events' });
    await user.type(screen.getByLabelText('Assigned to'), 'Ana Lead');
    await user.type(screen.getByLabelText('Tag'), 'INC-7');
    await user.click(screen.getByRole('button', { name: 'Apply' }));
    await user.click(screen.getByRole('checkbox', { name: 'Being investigated' }));
    expect(eventQueries(calls).at(-1)).toMatchObject({ assignee: 'Ana Lead', tag: 'inc-7', investigating: true });
  });
});
