import { describe, expect, it } from 'vitest';
import { eventDetail } from '../test/ipc';
import { preflightFor } from '../test/preflights';
import { formatRemaining, replayGate, replayRequest, type ReplayFormState } from './replayGate';

const T0 = Date.parse('2026-11-21T09:00:00Z');
const MINUTE = 60_000;

function filled(ticks: number, over: Partial<ReplayFormState> = {}): ReplayFormState {
  return {
    operator: 'l.fischer',
    reason: 'INC-4471 lock contention',
    acknowledged: new Set(Array.from({ length: ticks }, (_, i) => i)),
    again: '',
    override: null,
    ...over,
  };
}

describe('replayGate', () => {
  const clean = preflightFor(eventDetail(), 'update', { now: T0 });
  const all = clean.preflight.side_effects.length;

  it('passes only with operator, reason and every side effect ticked, on a fresh preflight without blocking findings', () => {
    expect(all, 'the clean update lists side effects to acknowledge').toBeGreaterThan(2);
    expect(replayGate(clean, filled(all), T0 + MINUTE), 'everything given: the replay may be asked for').toEqual({ ok: true });
    expect(replayGate(clean, filled(all - 1), T0 + MINUTE).ok, 'one side effect not acknowledged is enough to hold it').toBe(false);
    expect(replayGate(clean, filled(all, { operator: '  ' }), T0).ok, 'a blank operator is no operator').toBe(false);
    expect(replayGate(clean, filled(all, { reason: '\n' }), T0).ok, 'a blank reason is no reason').toBe(false);
  });

  it('names the first missing thing, in the order of the form', () => {
    const none = filled(0, { operator: '', reason: '' });
    expect(replayGate(null, none, T0), 'without a preflight nothing else matters').toEqual({ ok: false, reason: 'Run the preflight first.' });
    expect(replayGate(clean, none, T0), 'operator comes first').toEqual({ ok: false, reason: 'Enter the operator name.' });
    expect(replayGate(clean, { ...none, operator: 'l.fischer' }, T0), 'then the reason').toEqual({
      ok: false,
      reason: 'Give the reason for this replay.',
    });
    expect(replayGate(clean, filled(0), T0), 'then the acknowledgments, none ticked').toEqual({ ok: false, reason: 'Acknowledge every side effect.' });
    expect(replayGate(clean, filled(1), T0), 'some ticked: says how many are left').toEqual({
      ok: false,
      reason: `Acknowledge every side effect (${all - 1} of ${all} not ticked).`,
    });
  });

  it('refuses a stale preflight from its expires_at on, whatever the form says', () => {
    const expires = Date.parse(clean.expires_at);
    expect(expires - T0, 'the fixture expires after the lane max age').toBe(15 * MINUTE);
    expect(replayGate(clean, filled(all), expires - 1).ok, 'one millisecond before expiry it is still fresh').toBe(true);
    const stale = replayGate(clean, filled(all), expires);
    expect(stale, 'at expires_at the backend would refuse it as stale: so does the button').toEqual({
      ok: false,
      reason: 'The preflight is older than 15 minutes: preflight again.',
    });
  });

  it("a blocking finding holds the replay with the finding's message and a way out", () => {
    const blocked = preflightFor(eventDetail({ status: 'blocked' }), 'protected', { now: T0 });
    const finding = blocked.preflight.findings.find((f) => f.severity === 'blocking');
    expect(finding?.code, 'the protected scenario is blocked by protected_field_conflict').toBe('protected_field_conflict');
    const gate = replayGate(blocked, filled(blocked.preflight.side_effects.length), T0);
    expect(gate.ok, 'a blocking finding stands: no replay').toBe(false);
    expect(!gate.ok && gate.reason, "the operator reads the finding's own message").toContain(finding?.message ?? '?');
    expect(!gate.ok && gate.reason, 'and what to do about it in this window').toContain('override');
  });

  it('an already replayed event passes only with a reason to replay again', () => {
    const replayed = preflightFor(eventDetail({ status: 'replayed' }), 'replayed', { now: T0, previousOperator: 'p.okafor' });
    const n = replayed.preflight.side_effects.length;
    const gate = replayGate(replayed, filled(n), T0, 'replayed');
    expect(!gate.ok && gate.reason, 'says who replayed it and what is needed').toMatch(/^Already replayed by p\.okafor at .*: give a reason to replay it again\.$/);
    expect(replayGate(replayed, filled(n, { again: 'billing resent a corrected tier' }), T0, 'replayed'), 'with a reason it may go').toEqual({
      ok: true,
    });
  });

  it('an override must be the one the preflight was taken with, approved by someone else', () => {
    const override = { reassignment_reason: 'moved to enterprise', approved_by: 'm.rossi' };
    const plain = preflightFor(eventDetail(), 'protected', { now: T0 });
    const withOverride = preflightFor(eventDetail(), 'protected', { now: T0, override });
    const n = withOverride.preflight.side_effects.length;
    expect(
      !replayGate(plain, filled(plain.preflight.side_effects.length, { override }), T0).ok,
      'an override typed after the preflight is not bound by its token: preflight again',
    ).toBe(true);
    expect(replayGate(withOverride, filled(n, { override }), T0), 'the same override as the preflight: it may go').toEqual({ ok: true });
    expect(
      replayGate(withOverride, filled(n, { override: { ...override, approved_by: 'L.Fischer' } }), T0).ok,
      'a changed approver is another request',
    ).toBe(false);
    const self = preflightFor(eventDetail(), 'protected', { now: T0, override: { ...override, approved_by: 'l.fischer' } });
    expect(
      replayGate(self, filled(n, { override: { ...override, approved_by: 'l.fischer' } }), T0),
      'the operator cannot approve their own override (the backend refuses it too)',
    ).toEqual({ ok: false, reason: 'The approver of an override must be someone other than the operator.' });
    expect(replayGate(withOverride, filled(n, { override: { reassignment_reason: '', approved_by: 'x' } }), T0), 'half an override').toEqual({
      ok: false,
      reason: 'An override needs a reassignment reason and an approver.',
    });
  });

  it('a preflight taken while the event was in another state no longer describes it', () => {
    const gate = replayGate(clean, filled(all), T0, 'replayed');
    expect(gate, 'the event was replayed since: the preflight must be taken again').toEqual({
      ok: false,
      reason: 'The event is replayed since this preflight: preflight again.',
    });
  });

  it("builds the request from the form, with the preflight's own token and override", () => {
    const override = { reassignment_reason: 'moved to enterprise', approved_by: 'm.rossi' };
    const view = preflightFor(eventDetail(), 'protected', { now: T0, override });
    const all = view.preflight.side_effects.length;
    expect(all, 'the protected-field preflight lists side effects to tick').toBeGreaterThan(1);
    expect(replayRequest(view, filled(all, { operator: ' l.fischer ', reason: ' INC-1 ', again: '  ', override })), 'trimmed, blank again is null').toEqual({
      operator: 'l.fischer',
      reason: 'INC-1',
      ack_token: view.preflight.ack_token,
      again: null,
      override_request: override,
      acknowledged: [...new Set(view.preflight.side_effects.map((s) => s.code))],
    });
    expect(
      replayRequest(view, filled(1)).acknowledged,
      'only what was ticked is sent: the backend refuses a replay with a side effect left out',
    ).toEqual([view.preflight.side_effects[0]?.code]);
  });

  it('formats the time left as a countdown', () => {
    expect(formatRemaining(14 * MINUTE + 5_000), 'minutes and zero-padded seconds').toBe('14:05');
    expect(formatRemaining(400), 'a started second counts as a whole one').toBe('0:01');
    expect(formatRemaining(-5), 'never negative').toBe('0:00');
    expect(formatRemaining(62 * MINUTE + 3_000), 'hours only past the hour').toBe('1:02:03');
  });
});
