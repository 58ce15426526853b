// The preview's answers for imports, credentials and alerts (see dataset.ts for the rest).
import type { AlertsView, Bucket, CredentialStatus, LaneSummary } from '../ipc';
import { emitTaskProgress, type AlertsMockBackend, type CredentialsMockBackend, type ImportsMockBackend, type TasksMockBackend } from '../ipc/mock';

type OpsMockBackend = ImportsMockBackend & CredentialsMockBackend & AlertsMockBackend & TasksMockBackend;

const delay = <T,>(ms: number, value: T) => new Promise<T>((resolve) => setTimeout(() => resolve(value), ms));
const refuse = (ms: number, error: { kind: string; message: string; issues?: unknown[]; total?: number }) =>
  new Promise<never>((_, reject) => setTimeout(() => reject(error), ms));

const BAD_FILE_ISSUES = [
  { line: 3, column: 5, field: 'payload', message: 'expected a JSON object, found text "{\\"Name\\": Acme"' },
  { line: 8, column: 2, field: 'external_id', message: 'empty; leave the column out for an event without one' },
  { line: 12, column: 9, field: 'failure.http_status', message: '4000 is not an HTTP status (100 to 599)' },
  { line: 19, column: 1, field: 'lane_id', message: 'no lane `account_sync_emea`; import its contract first' },
  { line: 27, column: null, field: 'event_key', message: 'evt-1001 is already stored with a different payload (conflict; never overwritten)' },
];

/** A refused import as the backend replies: the text, and the same problems structured. */
const badFile = (path: string) => ({
  kind: 'invalid_input',
  message: [
    `${path}: nothing imported; ${BAD_FILE_ISSUES.length} problems found:`,
    ...BAD_FILE_ISSUES.map(
      (i) => `  ${path}:line ${i.line}${i.column === null ? '' : `, column ${i.column}`}, field \`${i.field}\`: ${i.message}`,
    ),
    '',
  ].join('\n'),
  issues: BAD_FILE_ISSUES,
  total: BAD_FILE_ISSUES.length,
});

/**
 * Imports, credentials and alerts over the preview's lanes. Paths decide the import's fate:
 * one with `bad` is rejected, `missing` does not exist, anything else imports (slowly, with
 * progress) unless cancelled. Credential changes show in the lanes list, as they would.
 */
export function previewOps(lanes: LaneSummary[], latencyMs: number): OpsMockBackend {
  const cancelled = new Set<string>();
  const cred = (laneId: string): CredentialStatus | undefined => lanes.find((l) => l.lane_id === laneId)?.credential;
  const update = (laneId: string, change: Partial<CredentialStatus>) => {
    const i = lanes.findIndex((x) => x.lane_id === laneId);
    const l = lanes[i];
    if (l) lanes[i] = { ...l, credential: { ...l.credential, ...change } };
  };
  return {
    importEvents: async (path, format, taskId) => {
      if (path.includes('missing')) {
        return refuse(latencyMs, { kind: 'internal', message: `cannot open ${path}: No such file or directory (os error 2)` });
      }
      const total = path.includes('bad') ? 48_213 : 18_874_368;
      const steps = 40;
      for (let i = 1; i <= steps; i++) {
        await delay(90, null);
        if (cancelled.has(taskId)) {
          return refuse(0, { kind: 'cancelled', message: `cancelled: import of ${path}; nothing was imported` });
        }
        void emitTaskProgress({ task_id: taskId, done: Math.round((total * i) / steps), total });
        if (path.includes('bad') && i === 4) break;
      }
      if (path.includes('bad')) return refuse(latencyMs, badFile(path));
      return delay(latencyMs, {
        source: path,
        format: format ?? (path.endsWith('.csv') ? 'csv' : path.endsWith('.json') ? 'json' : 'ndjson'),
        import_id: 7,
        records: 25_000,
        inserted: 24_388,
        unchanged: 600,
        missing_external_id: 12,
        file_sha256: '5d41402abc4b2a76b9719d911017c5925d41402abc4b2a76b9719d911017c592',
      });
    },
    taskCancel: (taskId) => {
      cancelled.add(taskId);
      return delay(10, null);
    },
    credentialStatus: (laneId) => {
      const c = cred(laneId);
      return c ? delay(latencyMs, c) : refuse(latencyMs, { kind: 'not_found', message: `no lane \`${laneId}\`` });
    },
    credentialSet: (laneId, secret) => {
      const c = cred(laneId);
      if (!c) return refuse(latencyMs, { kind: 'not_found', message: `no lane \`${laneId}\`` });
      if (c.auth === 'jwt_bearer' && !secret.includes('PRIVATE KEY')) {
        return refuse(latencyMs, {
          kind: 'invalid_input',
          message:
            'the lane authenticates with jwt_bearer, so the secret must be an RSA private key in PEM (-----BEGIN PRIVATE KEY----- or -----BEGIN RSA PRIVATE KEY-----); this one does not parse',
        });
      }
      update(laneId, { present: true, set_at: new Date().toISOString(), last_check: null });
      return delay(300, { lane_id: laneId, account: c.account, kind: c.auth === 'jwt_bearer' ? 'rsa_private_key' : 'client_secret' });
    },
    credentialCheck: (laneId) => {
      const l = lanes.find((x) => x.lane_id === laneId);
      if (!l?.credential.present) return refuse(latencyMs, { kind: 'not_found', message: `no secret in the keychain for ${laneId}` });
      const at = new Date().toISOString();
      // The third lane's key was registered to another user: the mismatch case.
      if (laneId === 'opportunity_sync_apac') {
        const message = `integration_user_mismatch: the secret acts as \`ops_admin@acme.example\`, not the lane's \`${l.username ?? ''}\``;
        update(laneId, { last_check: { ok: false, acts_as: 'ops_admin@acme.example', message, at, lane_warnings: [] } });
        return refuse(700, { kind: 'refused', message: `refused (integration_user_mismatch): ${message}` });
      }
      const result = { ok: true, acts_as: l.username, message: null, at, lane_warnings: [] };
      update(laneId, { last_check: result });
      return delay(700, result);
    },
    credentialDelete: (laneId) => {
      const had = cred(laneId)?.present === true;
      update(laneId, { present: false, set_at: null, last_check: null });
      return delay(latencyMs, had);
    },
    alerts: () => delay(latencyMs, previewAlerts()),
  };
}

function previewAlerts(): AlertsView {
  // The incident of 20 Nov: failures spike from 09:00, replays follow once locks are released.
  const failures = [3, 4, 2, 61, 148, 97, 40, 22, 12, 9, 6, 5, 4, 8, 3, 2, 2, 1];
  const replays = [0, 0, 0, 0, 2, 18, 46, 71, 64, 30, 21, 9, 4, 2, 5, 1, 0, 0];
  const series: Bucket[] = failures.map((f, i) => ({
    hour: `2026-11-20T${String(6 + i).padStart(2, '0')}:00`,
    failures: f,
    replays: replays[i] ?? 0,
  }));
  return {
    window_hours: 24,
    since: '2026-11-19T23:40:00.000Z',
    checks: [
      { code: 'duplicate_conflict_detected', lane_id: 'account_sync_north_america', active: true, count: 14, threshold: 'any in 24 h', message: '' },
      { code: 'fallback_owner_spike', lane_id: 'account_sync_north_america', active: true, count: 9, threshold: "above 5% of the lane's replays in 24 h", message: '' },
      { code: 'replay_blocked', lane_id: 'account_sync_north_america', active: false, count: 0, threshold: 'any in 24 h', message: '' },
      { code: 'replay_blocked', lane_id: 'contact_sync_emea', active: true, count: 4, threshold: 'any in 24 h', message: '' },
      { code: 'protected_field_overwrite_attempt', lane_id: 'contact_sync_emea', active: false, count: 0, threshold: 'any in 24 h', message: '' },
    ],
    alerts: [
      {
        code: 'duplicate_conflict_detected',
        lane_id: 'account_sync_north_america',
        alert_owner: 'revops_incidents',
        count: 14,
        message: '14 preflight(s) found records a replay would duplicate or could not choose between',
      },
      {
        code: 'fallback_owner_spike',
        lane_id: 'account_sync_north_america',
        alert_owner: 'revops_incidents',
        count: 9,
        message: '9 of 112 replays (8.0%) wrote records the fallback owner holds; the contract alerts above 5%',
      },
      {
        code: 'replay_blocked',
        lane_id: 'contact_sync_emea',
        alert_owner: 'revops_incidents',
        count: 4,
        message: '4 replay(s) refused by the gate or a blocking finding',
      },
      {
        code: 'protected_field_overwrite_attempt',
        lane_id: 'opportunity_sync_apac',
        alert_owner: 'revops_incidents',
        count: 6,
        message: '6 event(s) would change a protected field (StageName, Amount, OwnerId)',
      },
    ],
    series,
  };
}
