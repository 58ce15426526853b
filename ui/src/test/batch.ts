// Batches shaped as the Rust side returns them (batch_preflight, batch_show, batch_execute,
// batch_list), for the tests and the preview.
import type { BatchAggregate, BatchDetail, BatchEventDetail, BatchListItem, BatchPlan, BatchSummary, Selection } from '../ipc';

export const LANE = 'account_sync_north_america';

const UPDATE_EFFECTS = ['update_fields', 'owner_unchanged', 'assignment_suppressed', 'conditional_write', 'automation_runs', 'writes_as'];
const CREATE_EFFECTS = ['creates_record', 'assignment_runs', 'automation_runs', 'writes_as'];

export function batchEvent(over: Partial<BatchEventDetail> & { event_id: number }): BatchEventDetail {
  const kind = over.kind ?? 'update';
  return {
    preflight_id: 1000 + over.event_id,
    external_id: `BA-${10000 + over.event_id}`,
    kind,
    blocking: [],
    warnings: [],
    side_effects: kind === 'create' ? CREATE_EFFECTS : kind === 'update' ? UPDATE_EFFECTS : [],
    attempt_id: null,
    outcome: null,
    error_code: null,
    record_id: null,
    ...over,
  };
}

/**
 * The events of a small incident batch: 4 updates (one with a warning), 1 create, 2 blocked
 * (a duplicate and a protected field), 1 without an external ID.
 */
export function incidentEvents(): BatchEventDetail[] {
  return [
    batchEvent({ event_id: 5 }),
    batchEvent({ event_id: 21, kind: 'none', blocking: ['protected_field_conflict'], side_effects: [] }),
    batchEvent({ event_id: 43, warnings: ['owner_inactive'] }),
    batchEvent({ event_id: 94 }),
    batchEvent({ event_id: 113, kind: 'none', blocking: ['duplicate_conflict_detected'], side_effects: [] }),
    batchEvent({ event_id: 120, kind: 'create' }),
    batchEvent({ event_id: 131, kind: 'none', external_id: null, blocking: ['external_id_missing'], side_effects: [] }),
    batchEvent({ event_id: 140 }),
  ];
}

/** The aggregate the backend computes over these events (domain/batch.rs `aggregate`). */
export function aggregateOf(events: BatchEventDetail[]): BatchAggregate {
  const a: BatchAggregate = {
    total: events.length,
    would_update: 0,
    would_create: 0,
    blocked: 0,
    blocked_by: {},
    change_owner: 0,
    touch_protected: 0,
    warnings_by: {},
  };
  for (const e of events) {
    if (e.blocking.includes('protected_field_conflict')) a.touch_protected += 1;
    if (e.blocking.length > 0) {
      a.blocked += 1;
      for (const c of e.blocking) a.blocked_by[c] = (a.blocked_by[c] ?? 0) + 1;
      continue;
    }
    if (e.kind === 'update') a.would_update += 1;
    if (e.kind === 'create') a.would_create += 1;
    if (e.side_effects.includes('owner_changes')) a.change_owner += 1;
    for (const w of e.warnings) a.warnings_by[w] = (a.warnings_by[w] ?? 0) + 1;
  }
  return a;
}

export const SELECTION: Selection = { lane_id: LANE, status: 'failed', reason_code: 'SERVER_UNAVAILABLE', ids: null };

/** A batch as batch_show returns it, taken `ageMinutes` before `now`, valid 15 minutes. */
export function batchDetail(over: Partial<BatchDetail> = {}, now = Date.now(), ageMinutes = 1): BatchDetail {
  const events = over.events ?? incidentEvents();
  const taken = now - ageMinutes * 60_000;
  return {
    batch_id: 3,
    lane_id: LANE,
    created_at: new Date(taken).toISOString(),
    expires_at: new Date(taken + 15 * 60_000).toISOString(),
    planned_by: 'Dana Ops',
    operator: null,
    reason: null,
    status: 'planned',
    ack_token: 'edb685e13dae',
    digest: 'edb685e13dae4c1f9a0b7d2e5f60718293a4b5c6d7e8f90112233445566778899',
    started_at: null,
    finished_at: null,
    selection: SELECTION,
    aggregate: aggregateOf(events),
    summary: null,
    ...over,
    events,
  };
}

export function batchPlan(detail: BatchDetail): BatchPlan {
  return {
    batch_id: detail.batch_id,
    lane_id: detail.lane_id,
    taken_at: detail.created_at,
    expires_at: detail.expires_at,
    digest: detail.digest,
    ack_token: detail.ack_token,
    aggregate: detail.aggregate ?? aggregateOf(detail.events),
    events: detail.events.map((e) => ({
      event_id: e.event_id,
      preflight_id: e.preflight_id,
      external_id: e.external_id,
      kind: e.kind,
      record_id: null,
      blocking: e.blocking,
      warnings: e.warnings,
      side_effects: e.side_effects,
    })),
    api_calls: 3,
  };
}

export function batchSummary(over: Partial<BatchSummary> = {}): BatchSummary {
  return {
    batch_id: 3,
    status: 'done',
    message: '4 written (3 updated, 1 created), 3 blocked, 1 changed since the preflight, 0 rejected, 1 unknown outcome',
    total: 8,
    updated: [5, 43, 94],
    created: [120],
    blocked: [
      { event_id: 21, code: 'protected_field_conflict', message: 'Owner is protected' },
      { event_id: 113, code: 'duplicate_conflict_detected', message: 'two records match' },
      { event_id: 131, code: 'external_id_missing', message: 'no external ID' },
    ],
    changed_since_preflight: [140],
    rejected: [],
    unknown_outcome: [],
    already_attempted: [],
    skipped: [],
    not_started: [],
    retries: 0,
    post_verify_mismatches: [],
    api_calls: 6,
    ...over,
  };
}

export function batchListItem(over: Partial<BatchListItem> & { batch_id: number }): BatchListItem {
  return {
    lane_id: LANE,
    created_at: '2026-11-20T10:00:00.000Z',
    planned_by: 'Dana Ops',
    operator: 'Dana Ops',
    reason: 'INC-4711',
    status: 'done',
    started_at: '2026-11-20T10:01:00.000Z',
    finished_at: '2026-11-20T10:02:00.000Z',
    aggregate: aggregateOf(incidentEvents()),
    attempts: { applied: 4, precondition_failed: 1 },
    ...over,
  };
}
