import { ErrorBanner } from '../../components/ErrorBanner';
import { useVerify, useVerifyState } from '../../ipc';
import { PostVerifyView } from './PostVerifyView';
import { RoleNote } from '../../components/RoleNote';
import { useRoleBlock } from '../../lib/roles';

/** Settles an unknown outcome: reads the record and decides whether the write was applied. */
export function VerifyAction({ eventId }: { eventId: number }) {
  const verify = useVerify(eventId);
  // Shared with any other Verify button of this event: one run, shown everywhere.
  const last = useVerifyState(eventId);
  const r = last?.status === 'success' ? last.data : undefined;
  const pending = last?.status === 'pending';
  const blocked = useRoleBlock('verify');
  return (
    <div className="verify">
      {!r && (
        <button type="button" className="btn btn-primary" disabled={pending || blocked !== null} title={blocked ?? undefined} onClick={() => verify.mutate()}>
          {pending ? 'Reading the record…' : 'Verify'}
        </button>
      )}
      {!r && <RoleNote reason={blocked} />}
      {last?.status === 'error' && <ErrorBanner context="Verify" error={last.error} />}
      {r && (
        <div className="settlement" role="status">
          <p>
            <span className={`badge tone-${r.settlement === 'applied' ? 'success' : 'neutral'}`}>
              <span className="dot" aria-hidden="true" />
              {r.settlement === 'applied' ? 'Applied' : 'Not applied'}
            </span>{' '}
            {r.settlement === 'applied'
              ? 'The write reached Salesforce: the event is settled as replayed.'
              : 'The write did not reach Salesforce: the event is replayable again after a new preflight.'}
          </p>
          <p className="muted">{r.message}</p>
          <PostVerifyView check={r.post_verify} />
        </div>
      )}
    </div>
  );
}
