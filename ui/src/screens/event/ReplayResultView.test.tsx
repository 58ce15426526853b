import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import type { PreflightView } from '../../ipc';
import { eventDetail, mockBackend, renderEvent, renderWithClient } from '../../test/ipc';
import { preflightFor, replayResultFor, verifyResultFor } from '../../test/preflights';
import { ReplayResultView } from './ReplayResultView';

const T0 = Date.parse('2026-11-21T09:00:00Z');
const view: PreflightView = preflightFor(eventDetail(), 'update', { now: T0 });

describe('replay result', () => {
  it('applied: says so, names the writer, and checks each field read back', () => {
    const result = replayResultFor(view, 'applied', T0);
    const check = result.post_verify!;
    // One field came back different, as a flow overwriting it would leave it.
    check.fields[0] = { ...check.fields[0]!, actual: 'Acme (renamed by a flow)', matches: false };
    check.matches = false;
    mockBackend({});
    renderWithClient(<ReplayResultView result={result} onPreflightAgain={() => {}} />);

    const card = screen.getByRole('region', { name: 'Replay result' });
    expect(within(card).getByRole('heading', { name: 'Applied' }), 'the outcome is the heading').toBeVisible();
    expect(card, 'the integration user it was written as is named').toHaveTextContent('sf_account_sync_app@acme.example');
    const table = within(card).getByRole('table', { name: 'Post-verify' });
    const rows = within(table).getAllByRole('row').slice(1);
    expect(rows, 'one row per field sent').toHaveLength(check.fields.length);
    expect(within(rows[0]!).getByLabelText('differs'), 'a field that does not hold the value sent is marked ✗').toHaveTextContent('✗');
    expect(rows[0], 'with what it holds instead').toHaveTextContent('Acme (renamed by a flow)');
    expect(within(rows[1]!).getByLabelText('matches'), 'a field that holds the value sent is marked ✓').toHaveTextContent('✓');
    expect(card, 'the summary counts the mismatches').toHaveTextContent(`1 of ${check.fields.length} fields do not hold the value sent.`);
  });

  it("rejected: Salesforce's code and message, and that the event stays replayable", async () => {
    const user = userEvent.setup();
    const onPreflightAgain = vi.fn();
    mockBackend({});
    renderWithClient(<ReplayResultView result={replayResultFor(view, 'rejected', T0)} onPreflightAgain={onPreflightAgain} />);

    const card = screen.getByRole('region', { name: 'Replay result' });
    expect(within(card).getByRole('heading'), 'nothing was written').toHaveTextContent('Rejected by Salesforce: nothing was written');
    expect(card, "Salesforce's error code").toHaveTextContent('FIELD_CUSTOM_VALIDATION_EXCEPTION');
    expect(card, "and Salesforce's message").toHaveTextContent('Tier__c cannot be downgraded while an open renewal exists');
    await user.click(within(card).getByRole('button', { name: 'Run the preflight again' }));
    expect(onPreflightAgain, 'the way forward is a new preflight').toHaveBeenCalledOnce();
  });

  it('precondition failed: the record changed since the preflight; run it again', async () => {
    const user = userEvent.setup();
    const onPreflightAgain = vi.fn();
    mockBackend({});
    renderWithClient(<ReplayResultView result={replayResultFor(view, 'precondition_failed', T0)} onPreflightAgain={onPreflightAgain} />);

    expect(screen.getByRole('heading'), 'the 412 in the operator’s words').toHaveTextContent('Record changed since preflight: run the preflight again');
    expect(screen.getByRole('region', { name: 'Replay result' }), 'the HTTP status is kept for the record').toHaveTextContent('412');
    await user.click(screen.getByRole('button', { name: 'Run the preflight again' }));
    expect(onPreflightAgain, 'one click takes the preflight again').toHaveBeenCalledOnce();
  });

  it('record appeared: a planned create found a record at the write; nothing written, the record named', async () => {
    const user = userEvent.setup();
    const onPreflightAgain = vi.fn();
    const createView = preflightFor(eventDetail(), 'create', { now: T0 });
    mockBackend({});
    renderWithClient(<ReplayResultView result={replayResultFor(createView, 'record_appeared', T0)} onPreflightAgain={onPreflightAgain} />);

    const card = screen.getByRole('region', { name: 'Replay result' });
    expect(within(card).getByRole('heading'), 'refused, in the operator’s words').toHaveTextContent(
      'A record appeared since the preflight: nothing was written',
    );
    expect(card, 'the record that appeared is named').toHaveTextContent('0015g00000ZnEwRXYZ');
    expect(card, 'a create never updates a record nobody reviewed').toHaveTextContent('never updates a record nobody reviewed');
    await user.click(within(card).getByRole('button', { name: 'Run the preflight again' }));
    expect(onPreflightAgain, 'the next preflight shows that record').toHaveBeenCalledOnce();
  });

  it('unknown outcome: says to verify first, and Verify settles it', async () => {
    const user = userEvent.setup();
    const calls = mockBackend({ verify: () => verifyResultFor(view, 'applied', T0) });
    renderWithClient(<ReplayResultView result={replayResultFor(view, 'unknown_outcome', T0)} onPreflightAgain={() => {}} />);

    expect(screen.getByRole('heading'), 'nothing else before a verify').toHaveTextContent('Sent, no answer: verify before anything else');
    expect(screen.queryByRole('button', { name: 'Run the preflight again' }), 'no new preflight is offered before the verify').toBeNull();
    await user.click(screen.getByRole('button', { name: 'Verify' }));

    const settled = await screen.findByText('The write reached Salesforce: the event is settled as replayed.');
    expect(settled, 'the settlement is shown').toBeVisible();
    expect(calls.filter((c) => c.cmd === 'settle_run').map((c) => c.args), 'settle_run for this event').toEqual([{ eventId: 7 }]);
  });
});

describe('event actions', () => {
  it('an event in unknown_outcome offers Verify at the top of its view', async () => {
    const user = userEvent.setup();
    const event = eventDetail({ status: 'unknown_outcome' });
    const calls = mockBackend({ event: () => event, verify: () => verifyResultFor(view, 'not_applied', T0) });
    renderEvent(7);

    const callout = await screen.findByRole('region', { name: 'Unknown outcome' });
    await user.click(within(callout).getByRole('button', { name: 'Verify' }));
    expect(await within(callout).findByText('Not applied'), 'the settlement, in words').toBeVisible();
    expect(within(callout).getByRole('table', { name: 'Post-verify' }), 'with the evidence field by field').toBeVisible();
    await waitFor(() =>
      expect(calls.filter((c) => c.cmd === 'event_show').length, 'the event is read again: its status changed').toBeGreaterThan(1),
    );
  });

  it('discard asks for operator and reason, then sends them', async () => {
    const user = userEvent.setup();
    window.localStorage.setItem('replay-console.operator', 'l.fischer');
    const event = eventDetail({ status: 'blocked' });
    const calls = mockBackend({ event: () => event });
    renderEvent(7);

    await user.click(await screen.findByRole('button', { name: 'Discard…' }));
    const dialog = screen.getByRole('dialog', { name: 'Discard event 7' });
    const discard = within(dialog).getByRole('button', { name: 'Discard event' });
    expect(within(dialog).getByLabelText('Operator'), 'the remembered operator is filled in').toHaveValue('l.fischer');
    expect(within(dialog).getByLabelText('Reason'), 'the reason, still missing, has the focus').toHaveFocus();
    expect(discard, 'no discard without a reason').toBeDisabled();

    await user.keyboard('duplicate of evt-1009, already fixed by hand');
    await user.click(discard);

    await waitFor(() => expect(screen.queryByRole('dialog'), 'the dialog closes once done').toBeNull());
    expect(calls.filter((c) => c.cmd === 'event_discard').map((c) => c.args), 'who and why reach the backend').toEqual([
      { eventId: 7, operator: 'l.fischer', reason: 'duplicate of evt-1009, already fixed by hand' },
    ]);
  });
});
