import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { QueueExportRequest } from '../../ipc';
import { laneSummary, mockBackend, renderApp, summary } from '../../test/ipc';

const lane = laneSummary();

describe('export for Data Loader', () => {
  it("writes the filter's remaining failures and says what the file leaves out", async () => {
    const user = userEvent.setup();
    const sent: QueueExportRequest[] = [];
    mockBackend({
      lanes: [lane],
      counts: [{ lane_id: lane.lane_id, status: 'failed', count: 3 }],
      events: () => ({ events: [summary({ lane_id: lane.lane_id })], next_cursor: null }),
      queueExport: (request) => {
        sent.push(request);
        return {
          path: '/home/ines/loader.csv',
          rows: 2,
          columns: ['billing_account_id__c', 'Name', 'BillingCountry'],
          object: 'Account',
          external_id_field: 'billing_account_id__c',
          without_external_id: 1,
          protected_left_out: ['Tier__c'],
          edited: 1,
          unapproved_edits: 0,
          formula_like_cells: 2,
        };
      },
    });
    renderApp();
    expect(await screen.findByText('Event queue')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Export for Data Loader…' }), 'one lane at a time: no lane, no button').toBeNull();
    await user.click(await screen.findByRole('button', { name: `${lane.lane_id}: Failed, 3` }));
    await user.click(await screen.findByRole('button', { name: 'Export for Data Loader…' }));

    const dialog = await screen.findByRole('dialog', { name: 'Export for Data Loader' });
    const path = within(dialog).getByLabelText('Write to (absolute path)');
    await user.clear(path);
    await user.type(path, 'loader.csv');
    expect(within(dialog).getByRole('button', { name: 'Write the CSV' }), 'a relative path is not taken').toBeDisabled();
    await user.clear(path);
    await user.type(path, '/home/ines/loader.csv');
    await user.click(within(dialog).getByRole('button', { name: 'Write the CSV' }));

    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ query: { lane_id: lane.lane_id, status: 'failed' }, path: '/home/ines/loader.csv', force: false });
    expect(await within(dialog).findByText(/Wrote 2 rows of Account/)).toBeInTheDocument();
    expect(dialog).toHaveTextContent('1 events without an external ID');
    expect(dialog).toHaveTextContent('Tier__c');
    expect(dialog).toHaveTextContent('1 rows from approved payload edits');
    expect(within(dialog).getByRole('note'), 'cells a spreadsheet would run are called out').toHaveTextContent(
      /2 cells would run as formulas in a spreadsheet .*written as they are\. Load the file with Data Loader/,
    );
  });
});
