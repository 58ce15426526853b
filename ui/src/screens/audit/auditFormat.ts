// Words and colours for the audit screen, and the checks its forms make before any call.
import type { AuditCheckpointState, AuditExportFormat, AuditFilter, AuditProblemKind } from '../../ipc';
import { AUDIT_ACTIONS, type AuditAction } from '../../ipc/bindings/auditActions';
import { attemptMeta, metaOf, type Tone } from '../../lib/status';

// Keyed by the backend's own list (generated from domain::audit::ACTIONS): an action added there
// without a label here is a type error.
const ACTIONS: Record<AuditAction, { label: string; tone: Tone }> = {
  lane_imported: { label: 'Lane imported', tone: 'neutral' },
  events_imported: { label: 'Events imported', tone: 'neutral' },
  preflight: { label: 'Preflight', tone: 'info' },
  replay_intent: { label: 'Replay sent', tone: 'info' },
  replay_outcome: { label: 'Replay result', tone: 'success' },
  post_verify: { label: 'Post-verify', tone: 'success' },
  replay_refused: { label: 'Replay refused', tone: 'warning' },
  verify: { label: 'Verify', tone: 'attention' },
  unknown_outcome: { label: 'Unknown outcome', tone: 'attention' },
  discard: { label: 'Discard', tone: 'neutral' },
  event_edited: { label: 'Payload edited', tone: 'warning' },
  event_edit_approved: { label: 'Edit approved', tone: 'warning' },
  queue_exported: { label: 'Queue exported (Data Loader)', tone: 'neutral' },
  event_triaged: { label: 'Triaged', tone: 'neutral' },
  alert_raised: { label: 'Alert raised', tone: 'danger' },
  alert_sent: { label: 'Alert sent to its owner', tone: 'warning' },
  alert_send_failed: { label: 'Alert not delivered', tone: 'danger' },
  alert_episode_ended: { label: 'Alert ended', tone: 'neutral' },
  alert_webhook_set: { label: 'Alert webhook set', tone: 'neutral' },
  credential_set: { label: 'Credential set', tone: 'neutral' },
  credential_checked: { label: 'Credential check', tone: 'neutral' },
  credential_deleted: { label: 'Credential deleted', tone: 'warning' },
  credential_refused: { label: 'Credential refused', tone: 'danger' },
  audit_exported: { label: 'Audit exported', tone: 'neutral' },
  audit_triggers_restored: { label: 'Triggers restored', tone: 'danger' },
  batch_planned: { label: 'Batch planned', tone: 'info' },
  batch_started: { label: 'Batch started', tone: 'info' },
  batch_skipped: { label: 'Skipped in batch', tone: 'warning' },
  batch_finished: { label: 'Batch finished', tone: 'success' },
  batch_refused: { label: 'Batch refused', tone: 'warning' },
  batch_interrupted: { label: 'Batch interrupted', tone: 'attention' },
  create_overwrote_record: { label: 'Create changed an existing record (critical)', tone: 'danger' },
  checkpoint_lost: { label: 'Checkpoint lost', tone: 'danger' },
  checkpoint_loss_acknowledged: { label: 'Checkpoint loss acknowledged', tone: 'warning' },
  team_initialised: { label: 'Team roles set up', tone: 'neutral' },
  role_granted: { label: 'Role granted', tone: 'warning' },
  role_revoked: { label: 'Role revoked', tone: 'warning' },
  approval_requested: { label: 'Approval requested', tone: 'warning' },
  approval_decided: { label: 'Approval decided', tone: 'warning' },
};

/** The actions the backend writes, for the filter's suggestions. */
export const KNOWN_ACTIONS: readonly string[] = AUDIT_ACTIONS;

export function actionMeta(action: string): { label: string; tone: Tone } {
  // An action from a newer backend than this build shows as it is written.
  return metaOf<{ label: string; tone: Tone }>(ACTIONS, action);
}

const OUTCOMES: Record<string, { label: string; tone: Tone }> = {
  refused: { label: 'Refused', tone: 'warning' },
  discarded: { label: 'Discarded', tone: 'neutral' },
  verified: { label: 'Verified', tone: 'success' },
  mismatch: { label: 'Mismatch', tone: 'danger' },
  ready: { label: 'Ready', tone: 'success' },
  blocked: { label: 'Blocked', tone: 'warning' },
  // A batch's own entries: planned, started (running), skipped events, and how a run ended.
  planned: { label: 'Planned', tone: 'info' },
  running: { label: 'Running', tone: 'info' },
  skipped: { label: 'Skipped', tone: 'warning' },
  done: { label: 'Done', tone: 'success' },
  paused: { label: 'Paused', tone: 'attention' },
  stopped: { label: 'Stopped', tone: 'danger' },
  cancelled: { label: 'Cancelled', tone: 'neutral' },
  interrupted: { label: 'Interrupted', tone: 'attention' },
  // A checkpoint loss: the entries before it are not proven.
  unproven: { label: 'Unproven', tone: 'danger' },
};

export const KNOWN_OUTCOMES = [
  'applied',
  'rejected',
  'precondition_failed',
  'unknown_outcome',
  'record_appeared',
  'not_applied',
  'in_flight',
  ...Object.keys(OUTCOMES),
];

export function outcomeMeta(outcome: string): { label: string; tone: Tone } {
  return OUTCOMES[outcome] ?? attemptMeta(outcome);
}

export const PROBLEM_LABELS: Record<AuditProblemKind, string> = {
  content_changed: 'Content changed',
  link_broken: 'Link broken',
  gap: 'Gap',
  order: 'Out of order',
  checkpoint_mismatch: 'Checkpoint mismatch',
  triggers_missing: 'Triggers missing',
  malformed: 'Malformed',
  file_changed: 'File changed',
  manifest_mismatch: 'Manifest mismatch',
  outside_filter: 'Outside the filter',
  forged: 'Forged entry (no valid MAC)',
  checkpoint_lost: 'Checkpoint lost',
  rolled_back: 'Rolled back',
  log_replaced: 'Log replaced',
  not_extended: 'Not an extension',
};

export const CHECKPOINT_LABELS: Record<AuditCheckpointState, { label: string; tone: Tone }> = {
  valid: { label: 'Checkpoint valid', tone: 'success' },
  mismatch: { label: 'Checkpoint mismatch', tone: 'danger' },
  missing: { label: 'Checkpoint missing', tone: 'danger' },
  absent: { label: 'No checkpoint yet', tone: 'warning' },
  unchecked: { label: 'Checkpoint unchecked', tone: 'warning' },
};

const DATE = /^(\d{4}-\d{2}-\d{2})$/;
const DATE_TIME = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})(:\d{2}(\.\d{1,9})?)?\s*(Z|z|[+-]\d{2}:?\d{2})?$/;

/**
 * A time as typed into a filter, in the stored form (`2026-11-20T10:00:00.000Z`), or an error
 * sentence. A date means UTC midnight; a time without an offset means UTC, as everywhere here.
 */
export function parseTimeBound(text: string): { value: string } | { error: string } {
  const t = text.trim();
  const d = DATE.exec(t);
  const dt = d ? null : DATE_TIME.exec(t);
  let iso: string | null = null;
  if (d) iso = `${d[1]}T00:00:00Z`;
  else if (dt) {
    const offset = dt[5] === undefined || dt[5].toUpperCase() === 'Z' ? 'Z' : dt[5].includes(':') ? dt[5] : `${dt[5].slice(0, 3)}:${dt[5].slice(3)}`;
    iso = `${dt[1]}T${dt[2]}${dt[3] ?? ':00'}${offset}`;
  }
  const ms = iso === null ? Number.NaN : Date.parse(iso);
  if (iso === null || Number.isNaN(ms)) {
    return { error: `“${t}” is not a time: write a date (2026-11-20) or a UTC time (2026-11-20 10:00).` };
  }
  return { value: new Date(ms).toISOString() };
}

/** Only the filters that are set: the key of the list's query and what the backend receives. */
export function compactFilter(f: AuditFilter): AuditFilter {
  const out: AuditFilter = {};
  if (f.lane_id) out.lane_id = f.lane_id;
  if (f.operator) out.operator = f.operator;
  if (f.action) out.action = f.action;
  if (f.outcome) out.outcome = f.outcome;
  if (f.event_id !== null && f.event_id !== undefined) out.event_id = f.event_id;
  if (f.batch_id !== null && f.batch_id !== undefined) out.batch_id = f.batch_id;
  if (f.external_id) out.external_id = f.external_id;
  if (f.since) out.since = f.since;
  if (f.until) out.until = f.until;
  return out;
}

export function isFiltered(f: AuditFilter): boolean {
  return Object.keys(compactFilter(f)).length > 0;
}

/** `/home/…`, `C:\…`, `\\server\…`: what the backend accepts as the file to write. */
export function isAbsolutePath(path: string): boolean {
  return /^(\/|[A-Za-z]:[\\/]|\\\\)/.test(path.trim());
}

export const EXTENSIONS: Record<AuditExportFormat, string> = { csv: '.csv', ndjson: '.ndjson' };

/** `<home>/replay-console-export-20261120T101500Z.csv` */
export function defaultExportPath(home: string | null, format: AuditExportFormat, now: Date): string {
  const stamp = now.toISOString().slice(0, 19).replace(/[-:]/g, '') + 'Z';
  const name = `replay-console-export-${stamp}${EXTENSIONS[format]}`;
  if (home === null) return `~/${name}`;
  const sep = home.includes('\\') && !home.includes('/') ? '\\' : '/';
  return home.endsWith(sep) ? `${home}${name}` : `${home}${sep}${name}`;
}

/** The same path with the other format's extension, when it ends with one of ours. */
export function withExtension(path: string, format: AuditExportFormat): string {
  const m = /\.(csv|ndjson)$/i.exec(path);
  return m ? path.slice(0, m.index) + EXTENSIONS[format] : path;
}

export function shortHash(hash: string | null | undefined): string {
  if (!hash) return '—';
  return hash.length > 16 ? `${hash.slice(0, 12)}…${hash.slice(-4)}` : hash;
}

export function percent(done: number, total: number): number {
  if (total <= 0) return 0;
  return Math.max(0, Math.min(100, Math.round((done / total) * 100)));
}
