import { render, screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { eventDetail } from '../../test/ipc';
import { DUPLICATE_IDS, RECORD_ID, preflightFor } from '../../test/preflights';
import { PreflightPanel } from './PreflightPanel';

const T0 = Date.parse('2026-11-21T09:00:00Z');

/** The diff row of a field, by its row header. */
function diffRow(field: string) {
  const table = screen.getByRole('table', { name: 'Planned change' });
  return within(table).getByRole('rowheader', { name: field }).closest('tr') as HTMLElement;
}

describe('preflight panel', () => {
  it('shows the planned change field by field, with a protected field marked and "not sent"', () => {
    const event = eventDetail({ status: 'blocked', payload: { Name: 'Acme GmbH', Tier__c: 'Gold', AnnualRevenue: 1250000 } });
    const view = preflightFor(event, 'protected', { now: T0 });
    render(<PreflightPanel view={view} now={T0} />);

    const tier = diffRow('Tier__c');
    const cells = within(tier).getAllByRole('cell');
    expect(cells[0], 'the current value, as Salesforce holds it now').toHaveTextContent('Platinum');
    expect(cells[1], 'the value the event carries').toHaveTextContent('Gold');
    expect(within(tier).getByText('protected'), 'a protected field of the write policy is marked').toBeVisible();
    expect(within(tier).getByText('not sent'), 'and stripped from the request without an override').toBeVisible();

    const name = diffRow('Name');
    expect(within(name).queryByText('protected'), 'an ordinary field is not marked protected').toBeNull();
    expect(within(name).queryByText('not sent'), 'an ordinary field is sent').toBeNull();
    expect(within(name).getAllByRole('cell')[0], 'its current value differs from the replay').toHaveTextContent('Acme gmbh');

    const findings = screen.getByRole('list', { name: 'Findings' });
    expect(within(findings).getAllByRole('listitem')[0], 'the blocking finding comes first, with its code').toHaveTextContent(
      'Blockingprotected_field_conflict',
    );
    expect(screen.getByRole('region', { name: 'Target record' }), 'the found record shows its Id').toHaveTextContent(RECORD_ID);
    expect(screen.getByRole('region', { name: 'Owner' }), 'the owner is the fallback queue, flagged').toHaveTextContent('fallback owner');
    expect(screen.getByText(/^PATCH \/sobjects\/Account\//), 'the exact request is there, by method and path').toBeInTheDocument();
    expect(screen.getByRole('group', { name: 'Preflight freshness' }), 'the acknowledgment token is shown with its freshness').toHaveTextContent(view.preflight.ack_token);
  });

  it('says a replay would create the record when none has the external ID', () => {
    const view = preflightFor(eventDetail(), 'create', { now: T0 });
    render(<PreflightPanel view={view} now={T0} />);

    expect(screen.getByRole('region', { name: 'Target record' }), 'not found means a create').toHaveTextContent('a replay would create it');
    expect(diffRow('Name'), 'with no record, every current value is none').toHaveTextContent('(none)');
    expect(screen.getByText(/^POST \/sobjects\/Account\/$/), 'a plain create, never an upsert that could overwrite').toBeInTheDocument();
    expect(screen.getByText(/is read\s+again: if a record has it by then, nothing is written/), 'the re-read before the create is stated').toBeInTheDocument();
    expect(screen.getByRole('region', { name: 'Lane policy' }), 'whose policy it is').toHaveTextContent('revops_manager');
  });

  it('lists every id when several records share the external ID, and that nothing can be sent', () => {
    const view = preflightFor(eventDetail({ status: 'blocked' }), 'duplicate', { now: T0 });
    render(<PreflightPanel view={view} now={T0} />);

    const target = screen.getByRole('region', { name: 'Target record' });
    expect(within(target).getAllByRole('listitem').map((li) => li.textContent), 'both duplicates, by id').toEqual(DUPLICATE_IDS);
    expect(screen.getByText(/nothing can be sent for this event/), 'no request exists to show').toBeVisible();
  });

  it('turns stale at expires_at', () => {
    const view = preflightFor(eventDetail(), 'update', { now: T0 });
    const { rerender } = render(<PreflightPanel view={view} now={T0 + 60_000} />);
    expect(screen.getByRole('group', { name: 'Preflight freshness' }), 'fourteen minutes left of fifteen').toHaveTextContent('fresh for 14:00');
    rerender(<PreflightPanel view={view} now={Date.parse(view.expires_at)} />);
    expect(screen.getByRole('group', { name: 'Preflight freshness' }), 'at expiry it asks for a new preflight').toHaveTextContent('stale: preflight again');
  });
});
