// Dev and test only: a stand-in for the Rust commands, over Tauri's own IPC mock. Nothing in the
// app imports this file, so it never reaches ui/dist; tests and the preview build (preview.html)
// do. It lives here because this folder is the only one that talks to @tauri-apps/api.
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import type { EventDetail } from './bindings/EventDetail';
import type { EventPage } from './bindings/EventPage';
import type { EventQuery } from './bindings/EventQuery';
import type { LaneDetail } from './bindings/LaneDetail';
import type { LaneSummary } from './bindings/LaneSummary';
import type { OverrideRequest } from './bindings/OverrideRequest';
import type { PreflightView } from './bindings/PreflightView';
import type { ReplayRequest } from './bindings/ReplayRequest';
import type { ReplayResult } from './bindings/ReplayResult';
import type { StatusCount } from './bindings/StatusCount';
import type { VerifyResult } from './bindings/VerifyResult';
import { answerOps, type OpsMockBackend } from './opsMock';
import { answerAudit, type AuditMockBackend } from './auditMock';
import { answerBatch, type BatchMockBackend } from './batchMock';

export { clearMocks };

/** One IPC call as the Rust side would receive it. */
export interface Call {
  cmd: string;
  args: Record<string, unknown>;
}

type Answer<T> = T | Promise<T>;

export interface MockBackend extends OpsMockBackend, AuditMockBackend, BatchMockBackend {
  lanes?: () => Answer<LaneSummary[]>;
  counts?: () => Answer<StatusCount[]>;
  /** Answers `events_list`; the default is one empty last page. */
  events?: (query: EventQuery) => Answer<EventPage>;
  event?: (id: number) => Answer<EventDetail>;
  lane?: (laneId: string) => Answer<LaneDetail>;
  preflightRun?: (eventId: number, overrideRequest: OverrideRequest | null) => Answer<PreflightView>;
  /** Answers `preflight_latest`; the default is `null` (no preflight taken yet). */
  preflightLatest?: (eventId: number) => Answer<PreflightView | null>;
  replay?: (eventId: number, request: ReplayRequest) => Answer<ReplayResult>;
  /** Answers `event_discard`; the default accepts. */
  discard?: (eventId: number, operator: string, reason: string) => Answer<null>;
  verify?: (eventId: number) => Answer<VerifyResult>;
  /** A command named here rejects with this `{kind, message}` (an import refusal adds `issues`, `total`), as a failing Rust command does. */
  fail?: Record<string, { kind: string; message: string; issues?: unknown[]; total?: number }>;
}

/** Installs the mock; returns the log of every call, in order. */
export function mockBackend(backend: MockBackend): Call[] {
  const calls: Call[] = [];
  mockIPC((cmd, payload) => {
    const args = (payload ?? {}) as Record<string, unknown>;
    calls.push({ cmd, args });
    const failure = backend.fail?.[cmd];
    if (failure) return Promise.reject(failure);
    switch (cmd) {
      case 'lanes_list':
        return backend.lanes?.() ?? [];
      case 'event_counts':
        return backend.counts?.() ?? [];
      case 'events_list':
        return backend.events?.(args.query as EventQuery) ?? { events: [], next_cursor: null };
      case 'event_show':
        return backend.event?.(args.id as number) ?? Promise.reject({ kind: 'not_found', message: `no event with id ${String(args.id)}` });
      case 'lane_show':
        return (
          backend.lane?.(args.laneId as string) ??
          Promise.reject({ kind: 'not_found', message: `no lane \`${String(args.laneId)}\`; import its contract with \`lanes import FILE.yaml\`` })
        );
      case 'preflight_run':
        return (
          backend.preflightRun?.(args.eventId as number, (args.overrideRequest ?? null) as OverrideRequest | null) ??
          Promise.reject({ kind: 'internal', message: 'the mock has no preflight_run answer' })
        );
      case 'preflight_latest':
        return backend.preflightLatest?.(args.eventId as number) ?? null;
      case 'replay_run':
        return (
          backend.replay?.(args.eventId as number, args.request as ReplayRequest) ??
          Promise.reject({ kind: 'internal', message: 'the mock has no replay_run answer' })
        );
      case 'event_discard':
        return backend.discard?.(args.eventId as number, args.operator as string, args.reason as string) ?? null;
      case 'verify_run':
        return (
          backend.verify?.(args.eventId as number) ?? Promise.reject({ kind: 'internal', message: 'the mock has no verify_run answer' })
        );
      default: {
        // `undefined` means "not mine"; `null` is an answer (task_cancel), so no `??` here.
        const ops = answerOps(backend, cmd, args);
        if (ops !== undefined) return ops;
        const audit = answerAudit(backend, cmd, args);
        if (audit !== undefined) return audit;
        const batch = answerBatch(backend, cmd, args);
        if (batch !== undefined) return batch;
        return Promise.reject({ kind: 'internal', message: `command ${cmd} not found` });
      }
    }
    // Events too: `listen` and `emit` (task progress) work against this mock.
  }, { shouldMockEvents: true });
  return calls;
}
