// Preflights, replay results and verifications as the Rust side builds them
// (src-tauri/domain/preflight.rs `evaluate`, domain/replay.rs), for tests and the preview. The
// sentences follow the Rust ones, so the screens are seen with the text they will really show.
import type {
  AttemptFacts,
  EventDetail,
  FieldChange,
  Finding,
  JsonValue,
  OverrideRequest,
  OwnerState,
  PlannedRequest,
  PostVerify,
  PreflightView,
  ReplayResult,
  SideEffect,
  Target,
  SettleResult,
} from '../ipc';

/** The situations worth seeing, each named after what the preflight finds. */
export type Scenario = 'update' | 'create' | 'protected' | 'duplicate' | 'replayed' | 'no_external_id' | 'unknown_outcome';

export interface LaneFacts {
  externalIdField: string;
  protectedFields: string[];
  integrationUser: string;
  username: string;
  fallbackOwner: string;
  maxAgeMinutes: number;
}

export const accountLane: LaneFacts = {
  externalIdField: 'billing_account_id__c',
  protectedFields: ['OwnerId', 'Tier__c', 'Lifecycle_Stage__c'],
  integrationUser: 'sf_account_sync_app',
  username: 'sf_account_sync_app@acme.example',
  fallbackOwner: 'revenue_ops_queue',
  maxAgeMinutes: 15,
};

export const RECORD_ID = '0015g00000Q7XkLAAV';
export const DUPLICATE_IDS = ['0015g00000Q7XkLAAV', '0015g00000R2mPqAAJ'];

const RITA: OwnerState = { id: '0055g00000AbCdEAAV', kind: 'user', name: 'Rita Alvarez', active: true, api_name: 'rita.alvarez@acme.example' };
const QUEUE: OwnerState = { id: '00G5g00000KqRstEAF', kind: 'queue', name: 'Revenue Ops Queue', active: null, api_name: 'revenue_ops_queue' };
const MARCO: OwnerState = { id: '0055g00000ZyXwVAAV', kind: 'user', name: 'Marco Bianchi', active: true, api_name: 'marco.bianchi@acme.example' };
const SYSTEM_FIELDS = ['Id', 'IsDeleted', 'CreatedDate', 'CreatedById', 'LastModifiedDate', 'LastModifiedById', 'SystemModstamp', 'attributes'];

/** A stable 48-bit hex digest of any JSON: the token changes whenever what it binds changes. */
function digestOf(value: unknown): string {
  const text = JSON.stringify(value);
  let a = 0x811c9dc5;
  let b = 0x01000193;
  for (let i = 0; i < text.length; i++) {
    a = Math.imul(a ^ text.charCodeAt(i), 16777619) >>> 0;
    b = Math.imul(b + text.charCodeAt(i), 2246822519) >>> 0;
  }
  const hex = (a.toString(16).padStart(8, '0') + b.toString(16).padStart(8, '0')).repeat(4);
  return hex.slice(0, 64);
}

function same(a: JsonValue | null, b: JsonValue): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function plural(n: number): string {
  return n === 1 ? '' : 's';
}

function httpDate(iso: string): string {
  return new Date(iso).toUTCString();
}

/** What the record holds now, for a payload: mostly the same, one field behind, a protected one as the scenario wants. */
function currentFields(payload: Record<string, JsonValue>, scenario: Scenario, lane: LaneFacts): Record<string, JsonValue> {
  const current: Record<string, JsonValue> = { ...payload };
  if (scenario === 'replayed' || scenario === 'unknown_outcome') return current;
  const firstPlain = Object.keys(payload).find((k) => !lane.protectedFields.includes(k) && typeof payload[k] === 'string');
  if (firstPlain) {
    const v = String(payload[firstPlain]);
    const older = v.charAt(0) + v.slice(1).toLowerCase();
    current[firstPlain] = older === v ? `${v} (old)` : older;
  }
  const numeric = Object.keys(payload).find((k) => !lane.protectedFields.includes(k) && typeof payload[k] === 'number');
  if (numeric) current[numeric] = Math.round(Number(payload[numeric]) * 0.8);
  const prot = Object.keys(payload).find((k) => lane.protectedFields.includes(k) && typeof payload[k] === 'string');
  if (prot && scenario === 'protected') current[prot] = payload[prot] === 'Gold' ? 'Platinum' : 'Gold';
  current.OwnerId = scenario === 'protected' ? QUEUE.id : RITA.id;
  return current;
}

export interface PreflightOptions {
  /** When the preflight is taken (ms). */
  now: number;
  override?: OverrideRequest | null;
  lane?: LaneFacts;
  /** The operator of the earlier attempt, for `replayed` and `unknown_outcome`. */
  previousOperator?: string;
  /** Our latest attempt as stored; by default one is made up for `replayed` and `unknown_outcome`. */
  latestAttempt?: AttemptFacts | null;
}

/** The preflight the backend would answer for this event in this situation. */
export function preflightFor(event: EventDetail, scenario: Scenario, opts: PreflightOptions): PreflightView {
  const lane = opts.lane ?? accountLane;
  const override = opts.override ?? null;
  const overriding = override !== null;
  const payload = (event.payload !== null && typeof event.payload === 'object' && !Array.isArray(event.payload) ? event.payload : {}) as Record<
    string,
    JsonValue
  >;
  const takenAt = new Date(opts.now).toISOString();
  const lastModified = new Date(Date.parse(event.occurred_at) - (scenario === 'replayed' ? -3_600_000 : 86_400_000 * 3)).toISOString();
  const ext = event.external_id;
  const status = scenario === 'replayed' ? 'replayed' : scenario === 'unknown_outcome' ? 'unknown_outcome' : event.status;
  const findings: Finding[] = [];
  const add = (code: string, severity: Finding['severity'], message: string) => findings.push({ code, severity, message });
  const previous = opts.latestAttempt?.operator ?? opts.previousOperator ?? 'j.nakamura';
  const attemptAt = opts.latestAttempt?.at ?? new Date(Date.parse(event.occurred_at) + 3_600_000).toISOString();

  let target: Target;
  let owner: OwnerState | null = null;
  let lastModifiedBy: OwnerState | null = null;
  let current: Record<string, JsonValue> | null = null;
  switch (scenario) {
    case 'create':
      target = { state: 'not_found' };
      break;
    case 'duplicate':
      target = { state: 'several', ids: DUPLICATE_IDS };
      add(
        'duplicate_conflict_detected',
        'blocking',
        `${DUPLICATE_IDS.length} ${event.object} records share ${lane.externalIdField} = \`${ext ?? ''}\` (${DUPLICATE_IDS.join(', ')}); a replay cannot choose`,
      );
      break;
    case 'no_external_id':
      target = { state: 'no_external_id' };
      add('external_id_missing', 'blocking', `the event has no \`${lane.externalIdField}\`; the target cannot be identified`);
      break;
    default:
      current = currentFields(payload, scenario, lane);
      target = {
        state: 'found',
        record: {
          id: RECORD_ID,
          owner_id: String(current.OwnerId),
          last_modified_date: lastModified,
          last_modified_by_id: scenario === 'replayed' ? '0055g00000IntUsrAAB' : MARCO.id,
          fields: { Id: RECORD_ID, LastModifiedDate: lastModified, ...current },
        },
      };
      owner = scenario === 'protected' ? QUEUE : RITA;
      lastModifiedBy =
        scenario === 'replayed'
          ? { id: '0055g00000IntUsrAAB', kind: 'user', name: 'Account Sync Integration', active: true, api_name: lane.username }
          : MARCO;
  }
  if (status === 'replayed') {
    add('already_replayed', 'blocking', `already replayed by ${previous} at ${attemptAt}; replay again only with --again and a reason`);
  }
  if (status === 'unknown_outcome') {
    add('unknown_outcome_pending', 'blocking', 'the last replay was sent but got no answer; run `verify` to settle whether it was applied');
  }

  const changes: FieldChange[] = [];
  const body: Record<string, JsonValue> = {};
  for (const [field, value] of Object.entries(payload)) {
    if (SYSTEM_FIELDS.includes(field) || field === lane.externalIdField) continue;
    const isProtected = lane.protectedFields.includes(field);
    const cur = current ? (current[field] ?? null) : null;
    const sent = !isProtected || overriding;
    if (sent) body[field] = value;
    changes.push({ field, current: cur, replay: value, changes: cur === null || !same(cur, value), protected: isProtected, sent });
  }
  const conflicts = changes.filter((c) => c.protected && current !== null && c.changes).map((c) => c.field);
  if (conflicts.length > 0) {
    add(
      'protected_field_conflict',
      overriding ? 'warning' : 'blocking',
      overriding
        ? `the replay overwrites protected field${plural(conflicts.length)} ${conflicts.join(', ')} under an approved override`
        : `the event would change protected field${plural(conflicts.length)} ${conflicts.join(', ')}; replay with an approved override (--reassignment-reason, --approved-by) or discard`,
    );
  }
  const ownerIsFallback = owner?.api_name === lane.fallbackOwner;
  if (ownerIsFallback) {
    add('fallback_owner', 'warning', `the record is owned by the fallback owner \`${lane.fallbackOwner}\`: its real owner was never assigned`);
  }
  const modifiedAfterEvent = current !== null && Date.parse(lastModified) > Date.parse(event.occurred_at);
  if (modifiedAfterEvent && scenario === 'replayed') {
    add(
      'record_modified_after_event',
      'warning',
      `${lastModifiedBy?.name ?? 'someone'} modified the record at ${lastModified} after the event occurred (${event.occurred_at})`,
    );
  }

  let request: PlannedRequest;
  if (target.state === 'found') {
    request = {
      kind: 'update',
      method: 'PATCH',
      path: [event.object, target.record.id],
      headers: [
        ['If-Unmodified-Since', httpDate(lastModified)],
        ['Sforce-Auto-Assign', 'FALSE'],
        ['Sforce-Call-Options', 'client=replay-console'],
      ],
      body,
    };
  } else if (target.state === 'not_found' && ext !== null) {
    request = {
      kind: 'create',
      method: 'POST',
      path: [event.object],
      headers: [
        ['Sforce-Auto-Assign', 'TRUE'],
        ['Sforce-Call-Options', 'client=replay-console'],
      ],
      body: { ...body, [lane.externalIdField]: ext },
      recheck_external_id: { field: lane.externalIdField, value: ext },
    };
  } else {
    request = { kind: 'none', method: '', path: [], headers: [], body: {} };
  }

  const effects: SideEffect[] = [];
  const effect = (code: string, text: string) => effects.push({ code, text });
  const sentChanged = changes.filter((c) => c.sent && c.changes).map((c) => c.field);
  if (request.kind === 'update') {
    effect(
      sentChanged.length === 0 ? 'update_no_change' : 'update_fields',
      sentChanged.length === 0
        ? `updates ${event.object} ${RECORD_ID} with values it already has (no field changes)`
        : `updates field${plural(sentChanged.length)} ${sentChanged.join(', ')} of ${event.object} ${RECORD_ID}`,
    );
    effect('owner_unchanged', `owner unchanged (${owner?.kind ?? 'owner'} ${owner?.name ?? ''}, ${owner?.id ?? ''})`);
    effect('assignment_suppressed', 'assignment rules do not run (Sforce-Auto-Assign: FALSE)');
    effect('conditional_write', `written only if the record is unchanged since ${lastModified.replace(/\.\d+Z$/, '+00:00')} (If-Unmodified-Since)`);
  } else if (request.kind === 'create') {
    effect('create_rechecked', `${lane.externalIdField} is re-read just before the create; if a record has it by then, nothing is written`);
    effect(
      'creates_record',
      `creates a new ${event.object} with ${lane.externalIdField} = ${ext ?? ''} and field${plural(sentChanged.length)} ${sentChanged.join(', ')}`,
    );
    effect('assignment_runs', 'assignment rules choose the new record\'s owner (assignment_rule_or_route_table)');
  }
  if (request.kind !== 'none') {
    const stripped = changes.filter((c) => !c.sent).map((c) => c.field);
    if (stripped.length > 0) {
      effect('protected_stripped', `protected field${plural(stripped.length)} ${stripped.join(', ')} ${stripped.length === 1 ? 'is' : 'are'} not written`);
    }
    if (override) {
      const written = changes.filter((c) => c.protected && c.sent).map((c) => c.field);
      if (written.length > 0) {
        effect(
          'protected_overwritten',
          `protected field${plural(written.length)} ${written.join(', ')} written under override approved by ${override.approved_by} (reason: ${override.reassignment_reason})`,
        );
      }
    }
    effect('automation_runs', `triggers, flows and validation rules on ${event.object} run again`);
    effect('writes_as', `written as the integration user ${lane.username}`);
  }

  const preflight = {
    event: {
      event_id: event.id,
      lane_id: event.lane_id,
      lane_version: event.lane_version,
      event_key: event.event_key,
      object: event.object,
      external_id: ext,
      status,
      occurred_at: event.occurred_at,
      failure_code: event.failure_code,
      failure_message: event.failure_message,
      payload,
      operation: 'upsert',
    },
    taken_at: takenAt,
    integration_user: lane.integrationUser,
    acts_as: lane.username,
    target,
    owner,
    owner_is_fallback: ownerIsFallback,
    last_modified_by: lastModifiedBy,
    modified_after_event: modifiedAfterEvent,
    key_matches: [],
    lane_policy: {
      system_of_record: 'salesforce',
      business_owner: 'revops_manager',
      technical_owner: 'integration_operator',
      alert_owner: 'revops_incidents',
      write_operation: 'upsert',
    },
    failed_checks: [],
    latest_attempt:
      opts.latestAttempt !== undefined
        ? opts.latestAttempt
        : status === 'replayed' || status === 'unknown_outcome'
        ? { attempt_id: event.id * 3 + 1, outcome: status === 'replayed' ? 'applied' : 'unknown_outcome', operator: previous, at: attemptAt }
        : null,
    changes,
    request,
    override_request: override,
    findings,
    side_effects: effects,
    digest: '',
    ack_token: '',
  };
  preflight.digest = digestOf({ ...preflight, taken_at: takenAt });
  preflight.ack_token = preflight.digest.slice(0, 12);
  return {
    preflight_id: event.id * 10 + (overriding ? 2 : 1),
    preflight,
    max_age_minutes: lane.maxAgeMinutes,
    expires_at: new Date(opts.now + lane.maxAgeMinutes * 60_000).toISOString(),
  };
}

function postVerify(view: PreflightView, at: number, mismatch = false): PostVerify {
  const fields = Object.entries(view.preflight.request.body).map(([field, intended], i) => {
    const actual: JsonValue = mismatch && i === 0 ? `${String(intended)} (changed by a flow)` : intended;
    return { field, intended, actual, matches: !(mismatch && i === 0) };
  });
  return {
    matches: fields.every((f) => f.matches),
    fields,
    record_id: view.preflight.target.state === 'found' ? view.preflight.target.record.id : '0015g00000ZnEwRAAV',
    last_modified_date: new Date(at).toISOString(),
    last_modified_by_id: '0055g00000IntUsrAAB',
    error: null,
  };
}

/** The backend's answer to `replay_run` with this preflight, for each outcome. */
export function replayResultFor(view: PreflightView, outcome: ReplayResult['outcome'], at: number, attemptId = 41): ReplayResult {
  const p = view.preflight;
  const base = { event_id: p.event.event_id, attempt_id: attemptId, outcome, written_as: p.acts_as };
  const created = p.request.kind === 'create';
  switch (outcome) {
    case 'applied': {
      const check = postVerify(view, at);
      return {
        ...base,
        http_status: created ? 201 : 204,
        error_code: null,
        message: created ? `created ${p.event.object} ${check.record_id ?? ''}; post-verify matches` : `updated ${p.event.object} ${check.record_id ?? ''}; post-verify matches`,
        record_id: check.record_id,
        post_verify: check,
      };
    }
    case 'rejected':
      return {
        ...base,
        http_status: 400,
        error_code: 'FIELD_CUSTOM_VALIDATION_EXCEPTION',
        message: 'Tier__c cannot be downgraded while an open renewal exists',
        record_id: null,
        post_verify: null,
      };
    case 'precondition_failed':
      return {
        ...base,
        http_status: 412,
        error_code: null,
        message: 'the record changed since the preflight; nothing was written. Run the preflight again.',
        record_id: null,
        post_verify: null,
      };
    case 'record_appeared':
      return {
        ...base,
        http_status: 200,
        error_code: 'record_appeared_since_preflight',
        message: `${p.event.object} 0015g00000ZnEwRXYZ has the external ID now; it appeared after the preflight. Nothing was written; run the preflight again to review it`,
        record_id: '0015g00000ZnEwRXYZ',
        post_verify: null,
      };
    case 'unknown_outcome':
      return {
        ...base,
        http_status: null,
        error_code: null,
        message: 'the request was sent but the connection closed before an answer; run verify before anything else',
        record_id: null,
        post_verify: null,
      };
  }
}

/** The backend's answer to `settle_run`. */
export function verifyResultFor(view: PreflightView, settlement: SettleResult['settlement'], at: number): SettleResult {
  const check = postVerify(view, at, settlement === 'not_applied');
  return {
    event_id: view.preflight.event.event_id,
    attempt_id: view.preflight.latest_attempt?.attempt_id ?? 40,
    settlement,
    message:
      settlement === 'applied'
        ? `${view.preflight.event.object} ${check.record_id ?? ''} holds every value the attempt sent; settled as applied`
        : `${view.preflight.event.object} ${check.record_id ?? ''} does not hold what the attempt sent; settled as not applied`,
    post_verify: check,
  };
}
