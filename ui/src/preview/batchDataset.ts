// The preview's answers for batch replay: a batch preflight builds a batch of 28 events over the
// selection, a run writes them slowly with progress (and honours a cancel), and the history lists
// what was planned in this session after a few older batches.
import type { BatchDetail, BatchEventDetail, BatchSummary } from '../ipc';
import type { BatchMockBackend } from '../ipc/mock';
import { emitTaskProgress } from '../ipc/mock';
import { aggregateOf, batchDetail, batchEvent, batchListItem, batchPlan } from '../test/batch';

/** A distinct 12-hex-digit token per batch, as the backend's digests are. */
const tokenOf = (id: number) => (0xedb685e13d00 + id * 7919).toString(16);

const delay = <T,>(ms: number, value: T) => new Promise<T>((resolve) => setTimeout(() => resolve(value), ms));

/** 28 events: updates, two creates, and the blocked ones a real incident has. */
function incident(first: number): BatchEventDetail[] {
  return Array.from({ length: 28 }, (_, i) => {
    const event_id = first + i * 7;
    if (i % 9 === 4) return batchEvent({ event_id, kind: 'none', blocking: ['duplicate_conflict_detected'], side_effects: [] });
    if (i % 11 === 2) return batchEvent({ event_id, kind: 'none', blocking: ['protected_field_conflict'], side_effects: [] });
    if (i === 17) return batchEvent({ event_id, kind: 'none', external_id: null, blocking: ['external_id_missing'], side_effects: [] });
    if (i === 6 || i === 23) return batchEvent({ event_id, kind: 'create' });
    return batchEvent({ event_id, warnings: i % 8 === 3 ? ['owner_inactive'] : i % 10 === 7 ? ['fallback_owner'] : [] });
  });
}

export function previewBatches(taskCancel: ((taskId: string) => unknown) | undefined): BatchMockBackend & { taskCancel: (taskId: string) => Promise<null> } {
  // Planned in this session (listed first), and the history's batches once opened.
  const batches = new Map<number, BatchDetail>();
  const opened = new Map<number, BatchDetail>();
  const find = (id: number) => batches.get(id) ?? opened.get(id);
  const cancelled = new Set<string>();
  let nextId = 4;
  const history = [
    batchListItem({ batch_id: 3, created_at: '2026-11-20T11:42:10.000Z', status: 'paused', attempts: { applied: 96, rejected: 2 } }),
    batchListItem({ batch_id: 2, created_at: '2026-11-20T10:05:51.000Z', attempts: { applied: 4, precondition_failed: 1 } }),
    batchListItem({ batch_id: 1, created_at: '2026-11-20T09:40:02.000Z', status: 'planned', operator: null, reason: null, attempts: {} }),
  ];
  return {
    batchPreflight: async (selection, plannedBy) => {
      const id = nextId++;
      const events = incident(5 + id);
      const d = batchDetail({ batch_id: id, ack_token: tokenOf(id), events, selection, planned_by: plannedBy ?? 'lfischer' });
      batches.set(id, d);
      return delay(900, batchPlan(d));
    },
    batchShow: (id) => {
      let d = find(id);
      if (!d) {
        d = batchDetail({ batch_id: id, ack_token: tokenOf(id), events: incident(id), status: id === 1 ? 'planned' : 'done' }, Date.now(), id === 1 ? 3 : 90);
        opened.set(id, d);
      }
      return delay(120, d);
    },
    batchList: () =>
      delay(120, {
        batches: [
          ...[...batches.values()].reverse().map((d) =>
            batchListItem({
              batch_id: d.batch_id,
              created_at: d.created_at,
              status: d.status,
              operator: d.operator,
              planned_by: d.planned_by,
              aggregate: aggregateOf(d.events),
              attempts: { applied: d.events.filter((e) => e.outcome === 'applied').length },
            }),
          ),
          ...history,
        ],
        next_before: null,
      }),
    batchExecute: async (request, taskId) => {
      const d = [...batches.values(), ...opened.values()].find((b) => b.ack_token === request.ack_token && b.status !== 'done');
      if (!d) return Promise.reject({ kind: 'refused', message: 'refused (ack_mismatch): no batch preflight has this acknowledgment token' });
      const total = d.events.length;
      const blocked = d.events.filter((e) => e.blocking.length > 0);
      const todo = d.events.filter((e) => e.blocking.length === 0 && e.outcome === null);
      let done = total - todo.length;
      void emitTaskProgress({ task_id: taskId, done, total });
      const summary: BatchSummary = {
        batch_id: d.batch_id,
        status: 'done',
        message: '',
        total,
        updated: [],
        created: [],
        blocked: blocked.map((e) => ({ event_id: e.event_id, code: e.blocking[0] ?? '', message: 'blocked by the batch preflight' })),
        changed_since_preflight: [],
        rejected: [],
        unknown_outcome: [],
        already_attempted: d.events.filter((e) => e.outcome !== null).map((e) => e.event_id),
        skipped: [],
        not_started: [],
        retries: 1,
        post_verify_mismatches: [],
        api_calls: null,
      };
      for (const [i, e] of todo.entries()) {
        if (cancelled.has(taskId)) {
          summary.status = 'cancelled';
          summary.not_started = todo.slice(i).map((x) => x.event_id);
          break;
        }
        await delay(260, null);
        e.attempt_id = 500 + e.event_id;
        if (i === 5) {
          e.outcome = 'precondition_failed';
          summary.changed_since_preflight.push(e.event_id);
        } else if (i === 11) {
          e.outcome = 'unknown_outcome';
          summary.unknown_outcome.push(e.event_id);
        } else {
          e.outcome = 'applied';
          (e.kind === 'create' ? summary.created : summary.updated).push(e.event_id);
        }
        done += 1;
        void emitTaskProgress({ task_id: taskId, done, total });
      }
      const written = summary.updated.length + summary.created.length;
      summary.message =
        summary.status === 'cancelled'
          ? 'cancelled by the operator; in-flight writes were let settle'
          : `${written} written (${summary.updated.length} updated, ${summary.created.length} created), ${blocked.length} blocked, ${summary.changed_since_preflight.length} changed since the preflight, 0 rejected, ${summary.unknown_outcome.length} unknown outcome`;
      summary.api_calls = written + summary.changed_since_preflight.length + summary.unknown_outcome.length + 1;
      const now = new Date().toISOString();
      (batches.has(d.batch_id) ? batches : opened).set(d.batch_id, {
        ...d,
        status: summary.status,
        operator: d.operator ?? request.operator,
        reason: d.reason ?? request.reason,
        started_at: d.started_at ?? now,
        finished_at: now,
        summary,
      });
      return summary;
    },
    taskCancel: (taskId) => {
      cancelled.add(taskId);
      void taskCancel?.(taskId);
      return delay(10, null);
    },
  };
}
