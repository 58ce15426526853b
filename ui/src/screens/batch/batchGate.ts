import type { BatchDetail, BatchEventDetail, BatchRunRequest } from '../../ipc';
import type { Gate } from '../../lib/replayGate';

/** Writes in flight at once: the backend's default and its bounds (services/batch.rs). */
export const DEFAULT_CONCURRENCY = 4;
export const MAX_CONCURRENCY = 64;

/** What the operator has filled in on the batch form. */
export interface BatchFormState {
  operator: string;
  reason: string;
  /** The side-effect kinds ticked, for this batch's token (ticks never carry to another batch). */
  acknowledged: ReadonlySet<string>;
  /** As typed; a whole number from 1 to MAX_CONCURRENCY. */
  concurrency: string;
}

/** One kind of side effect the batch's writable events have, and how many have it. */
export interface SideEffectKind {
  code: string;
  label: string;
  events: number;
}

const SIDE_EFFECTS: Record<string, string> = {
  update_fields: 'Updates fields of existing records',
  update_no_change: 'Updates records with values they already have',
  owner_changes: "Changes the records' owner",
  owner_unchanged: "Leaves the records' owner as it is",
  assignment_suppressed: 'Assignment rules do not run on updates (Sforce-Auto-Assign: FALSE)',
  conditional_write: 'Each update is written only if the record is unchanged since the preflight (If-Unmodified-Since)',
  creates_record: 'Creates new records',
  assignment_runs: "Assignment rules choose each new record's owner",
  protected_stripped: 'Protected fields are left out of the write',
  protected_overwritten: 'Protected fields are written under an approved override',
  automation_runs: 'Triggers, flows and validation rules run again',
  writes_as: "Writes as the lane's integration user",
};

/** A side-effect code as a phrase; a code this build does not know is shown as it is. */
export function sideEffectLabel(code: string): string {
  return SIDE_EFFECTS[code] ?? code;
}

/** An event the batch would write: no blocking finding in its preflight. */
export function isWritable(e: Pick<BatchEventDetail, 'blocking'>): boolean {
  return e.blocking.length === 0;
}

/** The side-effect kinds of the events that would be written (blocked ones never are), in first-seen order. */
export function sideEffectKinds(events: Pick<BatchEventDetail, 'blocking' | 'side_effects'>[]): SideEffectKind[] {
  const counts = new Map<string, number>();
  for (const e of events) {
    if (!isWritable(e)) continue;
    for (const code of new Set(e.side_effects)) counts.set(code, (counts.get(code) ?? 0) + 1);
  }
  return [...counts].map(([code, n]) => ({ code, label: sideEffectLabel(code), events: n }));
}

/** The batch preflight's maximum age in whole minutes, from its time and expiry. */
export function maxAgeMinutes(batch: Pick<BatchDetail, 'created_at' | 'expires_at'>): number {
  const ms = Date.parse(batch.expires_at) - Date.parse(batch.created_at);
  return Number.isNaN(ms) ? 0 : Math.round(ms / 60_000);
}

/** Milliseconds until the batch preflight is stale; 0 or less once it is (or when its time is unreadable). */
export function batchFreshFor(batch: Pick<BatchDetail, 'expires_at'>, now: number): number {
  const expires = Date.parse(batch.expires_at);
  return Number.isNaN(expires) ? 0 : expires - now;
}

function concurrencyOf(text: string): number | null {
  const t = text.trim();
  if (!/^\d+$/.test(t)) return null;
  const n = Number(t);
  return n >= 1 && n <= MAX_CONCURRENCY ? n : null;
}

const blank = (s: string) => s.trim() === '';

/**
 * May the batch be run (or resumed)? Mirrors what the backend refuses (services/batch.rs
 * `execute`), which stays the authority, and asks, as replayGate does for one event, that every
 * kind of side effect be acknowledged. Says the first thing that stands in the way, as one
 * sentence: first what typing cannot fix (a run in progress, a finished or stale batch, nothing
 * to write), then the form in its own order.
 */
export function batchGate(
  batch: Pick<BatchDetail, 'status' | 'created_at' | 'expires_at' | 'events'>,
  form: BatchFormState,
  now: number,
  running: boolean,
): Gate {
  if (running) return { ok: false, reason: 'This batch is running: wait for its summary, or cancel it.' };
  if (batch.status === 'done') return { ok: false, reason: 'This batch is done: every event was attempted or skipped.' };
  if (batchFreshFor(batch, now) <= 0) {
    return { ok: false, reason: `The batch preflight is older than ${maxAgeMinutes(batch)} minutes: take a new one.` };
  }
  if (!batch.events.some(isWritable)) return { ok: false, reason: 'Every event of this batch is blocked: nothing would be written.' };
  if (blank(form.operator)) return { ok: false, reason: 'Enter the operator name.' };
  if (blank(form.reason)) return { ok: false, reason: 'Give the reason for this batch replay.' };
  const kinds = sideEffectKinds(batch.events);
  const left = kinds.filter((k) => !form.acknowledged.has(k.code)).length;
  if (left > 0) {
    return {
      ok: false,
      reason:
        left === kinds.length
          ? 'Acknowledge every kind of side effect.'
          : `Acknowledge every kind of side effect (${left} of ${kinds.length} not ticked).`,
    };
  }
  if (concurrencyOf(form.concurrency) === null) {
    return { ok: false, reason: `Concurrency is a whole number from 1 to ${MAX_CONCURRENCY}.` };
  }
  return { ok: true };
}

/**
 * The request the form sends: the batch's own token and the kinds of side effect ticked (the
 * backend refuses the run if one is missing); limits the form does not show keep the backend's
 * defaults.
 */
export function batchRunRequest(batch: Pick<BatchDetail, 'ack_token'>, form: BatchFormState): BatchRunRequest {
  return {
    ack_token: batch.ack_token,
    operator: form.operator.trim(),
    reason: form.reason.trim(),
    concurrency: concurrencyOf(form.concurrency) ?? DEFAULT_CONCURRENCY,
    acknowledged: [...form.acknowledged].sort(),
  };
}
