import { screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { humanize } from '../../lib/format';
import { accountSyncContract, accountSyncLane } from '../../test/fixtures';
import { laneSummary, mockBackend, renderApp } from '../../test/ipc';

const summary = laneSummary({ version: 2 });

describe('lanes', () => {
  it('renders every section and every field of the reference contract', async () => {
    const calls = mockBackend({ lanes: [summary], lane: () => accountSyncLane });
    renderApp('lanes');

    await screen.findByRole('heading', { name: 'account_sync_north_america' });
    expect(
      calls.filter((c) => c.cmd === 'lane_show').map((c) => c.args),
      'the first lane is shown without a click, asked for by its id',
    ).toEqual([{ laneId: 'account_sync_north_america' }]);

    for (const [section, fields] of Object.entries(accountSyncContract)) {
      const region = screen.getByRole('region', { name: `${humanize(section)} ${section}` });
      for (const [field, value] of Object.entries(fields)) {
        const term = within(region).getByText(field, { selector: 'dt' });
        const definition = term.nextElementSibling as HTMLElement;
        expect(definition.tagName, `${section}.${field} has its value next to its name`).toBe('DD');
        if (Array.isArray(value)) {
          const chips = within(definition).getAllByRole('listitem').map((li) => li.textContent);
          expect(chips, `${section}.${field}: a list shows every item, in order, as a chip`).toEqual(value);
        } else {
          expect(definition, `${section}.${field}: the value is shown as imported`).toHaveTextContent(String(value));
        }
      }
    }
    expect(
      screen.getAllByRole('region').filter((r) => r.classList.contains('contract-section')),
      'one section per contract section, none invented',
    ).toHaveLength(Object.keys(accountSyncContract).length);
  });

  it('lists the version history with the current version marked', async () => {
    mockBackend({ lanes: [summary], lane: () => accountSyncLane });
    renderApp('lanes');

    const history = (await screen.findByText('Version history')).nextElementSibling as HTMLElement;
    const rows = within(history).getAllByRole('row').slice(1);
    expect(rows, 'one row per imported version').toHaveLength(accountSyncLane.versions.length);
    expect(rows[0], 'the current version says so').toHaveTextContent('v2current');
    expect(rows[1], 'an older version is listed with its source file').toHaveTextContent('contracts/lane_account_sync.v1.yaml');
  });
});
