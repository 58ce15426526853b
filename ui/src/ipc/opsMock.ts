// Dev and test only, like mock.ts: answers for the commands of ops.ts, and a way to send the
// `task-progress` events the backend emits during long work.
import { emit } from '@tauri-apps/api/event';
import type { AlertsView } from './bindings/AlertsView';
import type { CheckResult } from './bindings/CheckResult';
import type { CredentialSet } from './bindings/CredentialSet';
import type { CredentialStatus } from './bindings/CredentialStatus';
import type { Format } from './bindings/Format';
import type { ImportOutcome } from './bindings/ImportOutcome';
import type { LaneSummary } from './bindings/LaneSummary';
import { TASK_PROGRESS_EVENT, type TaskProgress } from './ops';

type Answer<T> = T | Promise<T>;

export interface OpsMockBackend {
  importEvents?: (path: string, format: Format | null, taskId: string) => Answer<ImportOutcome>;
  /** Answers `task_cancel`; the default accepts. */
  taskCancel?: (taskId: string) => Answer<null>;
  credentialStatus?: (laneId: string) => Answer<CredentialStatus>;
  credentialSet?: (laneId: string, secret: string) => Answer<CredentialSet>;
  credentialCheck?: (laneId: string) => Answer<CheckResult>;
  /** Answers `credentials_delete`; the default says a secret was there and is gone. */
  credentialDelete?: (laneId: string) => Answer<boolean>;
  /** Answers `alerts`; the default is no alert and an empty series. */
  alerts?: () => Answer<AlertsView>;
}

async function statusFromLanes(lanes: (() => Answer<LaneSummary[]>) | undefined, laneId: string): Promise<CredentialStatus> {
  const lane = (await lanes?.())?.find((l) => l.lane_id === laneId);
  if (!lane) throw { kind: 'not_found', message: `no lane \`${laneId}\`; import its contract with \`lanes import FILE.yaml\`` };
  return lane.credential;
}

const missing = (cmd: string) => Promise.reject({ kind: 'internal', message: `the mock has no ${cmd} answer` });

/** The answer to one of ops.ts's commands, or `undefined` when `cmd` is not one of them. */
export function answerOps(
  backend: OpsMockBackend & { lanes?: () => Answer<LaneSummary[]> },
  cmd: string,
  args: Record<string, unknown>,
): unknown {
  const laneId = args.laneId as string;
  switch (cmd) {
    case 'events_import':
      return (
        backend.importEvents?.(args.path as string, (args.format ?? null) as Format | null, args.taskId as string) ??
        missing(cmd)
      );
    case 'task_cancel':
      return backend.taskCancel?.(args.taskId as string) ?? null;
    case 'credentials_status':
      // By default, what `lanes_list` says of the lane.
      return backend.credentialStatus?.(laneId) ?? statusFromLanes(backend.lanes, laneId);
    case 'credentials_set':
      return backend.credentialSet?.(laneId, args.secret as string) ?? missing(cmd);
    case 'credentials_check':
      return backend.credentialCheck?.(laneId) ?? missing(cmd);
    case 'credentials_delete':
      return backend.credentialDelete?.(laneId) ?? true;
    case 'alerts':
      return backend.alerts?.() ?? { window_hours: 24, since: '2026-11-20T00:00:00Z', alerts: [], series: [] };
    default:
      return undefined;
  }
}

/** Sends a `task-progress` event as the backend does (needs the mock installed by mockBackend). */
export function emitTaskProgress(progress: TaskProgress): Promise<void> {
  return emit(TASK_PROGRESS_EVENT, progress);
}
