import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { AlertsView } from '../../ipc';
import { mockBackend, renderApp, renderWithClient } from '../../test/ipc';
import { AlertsPanel } from './AlertsPanel';
import { fillHours } from './ActivityChart';

const view: AlertsView = {
  window_hours: 24,
  since: '2026-11-19T12:00:00.000Z',
  alerts: [
    {
      code: 'duplicate_conflict_detected',
      lane_id: 'account_sync_north_america',
      alert_owner: 'revops_incidents',
      count: 12,
      message: '12 preflight(s) found records a replay would duplicate or could not choose between',
    },
    {
      code: 'replay_blocked',
      lane_id: 'contact_sync_emea',
      alert_owner: 'crm_oncall',
      count: 3,
      message: '3 replay(s) refused by the gate or a blocking finding',
    },
  ],
  checks: [
    { code: 'duplicate_conflict_detected', lane_id: 'account_sync_north_america', active: true, count: 12, threshold: 'any in 24 h', message: '' },
    { code: 'fallback_owner_spike', lane_id: 'account_sync_north_america', active: false, count: 0, threshold: "above 5% of the lane's replays in 24 h", message: '' },
    { code: 'replay_blocked', lane_id: 'contact_sync_emea', active: true, count: 3, threshold: 'any in 24 h', message: '' },
  ],
  series: [
    { hour: '2026-11-20T09:00', failures: 40, replays: 0 },
    { hour: '2026-11-20T10:00', failures: 20, replays: 10 },
    { hour: '2026-11-20T13:00', failures: 5, replays: 30 },
  ],
};

describe('alerts panel', () => {
  it('lists each active alert with its title, lane, count, message and owner', async () => {
    const user = userEvent.setup();
    mockBackend({ alerts: () => view });
    renderWithClient(<AlertsPanel />);

    const region = await screen.findByRole('region', { name: '2 active alerts' });
    const summary = within(region).getByRole('list', { name: 'Active alerts, in short' });
    expect(
      within(summary).getAllByRole('listitem').map((li) => li.textContent),
      'collapsed, the strip still names every alert with its count',
    ).toEqual(['Duplicate conflicts detected 12', 'Replays blocked 3']);

    const toggle = within(region).getByRole('button', { name: 'Show alerts and activity' });
    expect(toggle, 'the details start collapsed, to leave the queue its room').toHaveAttribute('aria-expanded', 'false');
    await user.click(toggle);
    expect(toggle, 'the toggle says it is open now').toHaveAttribute('aria-expanded', 'true');

    const card = within(region).getByRole('heading', { name: 'Duplicate conflicts detected' }).closest('li') as HTMLElement;
    expect(card, 'the count is in the card').toHaveTextContent('12');
    expect(card, "the backend's message is shown as written").toHaveTextContent(view.alerts[0]!.message);
    expect(within(card).getByText('Lane').nextElementSibling, 'the lane it fired in').toHaveTextContent('account_sync_north_america');
    expect(within(card).getByText('Tell').nextElementSibling, 'whom the contract says to tell').toHaveTextContent('revops_incidents');
    const second = within(region).getByRole('heading', { name: 'Replays blocked' }).closest('li') as HTMLElement;
    expect(within(second).getByText('Tell').nextElementSibling, 'each alert has its own lane owner').toHaveTextContent('crm_oncall');

    const watched = within(region).getByRole('table', { name: /What each lane watches/ });
    const rows = within(watched)
      .getAllByRole('row')
      .slice(1)
      .map((r) => within(r).getAllByRole('cell').map((c) => c.textContent));
    expect(rows, 'quiet alerts are listed too, with when they fire').toEqual([
      ['Duplicate conflicts detected', 'account_sync_north_america', 'active', '12', 'any in 24 h'],
      ['Fallback owner spike', 'account_sync_north_america', 'quiet', '0', "above 5% of the lane's replays in 24 h"],
      ['Replays blocked', 'contact_sync_emea', 'active', '3', 'any in 24 h'],
    ]);
  });

  it('draws one bar pair per hour from the first active hour to the last, quiet hours empty, scaled to the busiest', async () => {
    const user = userEvent.setup();
    mockBackend({ alerts: () => view });
    const { container } = renderWithClient(<AlertsPanel />);
    await user.click(await screen.findByRole('button', { name: 'Show alerts and activity' }));

    const chart = screen.getByRole('img', { name: /Failures and replays per hour over 5 hours \(3 active\): 65 failures, 40 replays/ });
    const buckets = chart.querySelectorAll('.chart-bucket');
    expect(
      [...buckets].map((b) => b.getAttribute('data-hour')),
      'the axis is time: 09:00 to 13:00 hour by hour, the quiet 11:00 and 12:00 included',
    ).toEqual(['2026-11-20T09:00', '2026-11-20T10:00', '2026-11-20T11:00', '2026-11-20T12:00', '2026-11-20T13:00']);
    const height = (b: Element, cls: string) => Number(b.querySelector(`rect.${cls}`)?.getAttribute('height'));
    for (const [i, b] of [...buckets].entries()) {
      expect(b.querySelectorAll('rect.bar-failures'), `bucket ${i} has exactly one failures bar`).toHaveLength(1);
      expect(b.querySelectorAll('rect.bar-replays'), `bucket ${i} has exactly one replays bar`).toHaveLength(1);
    }
    const [first, second, quiet, , third] = [...buckets] as [Element, Element, Element, Element, Element];
    expect(height(quiet, 'bar-failures') + height(quiet, 'bar-replays'), 'a quiet hour draws no bars').toBe(0);
    expect(height(first, 'bar-failures') / height(second, 'bar-failures'), '40 failures draw twice as tall as 20').toBeCloseTo(2);
    expect(height(third, 'bar-replays') / height(second, 'bar-replays'), '30 replays draw three times as tall as 10').toBeCloseTo(3);
    expect(height(first, 'bar-replays'), 'an hour without replays has a flat replays bar').toBe(0);
    expect(first.querySelector('title')?.textContent, 'hovering a bucket names its hour and both numbers').toBe('20 Nov 09:00 UTC: 40 failures, 0 replays');
    expect(
      container.querySelectorAll('table.visually-hidden tbody tr'),
      'the same numbers are in a table for screen readers, one row per active hour',
    ).toHaveLength(view.series.length);
  });

  it('sits on the queue screen, above the counts', async () => {
    mockBackend({
      counts: [{ lane_id: 'account_sync_north_america', status: 'failed', count: 4 }],
      alerts: () => view,
    });
    renderApp();
    expect(await screen.findByRole('region', { name: '2 active alerts' }), 'operators see alerts where they work: the queue').toBeVisible();
  });

  it('says so when no alert is active and nothing happened', async () => {
    const user = userEvent.setup();
    mockBackend({ alerts: () => ({ ...view, alerts: [], series: [] }) });
    renderWithClient(<AlertsPanel />);
    expect(await screen.findByRole('heading', { name: 'No active alerts in the last 24 hours' }), 'a quiet state is stated, not left blank').toBeVisible();
    await user.click(screen.getByRole('button', { name: 'Show alerts and activity' }));
    expect(screen.getByText('No failures or replays recorded in the last 48 hours.'), 'an empty chart explains itself').toBeVisible();
  });
});

describe('fillHours', () => {
  it('fills the quiet hours across midnight, and leaves a span too long to draw as it is', () => {
    const filled = fillHours([
      { hour: '2026-11-20T22:00', failures: 3, replays: 0 },
      { hour: '2026-11-21T01:00', failures: 0, replays: 2 },
    ]);
    expect(filled.map((b) => b.hour), 'hour by hour over the day boundary').toEqual([
      '2026-11-20T22:00',
      '2026-11-20T23:00',
      '2026-11-21T00:00',
      '2026-11-21T01:00',
    ]);
    expect(filled[1], 'a filled hour is zero, not invented').toEqual({ hour: '2026-11-20T23:00', failures: 0, replays: 0 });
    const long = [
      { hour: '2026-10-01T00:00', failures: 1, replays: 0 },
      { hour: '2026-11-20T00:00', failures: 1, replays: 0 },
    ];
    expect(fillHours(long), 'seven weeks are not drawn hour by hour').toBe(long);
  });
});
