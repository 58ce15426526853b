import { useState } from 'react';
import { ErrorBanner } from '../../components/ErrorBanner';
import { EventFields } from '../../components/EventFields';
import { StatusBadge } from '../../components/StatusBadge';
import { useEvent } from '../../ipc';
import { AttemptHistory } from './AttemptHistory';
import { DiscardDialog } from './DiscardDialog';
import { PayloadRevisions } from './PayloadRevisions';
import { TriageCard } from './TriageCard';
import { ReplayWorkflow } from './ReplayWorkflow';
import { VerifyAction } from './VerifyAction';
import { AuditTrailLink } from '../audit/openAudit';
import { RoleNote } from '../../components/RoleNote';
import { useRoleBlock } from '../../lib/roles';
import './event.css';

/** One event in full: what is stored about it, its attempts, and the way to a replay. */
export function EventScreen({ id, onBack, backLabel = 'Queue' }: { id: number; onBack: () => void; backLabel?: string }) {
  const event = useEvent(id);
  const [discarding, setDiscarding] = useState(false);
  const e = event.data;
  const discardable = e?.status === 'failed' || e?.status === 'blocked';
  const discardBlocked = useRoleBlock('discard');

  return (
    <div className="screen event-screen">
      <header className="screen-header">
        <div>
          <button type="button" className="btn btn-ghost btn-back" onClick={onBack}>
            <span aria-hidden="true">←</span> {backLabel}
          </button>
          <div className="event-title">
            <h1>Event {id}</h1>
            {e && <StatusBadge status={e.status} />}
          </div>
          {e && (
            <p className="screen-sub">
              {e.lane_id} · <span className="mono">{e.object}</span> <span className="mono">{e.external_id ?? '(no external ID)'}</span> ·{' '}
              <span className="mono">{e.event_key}</span>
            </p>
          )}
        </div>
        <div className="detail-actions">
          <AuditTrailLink eventId={id} />
          {discardable && (
            <button
              type="button"
              className="btn btn-danger-ghost"
              onClick={() => setDiscarding(true)}
              disabled={discardBlocked !== null}
              title={discardBlocked ?? undefined}
            >
              Discard…
            </button>
          )}
        </div>
      </header>
      {discardable && <RoleNote reason={discardBlocked} />}
      {event.isError && <ErrorBanner context={`Event ${id}`} error={event.error} onRetry={() => void event.refetch()} />}
      {event.isPending && <p className="muted pad">Loading event…</p>}
      {e && (
        <div className="split-body event-body">
          <aside className="event-facts card" aria-label="Stored event">
            <div className="card-body">
              <EventFields event={e} />
            </div>
          </aside>
          <div className="event-main">
            {e.status === 'unknown_outcome' && (
              <section className="card tone-attention callout" aria-label="Unknown outcome">
                <h2>Sent, no answer: verify before anything else</h2>
                <p>
                  The last replay was sent but its answer never came. A verify reads the record and settles whether it was applied;
                  until then any replay is refused.
                </p>
                <VerifyAction eventId={e.id} />
              </section>
            )}
            <section className="card" aria-labelledby="attempts-title">
              <header className="card-head">
                <h2 id="attempts-title">Attempts</h2>
              </header>
              <div className="card-body">
                <AttemptHistory attempts={e.attempts} />
              </div>
            </section>
            <TriageCard key={`${e.triage.updated_at ?? ''}-${e.triage.assignee ?? ''}`} event={e} />
            <PayloadRevisions event={e} />
            <ReplayWorkflow event={e} />
          </div>
        </div>
      )}
      {discarding && <DiscardDialog eventId={id} onClose={() => setDiscarding(false)} />}
    </div>
  );
}
