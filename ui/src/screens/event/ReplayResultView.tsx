import { useEffect, useRef, type ReactNode } from 'react';
import type { ReplayOutcome, ReplayResult } from '../../ipc';
import type { Tone } from '../../lib/status';
import { PostVerifyView } from './PostVerifyView';
import { VerifyAction } from './VerifyAction';

const HEADLINE: Record<ReplayOutcome, { title: string; tone: Tone }> = {
  applied: { title: 'Applied', tone: 'success' },
  rejected: { title: 'Rejected by Salesforce: nothing was written', tone: 'danger' },
  precondition_failed: { title: 'Record changed since preflight: run the preflight again', tone: 'warning' },
  unknown_outcome: { title: 'Sent, no answer: verify before anything else', tone: 'attention' },
  record_appeared: { title: 'A record appeared since the preflight: nothing was written', tone: 'warning' },
};

/** What the replay did, in the operator's words, and what the record holds now. */
export function ReplayResultView({ result, onPreflightAgain }: { result: ReplayResult; onPreflightAgain: () => void }) {
  const head = HEADLINE[result.outcome];
  const title = useRef<HTMLHeadingElement>(null);
  // The form that had focus is gone: the result takes it, so the keyboard and a screen reader
  // land on what happened.
  useEffect(() => title.current?.focus(), []);
  const again = (primary: boolean) => (
    <button type="button" className={primary ? 'btn btn-primary' : 'btn'} onClick={onPreflightAgain}>
      Run the preflight again
    </button>
  );
  let body: ReactNode;
  switch (result.outcome) {
    case 'applied':
      body = result.post_verify ? (
        <PostVerifyView check={result.post_verify} />
      ) : (
        <p className="muted">The record was not read back after the write.</p>
      );
      break;
    case 'rejected':
      body = (
        <Explained
          found={['Salesforce said', <>{result.error_code && <span className="failure-code">{result.error_code}</span>} {result.message}</>]}
          text="The event stays replayable. Fix the cause in Salesforce, then run the preflight again."
          next={again(false)}
        />
      );
      break;
    case 'precondition_failed':
      body = (
        <Explained
          text="Someone changed the record after the preflight read it (HTTP 412); nothing was written. The preflight must show the record as it is now before a replay."
          next={again(true)}
        />
      );
      break;
    case 'record_appeared':
      body = (
        <Explained
          found={['Found at the write', result.message]}
          text={`The preflight planned a create, but a record with this external ID exists now${result.record_id ? ` (${result.record_id})` : ''}. A create never updates a record nobody reviewed, so nothing was written. The next preflight shows that record, its owner and its data before anything is written to it.`}
          next={again(true)}
        />
      );
      break;
    case 'unknown_outcome':
      body = (
        <Explained
          text="The request was sent but no answer came back: it may or may not have been applied. Any new replay is refused until a verify reads the record and settles it."
          next={<VerifyAction eventId={result.event_id} />}
        />
      );
      break;
  }
  return (
    <section className={`result card tone-${head.tone}`} aria-label="Replay result">
      <header className="result-head">
        <span className={`badge tone-${head.tone}`}>
          <span className="dot" aria-hidden="true" />
          {result.outcome.replace(/_/g, ' ')}
        </span>
        <h3 ref={title} tabIndex={-1}>
          {head.title}
        </h3>
      </header>
      <dl className="kv result-facts">
        <dt>Attempt</dt>
        <dd className="num">#{result.attempt_id}</dd>
        <dt>Written as</dt>
        <dd className="mono">{result.written_as}</dd>
        {result.http_status !== null && (
          <>
            <dt>HTTP status</dt>
            <dd className="num">{result.http_status}</dd>
          </>
        )}
        {result.record_id && (
          <>
            <dt>Record</dt>
            <dd className="mono">{result.record_id}</dd>
          </>
        )}
        {result.outcome !== 'rejected' && (
          <>
            <dt>Message</dt>
            <dd>{result.message}</dd>
          </>
        )}
      </dl>
      {body}
    </section>
  );
}

/** An outcome other than applied: what was found, what it means, and what to do next. */
function Explained({ found, text, next }: { found?: [string, ReactNode]; text: string; next: ReactNode }) {
  return (
    <>
      {found && (
        <dl className="kv">
          <dt>{found[0]}</dt>
          <dd>{found[1]}</dd>
        </dl>
      )}
      <p>{text}</p>
      {next}
    </>
  );
}
