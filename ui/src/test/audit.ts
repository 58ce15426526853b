// Audit entries, verify reports and export outcomes shaped as the Rust side returns them, for
// the tests and the preview.
import type { AuditEntry, AuditEntryDetail, AuditExportOutcome, AuditExportRequest, AuditFieldChange, AuditLoss, AuditProblemKind, AuditVerifyReport } from '../ipc';

/** A fake but well-formed SHA-256 hex digest, the same for the same input. */
export function fakeHash(n: number, salt = 0): string {
  let out = '';
  let x = (n * 2654435761 + salt * 97 + 12345) >>> 0;
  while (out.length < 64) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out += x.toString(16).padStart(8, '0');
  }
  return out.slice(0, 64);
}

export const ZERO_HASH = '0'.repeat(64);

export function auditEntry(over: Partial<AuditEntry> & { seq: number }): AuditEntry {
  const seq = over.seq;
  return {
    at: '2026-11-20T10:00:00.000Z',
    action: 'replay_outcome',
    actor: 'l.fischer',
    os_user: 'lfischer',
    host: 'ops-laptop-17',
    lane_id: 'account_sync_north_america',
    lane_version: 2,
    event_id: 7,
    attempt_id: 3,
    batch_id: null,
    integration_user: 'sf_account_sync_app',
    external_id: 'BA-1007',
    record_type: 'Account',
    operation_type: 'upsert',
    reason: 'INC-4471: billing sync outage; record locks released',
    ack_token: `ack-${seq}`,
    outcome: 'applied',
    detail: '{}',
    prev_hash: seq === 1 ? ZERO_HASH : fakeHash(seq - 1),
    hash: fakeHash(seq),
    ...over,
  };
}

/** The field-by-field diff `audit show` computes from `before` and `after` objects. */
export function diffOf(before: Record<string, unknown>, after: Record<string, unknown>): AuditFieldChange[] {
  const fields = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  return fields.map((field) => ({
    field,
    before: Object.hasOwn(before, field) ? before[field] : null,
    after: Object.hasOwn(after, field) ? after[field] : null,
    changed: JSON.stringify(before[field]) !== JSON.stringify(after[field]),
  }));
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `audit show` of an entry: its detail parsed, before/after and their diff. */
export function auditDetail(entry: AuditEntry, over: Partial<AuditEntryDetail> = {}): AuditEntryDetail {
  let detail: unknown = null;
  try {
    detail = JSON.parse(entry.detail) as unknown;
  } catch {
    detail = null;
  }
  const before = isObject(detail) ? (detail.before ?? null) : null;
  const after = isObject(detail) ? (detail.after ?? null) : null;
  return {
    entry,
    detail,
    before,
    after,
    diff: isObject(before) && isObject(after) ? diffOf(before, after) : null,
    hash_ok: true,
    link_ok: true,
    mac: 'valid',
    ...over,
  };
}

export function verifyOk(head: number, over: Partial<AuditVerifyReport> = {}): AuditVerifyReport {
  return {
    ok: true,
    entries: head,
    verified_first: 1,
    verified_last: head,
    verified_hash: fakeHash(head),
    head_seq: head,
    head_hash: fakeHash(head),
    problems: [],
    checkpoint: {
      state: 'valid',
      path: '/home/operator/.local/share/replay-console/replay.db.checkpoint.json',
      seq: head,
      hash: fakeHash(head),
      at: '2026-11-20T12:00:00.000Z',
      key_id: '3f9a0c27e41b8d65',
      message: `the checkpoint at entry ${head} is signed by this log's key and matches the chain`,
    },
    triggers_missing: [],
    macs_from: 1,
    macs_checked: head,
    keychain_head: { log_id: fakeHash(1), seq: head, hash: fakeHash(head), at: '2026-11-20T12:00:00.000Z', macs_from: 1 },
    losses: [],
    not_proven: [],
    elapsed_ms: 412,
    ...over,
  };
}

/** A `checkpoint_lost` entry as `audit_losses` (and `audit verify`) report it. */
export function auditLoss(seq: number, over: Partial<AuditLoss> = {}): AuditLoss {
  return {
    seq,
    at: '2026-11-21T08:00:00.000Z',
    why: 'checkpoint_missing',
    message: 'the checkpoint file is missing, but the keychain says a checkpoint was signed',
    unproven_last: seq - 1,
    acknowledged: null,
    ...over,
  };
}

/** `audit verify` stopping at its first bad entry: the entries before it verified. */
function verifyFailedAt(seq: number, head: number, kind: AuditProblemKind, message: string, over: Partial<AuditVerifyReport> = {}): AuditVerifyReport {
  return verifyOk(head, { ok: false, verified_last: seq - 1, verified_hash: fakeHash(seq - 1), problems: [{ kind, seq, message }], ...over });
}

/** `audit verify` finding an entry appended with SQL: its hash is right, its MAC is not the key's. */
export function verifyForged(seq: number, head: number): AuditVerifyReport {
  return verifyFailedAt(seq, head, 'forged', `entry ${seq} carries no MAC, but every entry from 1 must: it was inserted (or rewritten) outside the console`);
}

/** `audit verify` finding content changed at `bad`: entries before it verified, the rest not. */
export function verifyContentChanged(bad: number, head: number): AuditVerifyReport {
  return verifyFailedAt(bad, head, 'content_changed', `entry ${bad} does not match its hash: its content was changed after it was written`, {
    not_proven: [`entries ${bad + 1} to ${head} were not checked: the walk stops at the first bad entry`],
  });
}

export function exportOutcome(request: AuditExportRequest, count: number, first: number | null, last: number | null): AuditExportOutcome {
  const file = request.out.split(/[\\/]/).pop() ?? request.out;
  return {
    path: request.out,
    manifest_path: `${request.out}.manifest.json`,
    manifest: {
      format: 'replay-console/audit-export/v1',
      file,
      file_format: request.format,
      sha256: fakeHash(count, 7),
      bytes: count * 612,
      count,
      first_seq: first,
      last_seq: last,
      filters: request.filter,
      incident_window: request.incident_window,
      complete: Object.keys(request.filter).length === 0 && request.incident_window === null,
      head_seq: last,
      head_hash: last === null ? null : fakeHash(last),
      checkpoint:
        last === null
          ? null
          : {
              format: 'replay-console/audit-checkpoint/v1',
              log_id: fakeHash(1),
              seq: last,
              hash: fakeHash(last),
              at: '2026-11-20T12:00:00.000Z',
              public_key: fakeHash(0, 3),
              key_id: '3f9a0c27e41b8d65',
              signature: fakeHash(1, 9) + fakeHash(2, 9),
            },
      canonical_encoding: 'replay-console/audit-entry/v1',
      columns: ['seq', 'at', 'action', 'actor'],
      csv_neutralisation: request.format === 'csv' ? "text cells starting with = + - @ TAB CR or ' get a leading '" : null,
      created_at: '2026-11-20T12:01:00.000Z',
      created_by: 'lfischer',
      host: 'ops-laptop-17',
    },
  };
}
