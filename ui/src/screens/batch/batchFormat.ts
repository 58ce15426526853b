// Words and colours for batch replay.
import type { Selection } from '../../ipc';
import { metaOf, type Meta } from '../../lib/status';

const STATUSES: Record<string, Meta> = {
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

export function batchStatusMeta(status: string): Meta {
  return metaOf(STATUSES, status);
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

/** `lane account_sync · failed · reason code UNABLE_TO_LOCK_ROW` */
export function describeSelection(s: Selection): string {
  const parts = [`lane ${s.lane_id}`, s.status === null ? 'failed and blocked' : s.status];
  if (s.reason_code) parts.push(`reason code ${s.reason_code}`);
  if (s.group) parts.push(`failure group ${s.group}`);
  else if (s.ids) parts.push(`${s.ids.length} chosen events`);
  if (s.override_request) parts.push(`override approved by ${s.override_request.approved_by || '(no approver)'}`);
  return parts.join(' · ');
}
