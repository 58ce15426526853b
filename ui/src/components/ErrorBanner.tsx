import { toIpcError, type ErrorKind } from '../ipc';

const TITLES: Record<ErrorKind, string> = {
  invalid_input: 'The input is not valid',
  refused: 'Refused: nothing was written',
  salesforce: 'Salesforce did not accept the request',
  not_found: 'Not found',
  cancelled: 'Cancelled',
  keychain_unavailable: 'The keychain is not available',
  internal: 'Something failed on this machine',
};

/** An IPC failure, readable: a title from its kind and the backend's message; never a stack. */
export function ErrorBanner({ error, context, onRetry }: { error: unknown; context?: string; onRetry?: () => void }) {
  const e = toIpcError(error);
  return (
    <div className="banner banner-error" role="alert">
      <div className="banner-text">
        <strong>
          {context ? `${context}: ` : ''}
          {e.code === 'not_permitted' ? "Refused by the team's server: your login may not do this" : TITLES[e.kind]}
        </strong>
        <span className="banner-message">{e.message}</span>
      </div>
      {onRetry && (
        <button type="button" className="btn btn-small" onClick={onRetry}>
          Retry
        </button>
      )}
    </div>
  );
}
