import { useId } from 'react';
import { ErrorBanner } from '../../components/ErrorBanner';
import { OverrideFields, useOverrideState } from '../../components/OverrideFields';
import { useBatch, useBatchPreflight, useBatchRun, type BatchDetail, type FailureGroup, type Selection } from '../../ipc';
import { batchFreshFor } from './batchGate';
import { formatCount, formatTime } from '../../lib/format';
import { rememberedOperator } from '../../lib/operator';
import { formatRemaining } from '../../lib/replayGate';
import { useNow } from '../../lib/useNow';
import { AuditBatchLink } from '../audit/openAudit';
import { AggregateView } from './AggregateView';
import { BatchEventsTable } from './BatchEventsTable';
import { BatchRunForm } from './BatchRunForm';
import { BatchRunProgress, BatchSummaryView } from './BatchSummaryView';
import { batchStatusMeta, describeSelection, isResumable } from './batchFormat';
import './batch.css';
import { KvRow } from '../../components/KvRow';
import { RoleNote } from '../../components/RoleNote';
import { useRoleBlock } from '../../lib/roles';

/** What the batch screen shows: a selection still to preflight, or a stored batch. */
export type BatchTarget =
  | {
      kind: 'new';
      selection: Selection;
      /** The queue's search (a prefix of the external ID or event key), which a batch does not take: said on the screen. */
      ignoredSearch?: string;
      /** The queue's find (words in payloads and messages), which a batch does not take either. */
      ignoredText?: string;
      /** Events the queue counts for this lane and status (unknown with a reason code). */
      expected?: number;
      /** The failure group the selection names (opened from the Groups view). */
      group?: FailureGroup;
    }
  | { kind: 'saved'; batchId: number };

/**
 * Batch replay: the batch preflight over a selection, then the stored batch (its aggregate,
 * events, the form, the run's progress and summary). `onTarget` moves from the one to the other.
 */
export function BatchScreen({
  target,
  backLabel,
  onBack,
  onTarget,
  onOpenEvent,
}: {
  target: BatchTarget;
  backLabel: string;
  onBack: () => void;
  onTarget: (t: BatchTarget) => void;
  onOpenEvent: (eventId: number) => void;
}) {
  return target.kind === 'new' ? (
    <NewBatch target={target} backLabel={backLabel} onBack={onBack} onPlanned={(batchId) => onTarget({ kind: 'saved', batchId })} />
  ) : (
    <SavedBatch
      batchId={target.batchId}
      backLabel={backLabel}
      onBack={onBack}
      onNewPreflight={(selection) => onTarget({ kind: 'new', selection })}
      onOpenEvent={onOpenEvent}
    />
  );
}

function Back({ label, onBack }: { label: string; onBack: () => void }) {
  return (
    <button type="button" className="btn btn-ghost btn-back" onClick={onBack}>
      <span aria-hidden="true">←</span> {label}
    </button>
  );
}

function NewBatch({
  target,
  backLabel,
  onBack,
  onPlanned,
}: {
  target: Extract<BatchTarget, { kind: 'new' }>;
  backLabel: string;
  onBack: () => void;
  onPlanned: (batchId: number) => void;
}) {
  const preflight = useBatchPreflight();
  const batchBlocked = useRoleBlock('batch');
  const s = target.selection;
  const id = useId();
  const overrideState = useOverrideState();
  const { on: overrideOn, reason: overrideReason, approver } = overrideState;
  // What an override needs is the lane contract's owner_override_allowed_only_when: the backend
  // refuses one that lacks a listed condition, naming it.
  const override =
    overrideOn && (overrideReason.trim() !== '' || approver.trim() !== '')
      ? { reassignment_reason: overrideReason.trim(), approved_by: approver.trim() }
      : null;
  const run = () =>
    preflight.mutate(
      { selection: override ? { ...s, override_request: override } : s, plannedBy: rememberedOperator() || null },
      { onSuccess: (plan) => onPlanned(plan.batch_id) },
    );
  return (
    <div className="screen batch-screen">
      <header className="screen-header">
        <div>
          <Back label={backLabel} onBack={onBack} />
          <h1>Batch replay</h1>
          <p className="screen-sub">{describeSelection(s)}</p>
        </div>
      </header>
      <div className="batch-start">
        <section className="card" aria-label="Batch preflight">
          <header className="card-head">
            <div>
              <h2>Batch preflight</h2>
              <p className="muted">
                {target.expected === undefined
                  ? 'Every event of the lane that matches this selection.'
                  : `${formatCount(target.expected)} ${target.expected === 1 ? 'event matches' : 'events match'} in the queue.`}
              </p>
            </div>
          </header>
          <div className="card-body">
            <dl className="kv batch-selection">
              <KvRow label="Lane" className="mono">{s.lane_id}</KvRow>
              <KvRow label="Status">{s.status ?? 'failed and blocked'}</KvRow>
              <KvRow label="Reason code" className="mono">{s.reason_code ?? 'any'}</KvRow>
              {s.group && (
                <KvRow label="Failure group">
                  <span className="mono">{s.group}</span>
                  {target.group && <span className="muted"> · {target.group.signature || '(no message)'}</span>}
                </KvRow>
              )}
            </dl>
            {s.group && (
              <p className="muted batch-explain">
                The group's failed and blocked events as they stand when the preflight is taken; each one's record is read
                again before anything is written.
              </p>
            )}
            {(target.ignoredSearch || target.ignoredText) && (
              <p className="callout card tone-warning batch-search-note" role="note">
                The queue's{' '}
                {[
                  target.ignoredSearch ? `search “${target.ignoredSearch}”` : null,
                  target.ignoredText ? `text search “${target.ignoredText}”` : null,
                ]
                  .filter((x) => x !== null)
                  .join(' and ')}{' '}
                {target.ignoredSearch && target.ignoredText ? 'are' : 'is'} not part of the batch: a batch takes the lane, the status
                and the reason code only, so it covers every event that matches those.
              </p>
            )}
            <OverrideFields id={id} label="Carry an approved override for events that would change protected fields" approverHint="Someone other than the operator" state={overrideState}>
              {overrideOn && (
                <p className="muted override-note">
                  Applied only to the events whose preflight finds a protected-field conflict, and recorded on each of them. What
                  it must carry (a reason, an approver other than the operator) is the lane contract's
                  owner_override_allowed_only_when.
                </p>
              )}
            </OverrideFields>
            <p className="batch-explain">
              The batch preflight reads the target record, owner and last change of every event from Salesforce (up to 200
              records per query), stores one preflight per event and shows what the batch would do. Nothing is written until
              you run it.
            </p>
            <div className="submit-row">
              <button
                type="button"
                className="btn btn-primary btn-replay"
                onClick={run}
                disabled={preflight.isPending || batchBlocked !== null}
                title={batchBlocked ?? undefined}
              >
                {preflight.isPending ? 'Reading from Salesforce…' : 'Run batch preflight'}
              </button>
              <RoleNote reason={batchBlocked} />
            </div>
            {preflight.isError && <ErrorBanner context="Batch preflight" error={preflight.error} />}
          </div>
        </section>
      </div>
    </div>
  );
}

function Freshness({ batch, now }: { batch: BatchDetail; now: number }) {
  const left = batchFreshFor(batch, now);
  const done = batch.status === 'done';
  return (
    <div className={`freshness ${done ? 'is-used' : left > 0 ? 'is-fresh' : 'is-stale'}`} role="group" aria-label="Batch preflight freshness">
      <span>
        Preflight taken <span className="num">{formatTime(batch.created_at)}</span> UTC by {batch.planned_by}
      </span>
      <span className="freshness-token">
        acknowledgment <code className="token" title={`digest ${batch.digest}`}>{batch.ack_token}</code>
      </span>
      <span className="freshness-clock" title={`Valid until ${formatTime(batch.expires_at)} UTC`}>
        {done ? (
          <>done {batch.finished_at ? `at ${formatTime(batch.finished_at)} UTC` : ''}</>
        ) : left > 0 ? (
          <>
            fresh for <span className="num">{formatRemaining(left)}</span>{' '}
            <span className="freshness-until">(until {formatTime(batch.expires_at).slice(11)} UTC)</span>
          </>
        ) : (
          <strong>stale since {formatTime(batch.expires_at)} UTC: take a new batch preflight</strong>
        )}
      </span>
    </div>
  );
}

function SavedBatch({
  batchId,
  backLabel,
  onBack,
  onNewPreflight,
  onOpenEvent,
}: {
  batchId: number;
  backLabel: string;
  onBack: () => void;
  onNewPreflight: (s: Selection) => void;
  onOpenEvent: (eventId: number) => void;
}) {
  const q = useBatch(batchId);
  const run = useBatchRun(batchId);
  const now = useNow();
  const b = q.data;
  const aggregate = b?.aggregate ?? null;
  const selection = b?.selection ?? null;
  // This window's run first (it is newer), else what the batch stored of its last run.
  const summary = run.summary ?? b?.summary ?? null;
  const meta = b ? batchStatusMeta(run.isPending ? 'running' : b.status) : null;
  const stale = b !== undefined && batchFreshFor(b, now) <= 0;
  const runnable = b !== undefined && (b.status === 'planned' || isResumable(b.status));

  return (
    <div className="screen batch-screen">
      <header className="screen-header">
        <div>
          <Back label={backLabel} onBack={onBack} />
          <div className="event-title">
            <h1>Batch {batchId}</h1>
            {meta && (
              <span className={`badge tone-${meta.tone}`} title={meta.meaning}>
                <span className="dot" aria-hidden="true" />
                {meta.label}
              </span>
            )}
          </div>
          {b && <p className="screen-sub">{selection ? describeSelection(selection) : `lane ${b.lane_id}`}</p>}
        </div>
        <div className="detail-actions">
          <AuditBatchLink batchId={batchId} />
          {b && stale && selection && !run.isPending && (
            <button type="button" className="btn" onClick={() => onNewPreflight(selection)}>
              New batch preflight
            </button>
          )}
        </div>
      </header>
      {q.isError && <ErrorBanner context={`Batch ${batchId}`} error={q.error} onRetry={() => void q.refetch()} />}
      {q.isPending && <p className="muted pad">Loading batch…</p>}
      {b && (
        <div className="split-body batch-body">
          <div className="batch-main">
            <Freshness batch={b} now={now} />
            {b.operator && (
              <p className="batch-who">
                Run by <strong>{b.operator}</strong>
                {b.started_at && <> from {formatTime(b.started_at)} UTC</>}
                {b.reason && <> · reason: {b.reason}</>}
              </p>
            )}
            {run.isPending && <BatchRunProgress progress={run.progress} onCancel={run.cancel} />}
            {run.error !== null && <ErrorBanner context="Batch replay" error={run.error} />}
            {!run.isPending && summary && <BatchSummaryView summary={summary} justRan={run.summary !== null} onOpenEvent={onOpenEvent} />}
            {aggregate ? (
              <AggregateView aggregate={aggregate} />
            ) : (
              <p className="banner banner-error" role="alert">
                The stored aggregate of this batch cannot be read; its events are listed.
              </p>
            )}
            {runnable && (
              <section className="card" aria-labelledby={`batch-${batchId}-run`}>
                <header className="card-head">
                  <div>
                    <h2 id={`batch-${batchId}-run`}>{b.status === 'planned' ? 'Run the batch' : 'Resume the batch'}</h2>
                    <p className="muted">
                      {b.status === 'running' && !run.isPending
                        ? 'Another process (the command line, or a second window) is running it now. A resume beside it skips every event already attempted.'
                        : b.status === 'interrupted'
                        ? 'The process running it ended mid-run. Any write it left without an answer is marked unknown outcome and needs Verify; resuming skips every event already attempted.'
                        : 'Each event is written as a single replay would be: intent recorded first, conditional update or upsert, outcome, audit entry.'}
                    </p>
                  </div>
                </header>
                <div className="card-body">
                  <BatchRunForm key={b.ack_token} batch={b} now={now} running={run.isPending} onSubmit={run.run} />
                </div>
              </section>
            )}
          </div>
          {/* Outcomes are read when a run ends: during one they would be the previous run's. */}
          <BatchEventsTable events={b.events} withOutcome={b.status !== 'planned' && !run.isPending} onOpenEvent={onOpenEvent} />
        </div>
      )}
    </div>
  );
}
