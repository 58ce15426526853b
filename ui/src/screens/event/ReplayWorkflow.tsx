import { useState } from 'react';
import { ErrorBanner } from '../../components/ErrorBanner';
import { usePreflightLatest, usePreflightRun, useReplay, type EventDetail, type ReplayResult } from '../../ipc';
import { useNow } from '../../lib/useNow';
import { useRoleBlock } from '../../lib/roles';
import { RoleNote } from '../../components/RoleNote';
import { PreflightPanel } from './PreflightPanel';
import { ReplayForm } from './ReplayForm';
import { ReplayResultView } from './ReplayResultView';

/** Preflight, then the replay form, then the result: one event's way to a replay. */
export function ReplayWorkflow({ event }: { event: EventDetail }) {
  const latest = usePreflightLatest(event.id);
  const run = usePreflightRun(event.id);
  const replay = useReplay(event.id);
  const now = useNow(1000);
  const preflightBlocked = useRoleBlock('preflight');
  // A result belongs to the preflight it consumed; a new preflight brings the form back.
  const [result, setResult] = useState<{ token: string; result: ReplayResult } | null>(null);

  const view = latest.data ?? null;
  const shownResult = result && view && result.token === view.preflight.ack_token ? result.result : null;

  const runPreflight = () => {
    replay.reset();
    run.mutate(view?.preflight.override_request ?? null);
  };

  return (
    <section className="card workflow" aria-labelledby="workflow-title">
      <header className="card-head">
        <div>
          <h2 id="workflow-title">Preflight</h2>
          <p className="muted">
            Reads the target record, its owner and the last write from Salesforce as they are now, and shows what a replay would
            send.
          </p>
        </div>
        <button
          type="button"
          className={`btn${view ? '' : ' btn-primary'}`}
          disabled={run.isPending || preflightBlocked !== null}
          title={preflightBlocked ?? undefined}
          onClick={runPreflight}
        >
          {run.isPending ? 'Reading Salesforce…' : view ? 'Run the preflight again' : 'Run preflight'}
        </button>
      </header>
      <div className="card-body">
        <RoleNote reason={preflightBlocked} />
        {latest.isError && <ErrorBanner context="Preflight" error={latest.error} onRetry={() => void latest.refetch()} />}
        {run.isError && <ErrorBanner context="Preflight" error={run.error} />}
        {latest.isPending && <p className="muted">Looking for an earlier preflight…</p>}
        {latest.isSuccess && view === null && !run.isPending && (
          <p className="muted">No preflight yet for this event. Nothing is written by a preflight.</p>
        )}
        {view && (
          <>
            <PreflightPanel view={view} now={now} usedBy={shownResult?.attempt_id ?? null} />
            {shownResult ? (
              <ReplayResultView result={shownResult} onPreflightAgain={runPreflight} />
            ) : (
              <ReplayForm
                view={view}
                now={now}
                eventStatus={event.status}
                submitting={replay.isPending}
                error={replay.isError ? replay.error : null}
                rerunning={run.isPending}
                onRerun={(override) => {
                  replay.reset();
                  run.mutate(override);
                }}
                onSubmit={(request) =>
                  replay.mutate(request, { onSuccess: (r) => setResult({ token: request.ack_token, result: r }) })
                }
              />
            )}
          </>
        )}
      </div>
    </section>
  );
}
