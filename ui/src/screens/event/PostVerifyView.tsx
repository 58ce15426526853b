import { JsonValueView } from '../../components/JsonValueView';
import type { PostVerify } from '../../ipc';
import { formatTime } from '../../lib/format';
import { TableHead } from '../../components/TableHead';

/** The record read back after the write: each sent field, intended against actual. */
export function PostVerifyView({ check }: { check: PostVerify }) {
  if (check.error !== null) {
    return (
      <p className="post-verify-error">
        The record could not be read back: {check.error}
      </p>
    );
  }
  const differing = check.fields.filter((f) => !f.matches).length;
  return (
    <div className="post-verify">
      <p className={check.matches ? 'verify-ok' : 'verify-bad'}>
        {check.matches
          ? 'Every field sent holds the value sent.'
          : `${differing} of ${check.fields.length} field${check.fields.length === 1 ? '' : 's'} do not hold the value sent.`}
        {check.last_modified_date && (
          <span className="muted">
            {' '}
            Read back {check.record_id ? <span className="mono">{check.record_id}</span> : null}, last modified{' '}
            <span className="num">{formatTime(check.last_modified_date)}</span> UTC
            {check.last_modified_by_id ? (
              <>
                {' '}
                by <span className="mono">{check.last_modified_by_id}</span>
              </>
            ) : null}
            .
          </span>
        )}
      </p>
      <table className="diff" aria-label="Post-verify">
        <TableHead columns={['Field', 'Intended', 'Actual', { label: 'Match', className: 'diff-notes-col' }]} />
        <tbody>
          {check.fields.map((f) => (
            <tr key={f.field} className={f.matches ? 'is-same' : 'is-mismatch'}>
              <th scope="row" className="mono">
                {f.field}
              </th>
              <td>
                <JsonValueView value={f.intended} />
              </td>
              <td>{f.actual === null ? <span className="json-null">(absent)</span> : <JsonValueView value={f.actual} />}</td>
              <td>
                {f.matches ? (
                  <span className="check-mark ok" aria-label="matches">
                    ✓
                  </span>
                ) : (
                  <span className="check-mark bad" aria-label="differs">
                    ✗
                  </span>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
