// A realistic, deterministic data set for the preview build: three lanes and a few hundred
// events by default, or `?n=1000000` to feel the queue at a million events. Events are computed
// from their id on demand, so even a million costs no memory until pages are asked for.
import type {
  AttemptRow,
  EventDetail,
  EventPage,
  EventQuery,
  EventStatus,
  JsonValue,
  LaneDetail,
  LaneSummary,
  PreflightView,
  ReplayOutcome,
  StatusCount,
} from '../ipc';
import type { MockBackend } from '../ipc/mock';
import { accountSyncContract } from '../test/fixtures';
import { previewOps } from './opsDataset';
import { preflightFor, replayResultFor, verifyResultFor, type LaneFacts, type Scenario } from '../test/preflights';

type Contract = typeof accountSyncContract;

function contractFor(laneId: string, object: string, externalIdField: string, user: string, protectedFields: string[]): Contract {
  const c = structuredClone(accountSyncContract);
  c.salesforce_lane.lane_id = laneId;
  c.salesforce_lane.integration_user = user;
  c.identity_policy.object = object;
  c.identity_policy.external_id_field = externalIdField;
  c.write_policy.protected_fields = protectedFields;
  c.connection.username = `${user}@acme.example`;
  return c;
}

const CONTRACTS: Record<string, Contract> = {
  account_sync_north_america: accountSyncContract,
  contact_sync_emea: contractFor('contact_sync_emea', 'Contact', 'crm_contact_id__c', 'sf_contact_sync_app', ['OwnerId', 'Email']),
  opportunity_sync_apac: contractFor('opportunity_sync_apac', 'Opportunity', 'erp_deal_id__c', 'sf_deal_sync_app', ['StageName', 'Amount', 'OwnerId']),
};
const LANE_IDS = Object.keys(CONTRACTS);

const FAILURES: { code: string; message: string; http: number | null; status: EventStatus }[] = [
  { code: 'UNABLE_TO_LOCK_ROW', message: 'unable to obtain exclusive access to this record or 1 records', http: 400, status: 'failed' },
  { code: 'DUPLICATE_VALUE', message: 'duplicate value found: billing_account_id__c duplicates value on record with id: 0015g00000XyZAbAAN', http: 400, status: 'failed' },
  { code: 'FIELD_CUSTOM_VALIDATION_EXCEPTION', message: 'Tier__c cannot be downgraded while an open renewal exists', http: 400, status: 'failed' },
  { code: 'INVALID_CROSS_REFERENCE_KEY', message: 'invalid cross reference id: OwnerId 0055g00000AbCdE is inactive', http: 400, status: 'failed' },
  { code: 'REQUEST_LIMIT_EXCEEDED', message: 'TotalRequests Limit exceeded.', http: 403, status: 'failed' },
  { code: 'SERVER_UNAVAILABLE', message: 'Salesforce is temporarily unavailable; retry later', http: 503, status: 'failed' },
  { code: 'protected_field_conflict', message: 'payload changes protected field Tier__c; blocked by write_policy', http: null, status: 'blocked' },
  { code: 'duplicate_conflict_detected', message: 'two records match billing_account_id__c; blocked by write_policy', http: null, status: 'blocked' },
];

const NAMES = ['Acme GmbH', 'Globex Ltd', 'Initech SAS', 'Umbrella KK', 'Stark Industries', 'Wayne Enterprises', 'Tyrell Corp', 'Soylent BV', 'Hooli Inc', 'Vandelay Import', 'Wonka AG', 'Cyberdyne Oy'];
const TIERS = ['Gold', 'Silver', 'Bronze', 'Platinum'];
const SOURCES = ['billing', 'crm_hub', 'erp'];

/** A small integer hash: the same id always gives the same event. */
function h(id: number, salt: number): number {
  let x = (id * 2654435761 + salt * 40503) >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 2246822507) >>> 0;
  x ^= x >>> 13;
  return x >>> 0;
}

function statusOf(id: number, failureIndex: number): EventStatus {
  const r = h(id, 7) % 100;
  if (r < 8) return 'replayed';
  if (r < 11) return 'discarded';
  if (r < 13) return 'unknown_outcome';
  if (r < 14) return 'in_flight';
  return FAILURES[failureIndex]?.status ?? 'failed';
}

const BASE_TIME = Date.parse('2026-11-20T09:12:00Z');

function makeEvent(id: number): EventDetail {
  const laneId = LANE_IDS[h(id, 1) % LANE_IDS.length] ?? 'account_sync_north_america';
  const contract = CONTRACTS[laneId] ?? accountSyncContract;
  const object = contract.identity_policy.object;
  const fi = h(id, 2) % FAILURES.length;
  const failure = FAILURES[fi];
  const status = statusOf(id, fi);
  const missing = h(id, 3) % 23 === 0;
  const occurred = new Date(BASE_TIME + id * 7_300 + (h(id, 4) % 5000)).toISOString();
  const updated = new Date(Date.parse(occurred) + 3_600_000).toISOString();
  const name = NAMES[h(id, 5) % NAMES.length] ?? 'Acme GmbH';
  const payload: Record<string, JsonValue> =
    object === 'Account'
      ? { Name: name, Tier__c: TIERS[h(id, 6) % TIERS.length] ?? 'Gold', BillingCountry: 'US', AnnualRevenue: (h(id, 8) % 900) * 10_000, Lifecycle_Stage__c: 'Customer' }
      : object === 'Contact'
        ? { LastName: name.split(' ')[0] ?? 'Doe', Email: `ops${id}@example.eu`, MailingCountry: 'DE', HasOptedOutOfEmail: h(id, 9) % 2 === 0 }
        : { Name: `${name} renewal`, StageName: 'Negotiation', Amount: (h(id, 8) % 500) * 1_000, CloseDate: '2026-12-31', Partner: { Code: `P-${h(id, 10) % 900}`, Region: 'APAC' } };
  return {
    id,
    lane_id: laneId,
    event_key: `evt-${(100_000 + id).toString(36)}-${(h(id, 11) % 0xffff).toString(16).padStart(4, '0')}`,
    object,
    external_id: missing ? null : `${object === 'Account' ? 'BA' : object === 'Contact' ? 'CT' : 'DL'}-${100_000 + id}`,
    external_id_missing: missing,
    operation: 'upsert',
    status,
    failure_code: failure?.code ?? null,
    failure_message: failure?.message ?? null,
    occurred_at: occurred,
    updated_at: updated,
    lane_version: laneId === 'account_sync_north_america' ? 2 : 1,
    source_system: SOURCES[LANE_IDS.indexOf(laneId)] ?? 'billing',
    failure_http_status: failure?.http ?? null,
    import_id: 1 + Math.floor(id / 250),
    payload,
    attempts: [],
    triage: { assignee: null, investigating: false, tags: [], notes: [], updated_by: null, updated_at: null },
  };
}

function summaryOf(e: EventDetail): Omit<EventDetail, 'lane_version' | 'source_system' | 'failure_http_status' | 'import_id' | 'payload' | 'attempts' | 'triage'> {
  const { lane_version: _v, source_system: _s, failure_http_status: _f, import_id: _i, payload: _p, attempts: _a, triage: _t, ...summary } = e;
  return summary;
}

const delay = <T,>(ms: number, value: T) => new Promise<T>((resolve) => setTimeout(() => resolve(value), ms));

function laneFacts(laneId: string): LaneFacts {
  const c = CONTRACTS[laneId] ?? accountSyncContract;
  return {
    externalIdField: c.identity_policy.external_id_field,
    protectedFields: c.write_policy.protected_fields,
    integrationUser: c.salesforce_lane.integration_user,
    username: c.connection.username,
    fallbackOwner: c.ownership_policy.fallback_owner,
    maxAgeMinutes: c.replay_console.preflight_max_age_minutes,
  };
}

/** What a preflight of this event finds: one of the situations the screens must show. */
export function scenarioOf(e: Pick<EventDetail, 'id' | 'status' | 'external_id_missing' | 'failure_code'>): Scenario {
  if (e.external_id_missing) return 'no_external_id';
  if (e.status === 'replayed') return 'replayed';
  if (e.status === 'unknown_outcome') return 'unknown_outcome';
  if (e.failure_code === 'duplicate_conflict_detected') return 'duplicate';
  if (e.failure_code === 'protected_field_conflict') return 'protected';
  return h(e.id, 12) % 4 === 0 ? 'create' : 'update';
}

/** The first event of the account lane in this situation (the preview's `?event=create`). */
export function findScenarioEvent(total: number, scenario: Scenario): number | null {
  for (let id = 1; id <= Math.min(total, 20_000); id++) {
    const e = makeEvent(id);
    if (e.lane_id === 'account_sync_north_america' && e.status !== 'discarded' && e.status !== 'in_flight' && scenarioOf(e) === scenario) return id;
  }
  return null;
}

const OPERATORS = ['j.nakamura', 'p.okafor', 'l.fischer'];

/** Earlier attempts, so the history has rows: a replayed event was applied, some failed ones were rejected once. */
function historyOf(e: EventDetail): AttemptRow[] {
  const base = Date.parse(e.occurred_at) + 3_600_000;
  const row = (n: number, outcome: string, extra: Partial<AttemptRow> = {}): AttemptRow => ({
    id: e.id * 3 + n,
    event_id: e.id,
    preflight_id: e.id * 10 + n,
    batch_id: null,
    operator: OPERATORS[(e.id + n) % OPERATORS.length] ?? 'j.nakamura',
    reason: n === 0 ? 'INC-4471: billing sync outage 20 Nov, lock contention on Account' : 'INC-4471: second pass after the validation fix',
    ack_token: (h(e.id, 20 + n).toString(16) + 'a3f19c0be27d').slice(0, 12),
    again_reason: null,
    override_reason: null,
    approved_by: null,
    outcome,
    started_at: new Date(base + n * 600_000).toISOString(),
    finished_at: outcome === 'unknown_outcome' ? null : new Date(base + n * 600_000 + 840).toISOString(),
    http_status: outcome === 'applied' ? 204 : outcome === 'rejected' ? 400 : null,
    error_code: outcome === 'rejected' ? 'FIELD_CUSTOM_VALIDATION_EXCEPTION' : null,
    error_message: outcome === 'rejected' ? 'Tier__c cannot be downgraded while an open renewal exists' : null,
    record_id: outcome === 'applied' ? '0015g00000Q7XkLAAV' : null,
    settled_by: null,
    ...extra,
  });
  if (e.status === 'replayed') return h(e.id, 13) % 2 === 0 ? [row(0, 'rejected'), row(1, 'applied')] : [row(1, 'applied')];
  if (e.status === 'unknown_outcome') return [row(1, 'unknown_outcome')];
  if (e.status === 'failed' && h(e.id, 13) % 3 === 0) return [row(0, 'rejected')];
  return [];
}

const EVENT_AFTER: Record<ReplayOutcome, EventStatus | null> = {
  applied: 'replayed',
  rejected: 'failed',
  precondition_failed: null,
  unknown_outcome: 'unknown_outcome',
  record_appeared: null,
};

export function previewBackend(total: number, latencyMs = 40, replayOutcome: ReplayOutcome = 'applied'): MockBackend {
  let counts: StatusCount[] | null = null;
  // What the operator did in this preview session: new statuses, attempts and preflights.
  const changed = new Map<number, { status: EventStatus; attempts: AttemptRow[] }>();
  const preflights = new Map<number, PreflightView>();
  const eventNow = (id: number): EventDetail => {
    const e = makeEvent(id);
    const c = changed.get(id);
    return c ? { ...e, status: c.status, attempts: c.attempts } : { ...e, attempts: historyOf(e) };
  };
  const setEvent = (id: number, status: EventStatus, attempts: AttemptRow[]) => {
    changed.set(id, { status, attempts });
    counts = null;
  };
  const lanes: LaneSummary[] = LANE_IDS.map((id, i) => {
    const c = CONTRACTS[id] ?? accountSyncContract;
    return {
      lane_id: id,
      version: id === 'account_sync_north_america' ? 2 : 1,
      object: c.identity_policy.object,
      external_id_field: c.identity_policy.external_id_field,
      integration_user: c.salesforce_lane.integration_user,
      username: c.connection.username,
      instance_url: c.connection.instance_url,
      imported_at: new Date(BASE_TIME - 86_400_000 + i * 600_000).toISOString(),
      // One lane of each credential state worth seeing: checked, never stored, check failed.
      credential: {
        lane_id: id,
        account: `${id}/${c.salesforce_lane.integration_user}`,
        auth: c.connection.auth,
        present: i !== 1,
        keychain_error: null,
        login_host: new URL(c.connection.instance_url).hostname,
        login_host_needs_allowing: false,
        set_at: i !== 1 ? new Date(BASE_TIME - 3_600_000).toISOString() : null,
        last_check:
          i === 0
            ? { ok: true, acts_as: c.connection.username, message: null, at: new Date(BASE_TIME - 1_800_000).toISOString(), lane_warnings: [] }
            : i === 2
              ? { ok: false, acts_as: null, message: 'invalid_grant: user hasn\'t approved this consumer', at: new Date(BASE_TIME - 600_000).toISOString(), lane_warnings: [] }
              : null,
      },
    };
  });
  return {
    ...previewOps(lanes, latencyMs),
    // A fresh array: credential changes (opsDataset.ts) replace lanes in place.
    lanes: () => delay(latencyMs, [...lanes]),
    counts: () => {
      if (counts === null) {
        const m = new Map<string, StatusCount>();
        for (let id = 1; id <= total; id++) {
          const e = changed.has(id) ? eventNow(id) : makeEvent(id);
          const k = `${e.lane_id}/${e.status}`;
          const c = m.get(k);
          if (c) c.count += 1;
          else m.set(k, { lane_id: e.lane_id, status: e.status, count: 1 });
        }
        counts = [...m.values()];
      }
      return delay(latencyMs, counts);
    },
    events: (q: EventQuery): Promise<EventPage> => {
      const limit = Math.min(Math.max(q.limit ?? 50, 1), 1000);
      const out = [];
      let id = q.after === null ? 1 : Number(q.after) + 1;
      let more = false;
      for (; id <= total; id++) {
        const e = changed.has(id) ? eventNow(id) : makeEvent(id);
        if ((q.lane_id !== null && e.lane_id !== q.lane_id) || (q.status !== null && e.status !== q.status)) continue;
        if (out.length === limit) {
          more = true;
          break;
        }
        out.push(summaryOf(e));
      }
      return delay(latencyMs, { events: out, next_cursor: more ? String(out.at(-1)?.id) : null });
    },
    event: (id: number) => (id >= 1 && id <= total ? delay(latencyMs, eventNow(id)) : Promise.reject({ kind: 'not_found', message: `no event with id ${id}` })),
    preflightLatest: (id: number) => delay(latencyMs, preflights.get(id) ?? null),
    preflightRun: (id, overrideRequest) => {
      const e = eventNow(id);
      const last = e.attempts.at(-1);
      const view = preflightFor(e, scenarioOf(e), {
        now: Date.now(),
        override: overrideRequest,
        lane: laneFacts(e.lane_id),
        latestAttempt: last ? { attempt_id: last.id, outcome: last.outcome, operator: last.operator, at: last.finished_at ?? last.started_at } : null,
      });
      preflights.set(id, view);
      // A preflight reads Salesforce: a few hundred milliseconds, not a local query's forty.
      return delay(650, view);
    },
    replay: (id, request) => {
      const view = preflights.get(id);
      if (!view || view.preflight.ack_token !== request.ack_token) {
        return Promise.reject({ kind: 'refused', message: 'the acknowledgment token does not match the latest preflight; review the side effects shown by the latest preflight and use its token' });
      }
      const blocking = view.preflight.findings.find((f) => f.severity === 'blocking' && !(f.code === 'already_replayed' && request.again));
      if (blocking) return Promise.reject({ kind: 'refused', message: blocking.message });
      const e = eventNow(id);
      const now = Date.now();
      const result = replayResultFor(view, replayOutcome, now, e.id * 3 + e.attempts.length + 5);
      const row: AttemptRow = {
        id: result.attempt_id,
        event_id: id,
        preflight_id: view.preflight_id,
        batch_id: null,
        operator: request.operator,
        reason: request.reason,
        ack_token: request.ack_token,
        again_reason: request.again,
        override_reason: request.override_request?.reassignment_reason ?? null,
        approved_by: request.override_request?.approved_by ?? null,
        outcome: result.outcome,
        started_at: new Date(now - 900).toISOString(),
        finished_at: result.outcome === 'unknown_outcome' ? null : new Date(now).toISOString(),
        http_status: result.http_status,
        error_code: result.error_code,
        error_message: result.outcome === 'rejected' ? result.message : null,
        record_id: result.record_id,
        settled_by: null,
      };
      setEvent(id, EVENT_AFTER[result.outcome] ?? e.status, [...e.attempts, row]);
      return delay(900, result);
    },
    discard: (id) => {
      const e = eventNow(id);
      setEvent(id, 'discarded', e.attempts);
      return delay(latencyMs, null);
    },
    verify: (id) => {
      const e = eventNow(id);
      const view = preflights.get(id) ?? preflightFor(e, scenarioOf(e), { now: Date.now(), lane: laneFacts(e.lane_id) });
      const result = verifyResultFor(view, 'applied', Date.now());
      setEvent(
        id,
        'replayed',
        e.attempts.map((a) => (a.outcome === 'unknown_outcome' ? { ...a, outcome: 'applied', settled_by: 'verify' } : a)),
      );
      return delay(700, result);
    },
    lane: (laneId: string) => {
      const c = CONTRACTS[laneId];
      if (!c) return Promise.reject({ kind: 'not_found', message: `no lane \`${laneId}\`` });
      const version = laneId === 'account_sync_north_america' ? 2 : 1;
      const versions = Array.from({ length: version }, (_, i) => ({
        version: version - i,
        source_name: `contracts/${laneId}${i === 0 ? '' : `.v${version - i}`}.yaml`,
        sha256: (h(version - i, LANE_IDS.indexOf(laneId)).toString(16) + 'a3f19c0be27d4c81f6e5d2a9b70c34e8d1f6a2b59c7e0d4f3a8b1c6e29d05f7a').slice(0, 64),
        imported_at: new Date(BASE_TIME - 86_400_000 * (i + 1)).toISOString(),
      }));
      const head = versions[0];
      return delay(latencyMs, {
        lane_id: laneId,
        version,
        imported_at: head?.imported_at ?? '',
        source_name: head?.source_name ?? '',
        sha256: head?.sha256 ?? '',
        contract: c,
        versions,
      } satisfies LaneDetail);
    },
  };
}
