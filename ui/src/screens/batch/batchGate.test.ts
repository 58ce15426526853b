import { describe, expect, it } from 'vitest';
import { batchDetail, batchEvent } from '../../test/batch';
import { batchGate, batchRunRequest, sideEffectKinds, type BatchFormState } from './batchGate';

const NOW = Date.parse('2026-11-20T10:05:00.000Z');
const fresh = batchDetail({}, NOW, 5);
const allKinds = new Set(sideEffectKinds(fresh.events).map((k) => k.code));
const filled: BatchFormState = { operator: 'Dana Ops', reason: 'INC-4711', acknowledged: allKinds, concurrency: '4' };

const reason = (g: ReturnType<typeof batchGate>) => (g.ok ? 'ok' : g.reason);

describe('batch gate', () => {
  it('passes with operator, reason, every kind acknowledged and a valid concurrency', () => {
    expect(batchGate(fresh, filled, NOW, false), 'everything filled in on a fresh planned batch').toEqual({ ok: true });
  });

  it('says first what typing cannot fix: a run in progress, a done batch, a stale one, nothing to write', () => {
    expect(reason(batchGate(fresh, filled, NOW, true)), 'a run in progress holds the button').toMatch(/running/);
    expect(reason(batchGate({ ...fresh, status: 'done' }, filled, NOW, false)), 'a done batch is not run again').toMatch(/done/);
    const stale = batchDetail({}, NOW, 16);
    expect(reason(batchGate(stale, filled, NOW, false)), 'a batch preflight past its 15 minutes is stale').toBe(
      'The batch preflight is older than 15 minutes: take a new one.',
    );
    const blockedOnly = batchDetail({ events: [batchEvent({ event_id: 1, kind: 'none', blocking: ['external_id_missing'], side_effects: [] })] }, NOW, 1);
    expect(reason(batchGate(blockedOnly, filled, NOW, false)), 'a batch of blocked events has nothing to write').toMatch(/blocked: nothing would be written/);
    const emptyForm: BatchFormState = { operator: '', reason: '', acknowledged: new Set(), concurrency: '' };
    expect(reason(batchGate(stale, emptyForm, NOW, false)), 'staleness is said before the empty form').toMatch(/older than/);
  });

  it('then asks for the form in its order: operator, reason, acknowledgments, concurrency', () => {
    expect(reason(batchGate(fresh, { ...filled, operator: '  ' }, NOW, false)), 'blank operator').toBe('Enter the operator name.');
    expect(reason(batchGate(fresh, { ...filled, reason: '' }, NOW, false)), 'blank reason').toBe('Give the reason for this batch replay.');
    expect(reason(batchGate(fresh, { ...filled, acknowledged: new Set() }, NOW, false)), 'nothing ticked').toBe(
      'Acknowledge every kind of side effect.',
    );
    const oneLeft = new Set([...allKinds].filter((c) => c !== 'creates_record'));
    expect(reason(batchGate(fresh, { ...filled, acknowledged: oneLeft }, NOW, false)), 'one kind not ticked is counted').toBe(
      `Acknowledge every kind of side effect (1 of ${allKinds.size} not ticked).`,
    );
    for (const c of ['0', '65', '2.5', 'four']) {
      expect(reason(batchGate(fresh, { ...filled, concurrency: c }, NOW, false)), `concurrency ${c} is out of 1..64`).toBe(
        'Concurrency is a whole number from 1 to 64.',
      );
    }
  });

  it('a resumable batch (paused, stopped, cancelled, interrupted) passes the same gate', () => {
    for (const status of ['paused', 'stopped', 'cancelled', 'interrupted', 'running']) {
      expect(batchGate({ ...fresh, status }, filled, NOW, false), `${status} can be resumed`).toEqual({ ok: true });
    }
  });
});

describe('side-effect kinds', () => {
  it('counts each kind over the writable events only: a blocked event is never written', () => {
    const kinds = sideEffectKinds([
      batchEvent({ event_id: 1, side_effects: ['update_fields', 'writes_as'] }),
      batchEvent({ event_id: 2, kind: 'create', side_effects: ['creates_record', 'writes_as', 'writes_as'] }),
      batchEvent({ event_id: 3, kind: 'none', blocking: ['protected_field_conflict'], side_effects: ['owner_changes'] }),
    ]);
    expect(kinds.map((k) => [k.code, k.events]), 'one entry per kind, counted once per event, blocked ones left out').toEqual([
      ['update_fields', 1],
      ['writes_as', 2],
      ['creates_record', 1],
    ]);
    expect(kinds[0]?.label, 'a known code reads as a phrase').toBe('Updates fields of existing records');
  });
});

describe('batch run request', () => {
  it('sends the batch token, trimmed words and the typed concurrency; other limits stay the backend defaults', () => {
    expect(batchRunRequest(fresh, { ...filled, operator: ' Dana Ops ', reason: ' INC-4711 ', concurrency: '8' })).toEqual({
      ack_token: fresh.ack_token,
      operator: 'Dana Ops',
      reason: 'INC-4711',
      concurrency: 8,
      acknowledged: [...allKinds].sort(),
    });
  });
});
