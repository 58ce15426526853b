import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { AttemptRow } from '../../ipc';
import { eventDetail, mockBackend, renderApp, renderEvent, summary } from '../../test/ipc';

const attempt = (over: Partial<AttemptRow>): AttemptRow => ({
  id: 1,
  event_id: 7,
  preflight_id: 1,
  batch_id: null,
  operator: 'p.okafor',
  reason: 'INC-4471 first pass',
  ack_token: '3f9a1c0be27d',
  again_reason: null,
  override_reason: null,
  approved_by: null,
  outcome: 'rejected',
  started_at: '2026-11-20T11:00:00.000Z',
  finished_at: '2026-11-20T11:00:00.840Z',
  http_status: 400,
  error_code: 'FIELD_CUSTOM_VALIDATION_EXCEPTION',
  error_message: 'Tier__c cannot be downgraded while an open renewal exists',
  record_id: null,
  settled_by: null,
  ...over,
});

describe('event view', () => {
  it('opens from the queue panel in full, with the attempt history, and goes back to the queue as it was', async () => {
    const user = userEvent.setup();
    const event = eventDetail({
      id: 7,
      status: 'replayed',
      attempts: [
        attempt({ id: 1 }),
        attempt({ id: 2, operator: 'l.fischer', reason: 'INC-4471 after the fix', outcome: 'applied', http_status: 204, error_code: null, error_message: null, again_reason: null }),
      ],
    });
    mockBackend({
      counts: [{ lane_id: event.lane_id, status: 'replayed', count: 1 }],
      events: () => ({ events: [summary({ id: 7, event_key: 'evt-1007', status: 'replayed' })], next_cursor: null }),
      event: () => event,
    });
    renderApp();

    await user.click(await screen.findByText('evt-1007'));
    const panel = await screen.findByRole('complementary', { name: 'Event 7' });
    await user.click(within(panel).getByRole('button', { name: 'Preflight and replay' }));

    expect(await screen.findByRole('heading', { level: 1, name: 'Event 7' }), 'the event has a view of its own').toBeVisible();
    expect(screen.queryByRole('grid', { name: 'Events' }), 'the queue is out of the way (hidden, kept)').toBeNull();
    const rows = within(screen.getByRole('table', { name: 'Attempts' })).getAllByRole('row').slice(1);
    expect(rows, 'one row per attempt, oldest first').toHaveLength(2);
    expect(rows[0], 'a rejected attempt shows its outcome').toHaveTextContent('Rejected');
    expect(rows[0], 'who tried and why').toHaveTextContent('p.okaforINC-4471 first pass');
    expect(rows[0], "the HTTP status and Salesforce's error").toHaveTextContent('HTTP 400FIELD_CUSTOM_VALIDATION_EXCEPTION');
    expect(rows[0], 'when, in UTC').toHaveTextContent('2026-11-2011:00:00');
    expect(rows[1], 'the later attempt was applied').toHaveTextContent('Applied');
    expect(screen.queryByRole('button', { name: 'Discard…' }), 'a replayed event cannot be discarded').toBeNull();
    expect(screen.getByRole('button', { name: 'Run preflight' }), 'a preflight can be taken from here').toBeEnabled();

    await user.click(screen.getByRole('button', { name: /Queue$/ }));
    expect(await screen.findByRole('grid', { name: 'Events' }), 'back on the queue').toBeVisible();
    expect(screen.getByRole('complementary', { name: 'Event 7' }), 'with the same event still selected').toBeVisible();
  });

  it("marks an attempt's typed approver as declared in solo mode, and not in team mode, where it is the approving login", async () => {
    const event = eventDetail({ id: 7, status: 'replayed', attempts: [attempt({ approved_by: 'm.rossi', override_reason: 'moved to enterprise', outcome: 'applied' })] });
    mockBackend({ event: () => event });
    const { unmount } = renderEvent(7);
    const table = await screen.findByRole('table', { name: 'Attempts' });
    expect(await within(table).findByText(/declared, not authenticated/)).toHaveTextContent(
      'override approved by m.rossi (declared, not authenticated): moved to enterprise',
    );
    unmount();

    mockBackend({
      event: () => ({ ...event, attempts: [attempt({ approved_by: 'vera', outcome: 'applied' })] }),
      whoami: () => ({ login: 'otto', roles: ['reader', 'operator'], authenticated: true, server: 'postgres://otto@db:5432/replay' }),
    });
    renderEvent(7);
    const teamTable = await screen.findByRole('table', { name: 'Attempts' });
    expect(await within(teamTable).findByText(/override approved by vera/)).not.toHaveTextContent('declared');
  });
});
