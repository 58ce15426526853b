import type { OverrideRequest, PreflightView, ReplayRequest } from '../ipc';

/** What the operator has filled in on the replay form. */
export interface ReplayFormState {
  operator: string;
  reason: string;
  /** Indexes of the ticked side effects of this preflight (ticks never carry to another one). */
  acknowledged: ReadonlySet<number>;
  /** Why replay an already replayed event again; '' when not asked. */
  again: string;
  /** The override the operator has in mind; `null` when none is asked for. */
  override: OverrideRequest | null;
}

export type Gate = { ok: true } | { ok: false; reason: string };

const blank = (s: string) => s.trim() === '';

/** What the operator can do in the window about a blocking finding (the backend's messages name CLI flags). */
const WAY_OUT: Record<string, string> = {
  protected_field_conflict: 'Ask for an approved override below, or discard the event.',
  duplicate_conflict_detected: 'Resolve the duplicates in Salesforce and run the preflight again, or discard the event.',
  external_id_missing: 'Nothing can be written without it: discard the event.',
  unknown_outcome_pending: 'Verify the last attempt first.',
  integration_user_mismatch: "Fix the lane's credential, then run the preflight again.",
  attempt_in_flight: 'Wait for it to finish, then run the preflight again.',
};

function sameOverride(a: OverrideRequest | null, b: OverrideRequest | null): boolean {
  if (a === null || b === null) return a === b;
  return a.reassignment_reason.trim() === b.reassignment_reason.trim() && a.approved_by.trim() === b.approved_by.trim();
}

/** Whole minutes and seconds left, `14:05`; hours only past the hour, `1:02:03`. */
export function formatRemaining(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const mm = h > 0 ? String(m).padStart(2, '0') : String(m);
  return `${h > 0 ? `${h}:` : ''}${mm}:${String(s).padStart(2, '0')}`;
}

/** Milliseconds until the preflight is stale; 0 or less once it is (or when its time is unreadable). */
export function freshFor(view: PreflightView, now: number): number {
  const expires = Date.parse(view.expires_at);
  return Number.isNaN(expires) ? 0 : expires - now;
}

/**
 * May the replay button be pressed? Mirrors the backend's gate (domain/preflight.rs `gate`), which
 * stays the authority: this only keeps the operator from asking for what would be refused, and
 * says, as one sentence, the first thing that stands in the way.
 *
 * Order: what the operator cannot fix by typing (no preflight, stale, the event changed, an
 * override the preflight was not taken with, a blocking finding) comes before what the form lacks,
 * in the form's own order (operator, reason, acknowledgments).
 */
export function replayGate(
  view: PreflightView | null,
  form: ReplayFormState,
  now: number,
  /** The event's status as stored now; a preflight taken in another status no longer describes it. */
  eventStatus?: string,
): Gate {
  if (view === null) return { ok: false, reason: 'Run the preflight first.' };
  const p = view.preflight;
  if (freshFor(view, now) <= 0) {
    return { ok: false, reason: `The preflight is older than ${view.max_age_minutes} minutes: preflight again.` };
  }
  if (eventStatus !== undefined && eventStatus !== p.event.status) {
    return { ok: false, reason: `The event is ${eventStatus.replace(/_/g, ' ')} since this preflight: preflight again.` };
  }
  const draft = form.override;
  if (draft !== null && (blank(draft.reassignment_reason) || blank(draft.approved_by))) {
    return { ok: false, reason: 'An override needs a reassignment reason and an approver.' };
  }
  if (!sameOverride(draft, p.override_request)) {
    return {
      ok: false,
      reason:
        draft === null
          ? 'This preflight was taken with an override: run it again without one.'
          : 'Run the preflight again with this override: the acknowledgment binds the exact request.',
    };
  }
  for (const f of p.findings) {
    if (f.severity !== 'blocking') continue;
    if (f.code === 'already_replayed') {
      if (!blank(form.again)) continue;
      const said = f.message.replace(/;.*$/, '');
      return { ok: false, reason: `${said.charAt(0).toUpperCase()}${said.slice(1)}: give a reason to replay it again.` };
    }
    const way = WAY_OUT[f.code];
    return { ok: false, reason: `Blocked (${f.code}): ${f.message}.${way ? ` ${way}` : ''}` };
  }
  if (blank(form.operator)) return { ok: false, reason: 'Enter the operator name.' };
  if (blank(form.reason)) return { ok: false, reason: 'Give the reason for this replay.' };
  const left = p.side_effects.filter((_, i) => !form.acknowledged.has(i)).length;
  if (left > 0) {
    return {
      ok: false,
      reason:
        left === p.side_effects.length
          ? 'Acknowledge every side effect.'
          : `Acknowledge every side effect (${left} of ${p.side_effects.length} not ticked).`,
    };
  }
  if (draft !== null && draft.approved_by.trim().toLowerCase() === form.operator.trim().toLowerCase()) {
    return { ok: false, reason: 'The approver of an override must be someone other than the operator.' };
  }
  return { ok: true };
}

/**
 * The request the form sends: the token and the override are the preflight's own, as bound, and
 * the side effects ticked, by code (the backend refuses the replay if one is missing).
 */
export function replayRequest(view: PreflightView, form: ReplayFormState): ReplayRequest {
  const again = form.again.trim();
  const ticked = view.preflight.side_effects.filter((_, i) => form.acknowledged.has(i)).map((s) => s.code);
  return {
    operator: form.operator.trim(),
    reason: form.reason.trim(),
    ack_token: view.preflight.ack_token,
    again: again === '' ? null : again,
    override_request: view.preflight.override_request,
    acknowledged: [...new Set(ticked)],
  };
}
