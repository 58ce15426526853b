// Dev and test only: a stand-in for the Rust commands, over Tauri's own IPC mock. Nothing in the
// app imports this folder, so it never reaches ui/dist; tests and the preview build (preview.html)
// do. It lives under ipc/ because that folder is the only one that talks to @tauri-apps/api.
// Each feature's answers are in the module named after it, beside the feature's ipc module.
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import type { Answers, Args } from './answer';
import { alertAnswers, type AlertsMockBackend } from './alerts';
import { auditAnswers, type AuditMockBackend } from './audit';
import { batchAnswers, type BatchMockBackend } from './batch';
import { credentialAnswers, type CredentialsMockBackend } from './credentials';
import { eventAnswers, type EventsMockBackend } from './events';
import { fileAnswers, type FilesMockBackend } from './files';
import { groupAnswers, type GroupsMockBackend } from './groups';
import { importAnswers, type ImportsMockBackend } from './imports';
import { laneAnswers, type LanesMockBackend } from './lanes';
import { replayAnswers, type ReplayMockBackend } from './replay';
import { revisionAnswers, type RevisionsMockBackend } from './revisions';
import { taskAnswers, type TasksMockBackend } from './tasks';
import { teamAnswers, type TeamMockBackend } from './team';

export { clearMocks };
export { emitTaskProgress } from './tasks';
export { SOLO_PERSON } from './team';
export type {
  AlertsMockBackend,
  AuditMockBackend,
  BatchMockBackend,
  CredentialsMockBackend,
  EventsMockBackend,
  FilesMockBackend,
  GroupsMockBackend,
  ImportsMockBackend,
  LanesMockBackend,
  ReplayMockBackend,
  RevisionsMockBackend,
  TasksMockBackend,
  TeamMockBackend,
};

/** One IPC call as the Rust side would receive it. */
export interface Call {
  cmd: string;
  args: Args;
}

export interface MockBackend
  extends EventsMockBackend,
    ReplayMockBackend,
    LanesMockBackend,
    CredentialsMockBackend,
    ImportsMockBackend,
    AlertsMockBackend,
    AuditMockBackend,
    BatchMockBackend,
    TasksMockBackend,
    TeamMockBackend,
    GroupsMockBackend,
    RevisionsMockBackend,
    FilesMockBackend {
  /** A command named here rejects with this `{kind, message}` (an import refusal adds `issues`, `total`), as a failing Rust command does. */
  fail?: Record<string, { kind: string; message: string; code?: string; issues?: unknown[]; total?: number }>;
}

const ANSWERS: Answers<MockBackend> = {
  ...eventAnswers,
  ...replayAnswers,
  ...laneAnswers,
  ...credentialAnswers,
  ...importAnswers,
  ...alertAnswers,
  ...groupAnswers,
  ...revisionAnswers,
  ...auditAnswers,
  ...batchAnswers,
  ...taskAnswers,
  ...teamAnswers,
  ...fileAnswers,
};

/** Installs the mock; returns the log of every call, in order. */
export function mockBackend(backend: MockBackend): Call[] {
  const calls: Call[] = [];
  mockIPC(
    (cmd, payload) => {
      const args = (payload ?? {}) as Args;
      calls.push({ cmd, args });
      const failure = backend.fail?.[cmd];
      if (failure) return Promise.reject(failure);
      const answer = Object.hasOwn(ANSWERS, cmd) ? ANSWERS[cmd] : undefined;
      return answer ? answer(backend, args, cmd) : Promise.reject({ kind: 'internal', message: `command ${cmd} not found` });
    },
    // Events too: `listen` and `emit` (task progress) work against this mock.
    { shouldMockEvents: true },
  );
  return calls;
}
