import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { EditRequest, RevisionView, RevisionsView } from '../../ipc';
import { eventDetail, mockBackend, renderEvent } from '../../test/ipc';

const original = { Name: 'Acme', BillingCountry: 'United States', Phone: '+1 303 555 0101', Tier__c: 'Gold', AnnualRevenue: 5322000 };

const never: RevisionsView = {
  event_id: 7,
  status: 'failed',
  original,
  revisions: [],
  waiting_for: null,
  protected_fields: ['Tier__c', 'OwnerId'],
};

const rev1: RevisionView = {
  revision: 1,
  payload: { ...original, BillingCountry: 'Canada', Phone: undefined as never },
  changes: [
    { field: 'BillingCountry', before: 'United States', after: 'Canada' },
    { field: 'Phone', before: '+1 303 555 0101', after: null },
  ],
  since_previous: [],
  editor: 'Dana Ops',
  editor_authenticated: false,
  reason: 'INC-7 wrong country',
  protected_override: null,
  created_at: '2026-11-20T11:00:00.000Z',
  approved_by: null,
  approver_authenticated: null,
  approval_reason: null,
  approved_at: null,
  current: true,
};

describe('payload edits', () => {
  it('proposes an edit: changed, removed and added fields, the diff before saving, a reason for a protected field', async () => {
    const user = userEvent.setup();
    const sent: EditRequest[] = [];
    mockBackend({
      event: () => eventDetail({ id: 7, status: 'failed', payload: original }),
      revisions: () => never,
      edit: (_id, request) => {
        sent.push(request);
        return rev1;
      },
    });
    renderEvent(7);
    const card = await screen.findByRole('region', { name: 'Payload edits' });
    expect(card).toHaveTextContent('Never edited: a replay writes the payload as imported.');
    await user.click(within(card).getByRole('button', { name: 'Edit payload…' }));

    const dialog = await screen.findByRole('dialog', { name: 'Edit the payload of event 7' });
    const save = within(dialog).getByRole('button', { name: 'Save as a new revision' });
    expect(save, 'nothing changed yet').toBeDisabled();
    expect(within(dialog).getByText('Nothing changed yet.')).toBeInTheDocument();

    const country = within(dialog).getByLabelText('BillingCountry');
    await user.clear(country);
    await user.type(country, 'Canada');
    await user.click(within(dialog).getByRole('checkbox', { name: 'Remove Phone' }));
    await user.type(within(dialog).getByLabelText('New field'), 'NumberOfEmployees');
    await user.type(within(dialog).getByLabelText('Value'), '250');
    await user.click(within(dialog).getByRole('button', { name: 'Add field' }));
    const revenue = within(dialog).getByLabelText('AnnualRevenue');
    expect(revenue, 'a number shows as JSON').toHaveValue('5322000');

    const diff = within(dialog).getByRole('table', { name: 'Changes of this edit' });
    expect(within(diff).getAllByRole('row').slice(1).map((r) => r.textContent)).toEqual([
      'BillingCountryUnited StatesCanada',
      'Phone+1 303 555 0101(removed)',
      'NumberOfEmployees(absent)250',
    ]);

    // A protected field asks for the override's reason before the edit can be saved.
    const tier = within(dialog).getByLabelText('Tier__c');
    await user.clear(tier);
    await user.type(tier, 'Platinum');
    await user.type(within(dialog).getByLabelText('Editor'), 'Dana Ops');
    await user.type(within(dialog).getByLabelText('Reason'), 'INC-7 billing sent the wrong country');
    expect(save, 'the protected field needs its reason').toBeDisabled();
    await user.type(within(dialog).getByLabelText(/Why the protected field Tier__c change/), 'upgrade signed');
    expect(save).toBeEnabled();
    await user.click(save);

    expect(sent).toEqual([
      {
        set: [
          { field: 'BillingCountry', value: 'Canada' },
          { field: 'Tier__c', value: 'Platinum' },
          { field: 'NumberOfEmployees', value: 250 },
        ],
        unset: ['Phone'],
        editor: 'Dana Ops',
        reason: 'INC-7 billing sent the wrong country',
        protected_override: 'upgrade signed',
      },
    ]);
  });

  it('shows a revision against the import and takes its approval only from someone other than the editor', async () => {
    const user = userEvent.setup();
    const approvals: [number, string, string][] = [];
    mockBackend({
      event: () => eventDetail({ id: 7, status: 'failed', payload: original }),
      revisions: () => ({ ...never, revisions: [rev1], waiting_for: 'revision 1 awaits approval' }),
      approveEdit: (_id, revision, approver, reason) => {
        approvals.push([revision, approver, reason]);
        return { ...rev1, approved_by: approver, approver_authenticated: false, approval_reason: reason, approved_at: '2026-11-20T11:05:00.000Z' };
      },
    });
    renderEvent(7);
    const block = await screen.findByLabelText('Revision 1');
    expect(block).toHaveTextContent('edited by Dana Ops (declared, not authenticated)');
    expect(block).toHaveTextContent('“INC-7 wrong country”');
    const table = within(block).getByRole('table', { name: 'Changes of revision 1 against the imported payload' });
    expect(within(table).getAllByRole('row').slice(1).map((r) => r.textContent)).toEqual([
      'BillingCountryUnited StatesCanada',
      'Phone+1 303 555 0101(removed)',
    ]);

    const form = within(block).getByRole('form', { name: 'Approve revision 1' });
    const approve = within(form).getByRole('button', { name: 'Approve revision 1' });
    await user.type(within(form).getByLabelText('Approver'), 'dana ops');
    await user.type(within(form).getByLabelText('Reason'), 'looks right');
    expect(approve, 'the editor does not approve their own edit').toBeDisabled();
    expect(within(form).getByText(/Dana Ops edited this revision: someone else approves it/)).toBeInTheDocument();
    await user.clear(within(form).getByLabelText('Approver'));
    await user.type(within(form).getByLabelText('Approver'), 'Lee Review');
    expect(approve).toBeEnabled();
    await user.click(approve);
    expect(approvals).toEqual([[1, 'Lee Review', 'looks right']]);
  });
});
