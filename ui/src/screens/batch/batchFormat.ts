// Words and colours for batch replay, and the reading of what batch_show stores as JSON.
import type { BatchAggregate, BatchSummary, JsonValue, Selection } from '../../ipc';
import type { Tone } from '../../lib/status';

const STATUSES: Record<string, { label: string; tone: Tone; meaning: string }> = {
  planned: { label: 'Planned', tone: 'info', meaning: 'Preflight taken; not run yet.' },
  running: { label: 'Running', tone: 'info', meaning: 'Writing events now (in this window or from the command line).' },
  paused: { label: 'Paused', tone: 'attention', meaning: "Paused on the org's API usage; resume it later." },
  stopped: { label: 'Stopped', tone: 'danger', meaning: 'Stopped after consecutive failures; look at them, then resume.' },
  cancelled: { label: 'Cancelled', tone: 'neutral', meaning: 'Cancelled by the operator; resume it to write the rest.' },
  interrupted: {
    label: 'Interrupted',
    tone: 'attention',
    meaning: 'The process running it ended mid-run; a resume skips every event already attempted.',
  },
  done: { label: 'Done', tone: 'success', meaning: 'Every event was attempted or skipped.' },
};

export function batchStatusMeta(status: string): { label: string; tone: Tone; meaning: string } {
  return STATUSES[status] ?? { label: status, tone: 'neutral', meaning: '' };
}

/** A run that ended early can be run again with the same token: it skips what was attempted. */
export function isResumable(status: string): boolean {
  return (
    status === 'paused' || status === 'stopped' || status === 'cancelled' || status === 'interrupted' || status === 'running'
  );
}

const FINDINGS: Record<string, string> = {
  external_id_missing: 'No external ID',
  duplicate_conflict_detected: 'Several records match',
  protected_field_conflict: 'Would overwrite a protected field',
  already_replayed: 'Already replayed',
  unknown_outcome_pending: 'Last attempt awaits verify',
  attempt_in_flight: 'Another attempt is in flight',
  integration_user_mismatch: 'Credential acts as another user',
  nothing_to_write: 'Nothing left to write',
  discarded: 'Discarded',
  owner_inactive: 'Owner is inactive',
  fallback_owner: "Owner is the lane's fallback owner",
  record_modified_after_event: 'Record modified after the event',
};

/** A finding code in words, when this build knows it. */
export function findingLabel(code: string): string | null {
  return FINDINGS[code] ?? null;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const isNumber = (v: unknown): v is number => typeof v === 'number';
const isCountMap = (v: unknown) => isObject(v) && Object.values(v).every(isNumber);
const isIdList = (v: unknown) => Array.isArray(v) && v.every(isNumber);
const isSkippedList = (v: unknown) =>
  Array.isArray(v) && v.every((s) => isObject(s) && isNumber(s.event_id) && typeof s.code === 'string');

/** The stored aggregate of batch_show, or null when it is not one (a database edited by hand). */
export function readAggregate(v: JsonValue | undefined): BatchAggregate | null {
  if (!isObject(v)) return null;
  const numbers = ['total', 'would_update', 'would_create', 'blocked', 'change_owner', 'touch_protected'] as const;
  if (!numbers.every((k) => isNumber(v[k])) || !isCountMap(v.blocked_by) || !isCountMap(v.warnings_by)) return null;
  return v as unknown as BatchAggregate;
}

/** The stored summary of the batch's last run, or null. */
export function readSummary(v: JsonValue | null | undefined): BatchSummary | null {
  if (!isObject(v) || typeof v.status !== 'string' || typeof v.message !== 'string') return null;
  const lists = ['updated', 'created', 'changed_since_preflight', 'unknown_outcome', 'already_attempted', 'not_started', 'post_verify_mismatches'];
  const skipped = ['blocked', 'rejected', 'skipped'];
  if (!lists.every((k) => isIdList(v[k])) || !skipped.every((k) => isSkippedList(v[k]))) return null;
  return v as unknown as BatchSummary;
}

/** The stored selection, or null. */
export function readSelection(v: JsonValue | undefined): Selection | null {
  if (!isObject(v) || typeof v.lane_id !== 'string') return null;
  const text = (x: unknown) => (typeof x === 'string' ? x : null);
  return {
    lane_id: v.lane_id,
    status: text(v.status),
    reason_code: text(v.reason_code),
    ids: isIdList(v.ids) ? (v.ids as number[]) : null,
  };
}

/** `lane account_sync · failed · reason code UNABLE_TO_LOCK_ROW` */
export function describeSelection(s: Selection): string {
  const parts = [`lane ${s.lane_id}`, s.status === null ? 'failed and blocked' : s.status];
  if (s.reason_code) parts.push(`reason code ${s.reason_code}`);
  if (s.ids) parts.push(`${s.ids.length} chosen events`);
  return parts.join(' · ');
}
