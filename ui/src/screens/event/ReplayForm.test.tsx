import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { EventDetail, OverrideRequest, PreflightView, ReplayRequest } from '../../ipc';
import { eventDetail, mockBackend, renderEvent, type Call } from '../../test/ipc';
import { preflightFor, replayResultFor, type Scenario } from '../../test/preflights';

const T0 = Date.parse('2026-11-21T09:00:00Z');

afterEach(() => {
  vi.useRealTimers();
});

/** The event and a backend whose preflight_run answers this scenario, taken "now". */
function setup(scenario: Scenario, event: EventDetail = eventDetail()) {
  const views: PreflightView[] = [];
  const calls = mockBackend({
    event: () => event,
    // As the backend: the latest preflight taken is what preflight_latest answers.
    preflightLatest: () => views.at(-1) ?? null,
    preflightRun: (_id: number, override: OverrideRequest | null) => {
      const v = preflightFor(event, scenario, { now: Date.now(), override, previousOperator: 'p.okafor' });
      views.push(v);
      return v;
    },
    replay: () => {
      const v = views.at(-1);
      if (!v) throw new Error('no preflight');
      return replayResultFor(v, 'applied', Date.now());
    },
  });
  return { calls, views };
}

async function runPreflight(user: ReturnType<typeof userEvent.setup>) {
  await user.click(await screen.findByRole('button', { name: 'Run preflight' }));
  return screen.findByRole('form', { name: 'Replay' });
}

const replayButton = () => screen.getByRole('button', { name: /^Replay as / });
/** The sentence next to the button that says why it is disabled. */
const gateText = () => document.getElementById(replayButton().getAttribute('aria-describedby') ?? '')?.textContent ?? '';

function replayCalls(calls: Call[]): ReplayRequest[] {
  return calls.filter((c) => c.cmd === 'replay_run').map((c) => c.args.request as ReplayRequest);
}

describe('replay form', () => {
  it('enables the button only with operator, reason and every acknowledgment, and only while the preflight is fresh', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true, now: T0 });
    const user = userEvent.setup({ advanceTimers: vi.advanceTimersByTime });
    const { views } = setup('update');
    renderEvent(7);

    const form = await runPreflight(user);
    const view = views[0]!;
    expect(replayButton(), 'the button names the user Salesforce will see as the writer').toHaveTextContent(
      'Replay as sf_account_sync_app@acme.example',
    );
    expect(replayButton(), 'an empty form cannot replay').toBeDisabled();
    expect(gateText(), 'the first missing thing is the operator').toBe('Enter the operator name.');

    await user.type(within(form).getByLabelText('Operator'), 'l.fischer');
    expect(replayButton(), 'an operator alone is not enough').toBeDisabled();
    expect(gateText(), 'next the reason is named').toBe('Give the reason for this replay.');

    await user.type(within(form).getByLabelText('Reason'), 'INC-4471 lock contention');
    expect(replayButton(), 'no side effect acknowledged yet').toBeDisabled();
    expect(gateText(), 'then the acknowledgments').toBe('Acknowledge every side effect.');

    const boxes = within(form).getAllByRole('checkbox').filter((b) => b.closest('.acks'));
    expect(boxes, 'one checkbox per side effect of the preflight').toHaveLength(view.preflight.side_effects.length);
    for (const [i, box] of boxes.entries()) {
      expect(replayButton(), `with ${i} of ${boxes.length} side effects ticked the button stays disabled`).toBeDisabled();
      await user.click(box);
    }
    expect(replayButton(), 'operator, reason and every acknowledgment on a fresh preflight: enabled').toBeEnabled();
    expect(screen.getByRole('group', { name: 'Preflight freshness' }), 'the freshness countdown runs').toHaveTextContent(/fresh for 1[45]:\d\d/);

    // Cross expires_at: the same form, a preflight now too old.
    act(() => {
      vi.setSystemTime(Date.parse(view.expires_at) + 1000);
      vi.advanceTimersByTime(1000);
    });
    await waitFor(() => expect(replayButton(), 'past expires_at the preflight is stale: disabled').toBeDisabled());
    expect(gateText(), 'and it says to preflight again').toBe('The preflight is older than 15 minutes: preflight again.');
    expect(screen.getByText('stale: preflight again'), 'the freshness line says so too').toBeVisible();
  });

  it("a blocking finding keeps the button disabled with the finding's message, whatever is filled", async () => {
    const user = userEvent.setup();
    const { calls, views } = setup('protected', eventDetail({ status: 'blocked', failure_code: 'protected_field_conflict' }));
    renderEvent(7);

    const form = await runPreflight(user);
    const finding = views[0]!.preflight.findings.find((f) => f.severity === 'blocking')!;
    await user.type(within(form).getByLabelText('Operator'), 'l.fischer');
    await user.type(within(form).getByLabelText('Reason'), 'INC-4471');
    for (const box of within(form).getAllByRole('checkbox').filter((b) => b.closest('.acks'))) await user.click(box);

    expect(replayButton(), 'everything is filled but a blocking finding stands').toBeDisabled();
    expect(gateText(), "the disabled reason carries the finding's own message").toContain(finding.message);
    expect(within(screen.getByRole('list', { name: 'Findings' })).getByText(finding.message), 'the finding is listed in the panel').toBeVisible();

    await user.click(within(form).getByLabelText('Operator'));
    await user.keyboard('{Enter}');
    expect(replayCalls(calls), 'Enter while the gate is closed sends nothing').toEqual([]);
  });

  it('Enter submits the exact ReplayRequest: operator, reason, the preflight token, no override, no again', async () => {
    const user = userEvent.setup();
    window.localStorage.setItem('replay-console.operator', 'l.fischer');
    const { calls, views } = setup('update');
    renderEvent(7);

    const form = await runPreflight(user);
    expect(within(form).getByLabelText('Operator'), 'the operator name is remembered from the last time').toHaveValue('l.fischer');
    await user.type(within(form).getByLabelText('Reason'), '  INC-4471 lock contention  ');
    for (const box of within(form).getAllByRole('checkbox').filter((b) => b.closest('.acks'))) await user.click(box);
    await user.click(within(form).getByLabelText('Operator'));
    await user.keyboard('{Enter}');

    await waitFor(() => expect(replayCalls(calls), 'Enter in a field sends the replay once').toHaveLength(1));
    expect(replayCalls(calls)[0], 'the request the backend gate checks, with the token of the preflight shown').toEqual({
      operator: 'l.fischer',
      reason: 'INC-4471 lock contention',
      ack_token: views[0]!.preflight.ack_token,
      again: null,
      override_request: null,
      acknowledged: [...new Set(views[0]!.preflight.side_effects.map((s) => s.code))],
    });
    expect(calls.find((c) => c.cmd === 'replay_run')?.args.eventId, 'for this event').toBe(7);
    expect(await screen.findByRole('heading', { name: 'Applied' }), 'the result replaces the form').toHaveFocus();
  });

  it('an override re-runs the preflight with it, and the replay carries it with the new token', async () => {
    const user = userEvent.setup();
    const { calls, views } = setup('protected', eventDetail({ status: 'blocked' }));
    renderEvent(7);

    const form = await runPreflight(user);
    await user.type(within(form).getByLabelText('Operator'), 'l.fischer');
    await user.type(within(form).getByLabelText('Reason'), 'INC-4471');
    for (const box of within(form).getAllByRole('checkbox').filter((b) => b.closest('.acks'))) await user.click(box);
    await user.click(within(form).getByLabelText('Write the protected fields under an approved override'));
    await user.type(within(form).getByLabelText('Reassignment reason'), 'moved to enterprise');
    await user.type(within(form).getByLabelText(/^Approved by/), 'm.rossi');
    expect(within(form).getByLabelText('Approved by (declared, not authenticated)'), 'solo mode: a typed name, not a login').toHaveValue('m.rossi');
    expect(gateText(), 'an override not in the preflight: the token would not bind it').toBe(
      'Run the preflight again with this override: the acknowledgment binds the exact request.',
    );
    await user.click(within(form).getByRole('button', { name: 'Run the preflight with this override' }));

    await waitFor(() => expect(views, 'a second preflight was taken').toHaveLength(2));
    const override = { reassignment_reason: 'moved to enterprise', approved_by: 'm.rossi' };
    expect(calls.filter((c) => c.cmd === 'preflight_run').map((c) => c.args.overrideRequest), 'first without, then with the override').toEqual([
      null,
      override,
    ]);
    await waitFor(() => expect(gateText(), 'the new preflight has new side effects: the old ticks do not carry over').toMatch(/^Acknowledge every side effect/));
    for (const box of within(form).getAllByRole('checkbox').filter((b) => b.closest('.acks'))) await user.click(box);
    expect(replayButton(), 'the conflict is a warning under the override').toBeEnabled();
    await user.click(replayButton());

    await waitFor(() => expect(replayCalls(calls), 'one replay').toHaveLength(1));
    expect(replayCalls(calls)[0], "the override and the second preflight's token").toEqual({
      operator: 'l.fischer',
      reason: 'INC-4471',
      ack_token: views[1]!.preflight.ack_token,
      again: null,
      override_request: override,
      acknowledged: [...new Set(views[1]!.preflight.side_effects.map((s) => s.code))],
    });
  });

  it('an already replayed event asks for a reason to replay again and sends it as `again`', async () => {
    const user = userEvent.setup();
    const { calls } = setup('replayed', eventDetail({ status: 'replayed' }));
    renderEvent(7);

    const form = await runPreflight(user);
    await user.type(within(form).getByLabelText('Operator'), 'l.fischer');
    await user.type(within(form).getByLabelText('Reason'), 'INC-4471');
    for (const box of within(form).getAllByRole('checkbox').filter((b) => b.closest('.acks'))) await user.click(box);
    expect(replayButton(), 'replayed once: not again without a reason').toBeDisabled();
    expect(gateText(), 'it says who replayed it').toMatch(/^Already replayed by p\.okafor at .*: give a reason to replay it again\.$/);

    await user.type(within(form).getByLabelText('Reason to replay again'), 'billing resent a corrected tier');
    await user.click(replayButton());
    await waitFor(() => expect(replayCalls(calls)[0]?.again, 'the reason to replay again reaches the backend').toBe('billing resent a corrected tier'));
  });

  it('a refusal is shown as a sentence that says nothing was written', async () => {
    const user = userEvent.setup();
    const event = eventDetail();
    let view: PreflightView | null = null;
    const calls = mockBackend({
      event: () => event,
      preflightLatest: () => view,
      preflightRun: () => (view = preflightFor(event, 'update', { now: Date.now() })),
      fail: { replay_run: { kind: 'refused', message: 'another replay of this event is in flight' } },
    });
    renderEvent(7);

    const form = await runPreflight(user);
    await user.type(within(form).getByLabelText('Operator'), 'l.fischer');
    await user.type(within(form).getByLabelText('Reason'), 'INC-4471');
    for (const box of within(form).getAllByRole('checkbox').filter((b) => b.closest('.acks'))) await user.click(box);
    await user.click(replayButton());

    const alert = await within(form).findByRole('alert');
    expect(alert, 'the refused kind has its own title').toHaveTextContent('Replay: Refused: nothing was written');
    expect(alert, "with the backend's reason").toHaveTextContent('another replay of this event is in flight');
    expect(calls.filter((c) => c.cmd === 'event_show').length, 'the event is read again after the attempt').toBeGreaterThan(1);
  });

  it('team mode: a refusal for approval says a request was opened for the login; a reader cannot preflight or replay, and is told why', async () => {
    const user = userEvent.setup();
    const event = eventDetail();
    let view: PreflightView | null = null;
    mockBackend({
      whoami: () => ({ login: 'otto', roles: ['reader', 'operator'], authenticated: true, server: 'postgres://otto@db:5432/replay' }),
      event: () => event,
      preflightLatest: () => view,
      preflightRun: () => (view = preflightFor(event, 'update', { now: Date.now() })),
      fail: {
        replay_run: {
          kind: 'refused',
          code: 'approval_pending',
          message: 'refused (approval_pending): this override needs another person\'s approval: request 4 is open for an approver',
        },
      },
    });
    const { unmount } = renderEvent(7);
    const form = await runPreflight(user);
    await user.type(within(form).getByLabelText('Operator'), 'Otto Ops');
    await user.type(within(form).getByLabelText('Reason'), 'INC-4471');
    for (const box of within(form).getAllByRole('checkbox').filter((b) => b.closest('.acks'))) await user.click(box);
    await user.click(replayButton());
    const opened = await within(form).findByRole('status', { name: 'Approval requested' });
    expect(opened, 'for whom').toHaveTextContent('An approval request was opened for your login otto');
    expect(opened, 'the server says which request').toHaveTextContent('request 4 is open for an approver');
    expect(within(form).queryByRole('alert'), 'not shown as a failure').toBeNull();
    unmount();

    // A reader, on the same stored preflight: neither button, each saying why.
    mockBackend({
      whoami: () => ({ login: 'rita', roles: ['reader'], authenticated: true, server: 'postgres://rita@db:5432/replay' }),
      event: () => event,
      preflightLatest: () => view,
    });
    renderEvent(7);
    await screen.findByRole('form', { name: 'Replay' });
    await waitFor(() => expect(replayButton()).toBeDisabled());
    expect(gateText()).toBe('Your login `rita` is a reader: replay needs the operator role.');
    expect(screen.getByRole('button', { name: 'Run the preflight again' })).toBeDisabled();
    expect(screen.getByText('Your login `rita` is a reader: a preflight needs the operator role.')).toBeVisible();
  });

  it("a refusal by the team's server (not_permitted) is shown as such", async () => {
    const user = userEvent.setup();
    const event = eventDetail();
    let view: PreflightView | null = null;
    mockBackend({
      event: () => event,
      preflightLatest: () => view,
      preflightRun: () => (view = preflightFor(event, 'update', { now: Date.now() })),
      fail: { replay_run: { kind: 'refused', code: 'not_permitted', message: 'refused (not_permitted): the team\'s server refused this for your login' } },
    });
    renderEvent(7);
    const form = await runPreflight(user);
    await user.type(within(form).getByLabelText('Operator'), 'l.fischer');
    await user.type(within(form).getByLabelText('Reason'), 'INC-4471');
    for (const box of within(form).getAllByRole('checkbox').filter((b) => b.closest('.acks'))) await user.click(box);
    await user.click(replayButton());
    const alert = await within(form).findByRole('alert');
    expect(alert).toHaveTextContent("Replay: Refused by the team's server: your login may not do this");
    expect(alert).toHaveTextContent("the team's server refused this for your login");
  });

  it('team mode: an override names no typed approver; an approval request stands for it, and the solo label is not shown', async () => {
    const user = userEvent.setup();
    const event = eventDetail({ status: 'blocked' });
    const views: PreflightView[] = [];
    const calls = mockBackend({
      whoami: () => ({ login: 'otto', roles: ['reader', 'operator'], authenticated: true, server: 'postgres://otto@db:5432/replay' }),
      event: () => event,
      preflightLatest: () => views.at(-1) ?? null,
      preflightRun: (_id: number, override: OverrideRequest | null) => {
        const v = preflightFor(event, 'protected', { now: Date.now(), override });
        views.push(v);
        return v;
      },
    });
    renderEvent(7);
    const form = await runPreflight(user);
    await user.click(within(form).getByLabelText('Write the protected fields under an approved override'));
    expect(within(form).queryByLabelText(/^Approved by/), 'no name to type: it would count for nothing').toBeNull();
    expect(within(form).getByRole('note')).toHaveTextContent('another login with the approver role decides it under Approvals');
    await user.type(within(form).getByLabelText('Reassignment reason'), 'moved to enterprise');
    await user.click(within(form).getByRole('button', { name: 'Run the preflight with this override' }));
    await waitFor(() => expect(views).toHaveLength(2));
    expect(calls.filter((c) => c.cmd === 'preflight_run').at(-1)?.args.overrideRequest).toEqual({
      reassignment_reason: 'moved to enterprise',
      approved_by: '(approval request: team mode)',
    });
    expect(await within(form).findByText(/the replay opens an approval request for it/)).toBeVisible();
    expect(form, 'the solo label belongs to solo mode').not.toHaveTextContent('declared, not authenticated');
  });
});
