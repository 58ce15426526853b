import { OutcomeBadge } from './OutcomeBadge';
import { useWhoami, type AttemptRow } from '../../ipc';
import { formatTime } from '../../lib/format';
import { TableHead } from '../../components/TableHead';

/** Every replay attempt of the event, oldest first, as stored. */
export function AttemptHistory({ attempts }: { attempts: AttemptRow[] }) {
  // Solo mode: the approver is a typed name; in team mode it is the approving login.
  const declared = useWhoami().data?.authenticated === false;
  if (attempts.length === 0) return <p className="muted">No replay attempt yet.</p>;
  return (
    <div className="table-box">
      <table className="plain attempts" aria-label="Attempts">
        <TableHead columns={['#', 'Outcome', 'Operator', 'Reason', 'Started (UTC)', 'Answer']} />
        <tbody>
          {attempts.map((a) => (
            <tr key={a.id}>
              <td className="num muted">{a.id}</td>
              <td>
                <OutcomeBadge outcome={a.outcome} />
              </td>
              <td>{a.operator}</td>
              <td className="attempt-reason">
                {a.reason}
                {a.again_reason && <span className="attempt-extra">again: {a.again_reason}</span>}
                {a.approved_by && (
                  <span className="attempt-extra">
                    override approved by {a.approved_by}
                    {declared ? ' (declared, not authenticated)' : ''}
                    {a.override_reason ? `: ${a.override_reason}` : ''}
                  </span>
                )}
                {a.settled_by && <span className="attempt-extra">settled by {a.settled_by}</span>}
              </td>
              <td className="num nowrap" title={a.finished_at ? `finished ${formatTime(a.finished_at)} UTC` : undefined}>
                {formatTime(a.started_at).split(' ')[0]}
                <span className="attempt-extra">{formatTime(a.started_at).split(' ')[1]}</span>
              </td>
              <td className="attempt-answer">
                {a.http_status === null && !a.error_code && !a.error_message ? (
                  <span className="muted">{a.outcome === 'unknown_outcome' || a.outcome === 'in_flight' ? 'no answer' : '—'}</span>
                ) : (
                  <>
                    {a.http_status !== null && <span className="num">HTTP {a.http_status}</span>}
                    {a.error_code && <span className="failure-code attempt-extra">{a.error_code}</span>}
                    {a.error_message && <span className="attempt-extra">{a.error_message}</span>}
                  </>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
