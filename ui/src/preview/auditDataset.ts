// Dev-only: a deterministic audit log for the preview (preview.html), shaped as the Rust side
// writes it: lane and event imports, then per event a preflight, the replay's intent, outcome and
// post-verify, with discards, refusals, settled unknown outcomes and credential checks mixed in.
// `?audit=N` sets the number of entries (default 2,400); `?tamper=SEQ` makes verify and show find
// that entry changed.
import type { AuditEntry, AuditExportRequest, AuditFilter, AuditQuery, JsonValue } from '../ipc';
import type { AuditMockBackend } from '../ipc/mock';
import { emitTaskProgress } from '../ipc/mock';
import { auditDetail, exportOutcome, fakeHash, verifyContentChanged, verifyOk, ZERO_HASH } from '../test/audit';

type Answer<T> = T | Promise<T>;

const LANES = [
  { id: 'account_sync_north_america', user: 'sf_account_sync_app', object: 'Account', prefix: 'BA', version: 2 },
  { id: 'contact_sync_emea', user: 'sf_contact_sync_app', object: 'Contact', prefix: 'CT', version: 1 },
  { id: 'opportunity_sync_apac', user: 'sf_deal_sync_app', object: 'Opportunity', prefix: 'DL', version: 1 },
];
const OPERATORS = ['l.fischer', 'm.okafor', 's.tanaka', 'r.almeida'];
const REASONS = [
  'INC-4471: billing sync outage of 20 Nov; record locks are released',
  'INC-4480: owner reactivated by Sales Ops (SALESOPS-212)',
  'Validation rule relaxed for renewals in CHG-1187',
  'API limit reset after the nightly batch; resending held writes',
];
const BASE = Date.parse('2026-11-20T08:00:00Z');

function h(n: number, salt: number): number {
  let x = (n * 2654435761 + salt * 40503) >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 2246822507) >>> 0;
  x ^= x >>> 13;
  return x >>> 0;
}

const pick = <T>(list: T[], n: number): T => list[n % list.length] as T;

function canonical(v: JsonValue): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  return `{${Object.keys(v)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonical(v[k] ?? null)}`)
    .join(',')}}`;
}

/** Entry `seq` of the preview log. */
function makeEntry(seq: number): AuditEntry {
  const at = new Date(BASE + seq * 37_000 + (h(seq, 1) % 9_000)).toISOString();
  const base: AuditEntry = {
    seq,
    at,
    action: 'preflight',
    actor: 'lfischer',
    os_user: 'lfischer',
    host: 'ops-laptop-17',
    lane_id: null,
    lane_version: null,
    event_id: null,
    attempt_id: null,
    batch_id: null,
    integration_user: null,
    external_id: null,
    record_type: null,
    operation_type: null,
    reason: null,
    ack_token: null,
    outcome: null,
    detail: '{}',
    prev_hash: seq === 1 ? ZERO_HASH : fakeHash(seq - 1),
    hash: fakeHash(seq),
  };
  if (seq <= 3) {
    const lane = pick(LANES, seq - 1);
    const detail = { source: `contracts/${lane.id}.yaml`, contract_sha256: fakeHash(seq, 5), change: 'new' };
    return { ...base, action: 'lane_imported', lane_id: lane.id, lane_version: lane.version, integration_user: lane.user, detail: canonical(detail) };
  }
  if (seq === 4) {
    const detail = { source: '/home/lfischer/exports/failed-writes-2026-11-20.ndjson', records: 400, inserted: 400, unchanged: 0, missing_external_id: 17 };
    return { ...base, action: 'events_imported', batch_id: 1, detail: canonical(detail) };
  }
  // From here, groups of 4 entries per replayed event, with other actions now and then.
  const g = Math.floor((seq - 5) / 4);
  const step = (seq - 5) % 4;
  const eventId = 1 + (h(g, 2) % 400);
  const lane = pick(LANES, h(eventId, 1));
  const operator = pick(OPERATORS, h(g, 3));
  const ext = `${lane.prefix}-${100_000 + eventId}`;
  const ack = `ack-${(h(g, 4) % 0xffffff).toString(16).padStart(6, '0')}`;
  const eventBase = {
    ...base,
    actor: operator,
    os_user: operator.replace('.', ''),
    lane_id: lane.id,
    lane_version: lane.version,
    event_id: eventId,
    integration_user: lane.user,
    external_id: ext,
    record_type: lane.object,
    operation_type: 'upsert',
  };
  const kind = h(g, 5) % 20;
  const recordId = `0015g00000${(h(eventId, 6) % 0xfffff).toString(36).toUpperCase().padStart(5, 'X')}AAN`;
  const before = {
    id: recordId,
    owner_id: '0055g00000AbCdEAAZ',
    last_modified_date: new Date(BASE - 86_400_000 + eventId * 1000).toISOString(),
    last_modified_by_id: '0055g00000IntUsrAAB',
    fields: { Name: pick(['Acme GmbH', 'Globex Ltd', 'Initech SAS', 'Umbrella KK'], eventId), Tier__c: 'Silver', BillingCountry: 'US', AnnualRevenue: 1_250_000 },
  };
  const body = { Name: before.fields.Name, Tier__c: 'Gold', BillingCountry: 'US', AnnualRevenue: 1_400_000 };
  const request = {
    kind: 'update',
    method: 'PATCH',
    path: [lane.object, `${lane.object === 'Account' ? 'billing_account_id__c' : 'external_id__c'}`, ext],
    headers: [['If-Unmodified-Since', before.last_modified_date]],
    body,
  };
  if (kind === 0 && step === 0) {
    return { ...eventBase, action: 'discard', reason: 'Duplicate of a record merged by Sales Ops; nothing to replay', outcome: 'discarded', detail: canonical({ previous_status: 'failed' }) };
  }
  if (kind === 1 && step === 0) {
    return {
      ...eventBase,
      action: 'replay_refused',
      reason: pick(REASONS, g),
      ack_token: ack,
      outcome: 'refused',
      detail: canonical({ code: 'preflight_stale', message: 'the preflight is older than 5 minutes; run it again' }),
    };
  }
  if (kind === 2 && step === 0) {
    const { lane_version: _v, event_id: _e, external_id: _x, record_type: _r, operation_type: _o, ...credBase } = eventBase;
    return { ...credBase, lane_version: null, event_id: null, external_id: null, record_type: null, operation_type: null, action: 'check', actor: 'lfischer', os_user: 'lfischer', detail: canonical({ ok: true, acts_as: `${lane.user}@acme.example` }) };
  }
  const attempt = 1000 + g;
  switch (step) {
    case 0:
      return {
        ...eventBase,
        action: 'preflight',
        actor: eventBase.os_user,
        ack_token: ack,
        outcome: 'ready',
        detail: canonical({ preflight_id: 5000 + g, digest: fakeHash(g, 8), findings: [], side_effects: ['flow: Account_After_Update'], before, owner: null, request }),
      };
    case 1:
      return {
        ...eventBase,
        action: 'replay_intent',
        attempt_id: attempt,
        reason: pick(REASONS, g),
        ack_token: ack,
        outcome: 'in_flight',
        detail: canonical({ preflight_id: 5000 + g, request, before, side_effects_acknowledged: ['flow: Account_After_Update'], again: null, override: null }),
      };
    case 2: {
      const rejected = kind === 3;
      return {
        ...eventBase,
        action: 'replay_outcome',
        attempt_id: attempt,
        reason: pick(REASONS, g),
        ack_token: ack,
        outcome: rejected ? 'rejected' : 'applied',
        detail: canonical({
          http_status: rejected ? 400 : 204,
          error_code: rejected ? 'FIELD_CUSTOM_VALIDATION_EXCEPTION' : null,
          message: rejected ? 'Salesforce rejected the write: FIELD_CUSTOM_VALIDATION_EXCEPTION: Tier__c cannot be downgraded' : 'applied',
          record_id: rejected ? null : recordId,
          response: rejected ? [{ errorCode: 'FIELD_CUSTOM_VALIDATION_EXCEPTION', message: 'Tier__c cannot be downgraded while an open renewal exists' }] : null,
        }),
      };
    }
    default: {
      const fields = Object.entries(body).map(([field, v]) => ({ field, intended: v, actual: v, matches: true }));
      return {
        ...eventBase,
        action: 'post_verify',
        attempt_id: attempt,
        outcome: 'verified',
        detail: canonical({ after: { matches: true, fields, record_id: recordId, last_modified_date: at, last_modified_by_id: '0055g00000IntUsrAAB', error: null } }),
      };
    }
  }
}

function matches(e: AuditEntry, f: AuditFilter): boolean {
  return (
    (!f.lane_id || e.lane_id === f.lane_id) &&
    (!f.operator || e.actor === f.operator) &&
    (!f.action || e.action === f.action) &&
    (!f.outcome || e.outcome === f.outcome) &&
    (f.event_id === null || f.event_id === undefined || e.event_id === f.event_id) &&
    (!f.external_id || e.external_id === f.external_id) &&
    (!f.since || e.at >= f.since) &&
    (!f.until || e.at < f.until)
  );
}

const delay = <T>(ms: number, value: T) => new Promise<T>((resolve) => setTimeout(() => resolve(value), ms));

export function previewAudit(
  total: number,
  tamper: number | null,
  otherCancel: ((taskId: string) => Answer<null>) | undefined,
): AuditMockBackend & { taskCancel: (taskId: string) => Answer<null> } {
  const entries = Array.from({ length: total }, (_, i) => makeEntry(i + 1));
  const cancelled = new Set<string>();
  const steps = async (taskId: string, n: number, ms: number, upTo: number) => {
    for (let i = 1; i <= n; i++) {
      await delay(ms, null);
      if (cancelled.has(taskId)) return false;
      void emitTaskProgress({ task_id: taskId, done: Math.round((upTo * i) / n), total: upTo });
    }
    return true;
  };
  return {
    auditList: (q: AuditQuery) => {
      const limit = Math.min(q.limit ?? 50, 1000);
      const list = entries.filter((e) => matches(e, q.filter));
      const ordered = q.newest_first ? [...list].reverse() : list;
      const after = q.after;
      const rest = after === null ? ordered : ordered.filter((e) => (q.newest_first ? e.seq < after : e.seq > after));
      const page = rest.slice(0, limit);
      return delay(60, { entries: page, next_after: rest.length > limit ? (page.at(-1)?.seq ?? null) : null });
    },
    auditShow: (seq) => {
      const e = entries[seq - 1];
      if (!e) return Promise.reject({ kind: 'not_found', message: `no audit entry ${seq}; the log has ${total}` });
      return delay(50, auditDetail(e, { hash_ok: seq !== tamper, link_ok: true }));
    },
    auditVerify: async (taskId) => {
      await steps(taskId, 14, 110, total);
      return tamper !== null && tamper <= total ? verifyContentChanged(tamper, total) : { ...verifyOk(total), elapsed_ms: 1_540 };
    },
    auditExport: async (request: AuditExportRequest, taskId) => {
      const filter: AuditFilter = { ...request.filter };
      if (request.incident_window) {
        const [from, to] = request.incident_window.split('..');
        filter.since = from ?? null;
        filter.until = to ?? null;
      }
      const picked = entries.filter((e) => matches(e, filter));
      const ok = await steps(taskId, 24, 120, total);
      if (!ok) return Promise.reject({ kind: 'cancelled', message: `export cancelled; ${request.out} was not written` });
      return exportOutcome(request, picked.length, picked[0]?.seq ?? null, picked.at(-1)?.seq ?? null);
    },
    taskCancel: (taskId) => {
      cancelled.add(taskId);
      return otherCancel ? otherCancel(taskId) : delay(10, null);
    },
  };
}
