// The panel beside a list that shows one row in full (the queue's event, the audit log's entry):
// a header with the title, badges, actions and a close button, and a body that says when it is
// loading or failed. Escape closes it, unless the list is hidden under another view.
import { useEffect, useRef, type ReactNode } from 'react';
import { ErrorBanner } from './ErrorBanner';

export function DetailPanel({
  label,
  className,
  title,
  badges,
  actions,
  closeLabel,
  onClose,
  yieldToDialog = false,
  query,
  loadingText,
  errorContext,
  children,
}: {
  /** The panel's accessible name. */
  label: string;
  className?: string;
  title: ReactNode;
  badges: ReactNode;
  /** Buttons before the close button. */
  actions: ReactNode;
  closeLabel: string;
  onClose: () => void;
  /** Leave Escape to an open dialog. */
  yieldToDialog?: boolean;
  /** The query of what the panel shows: its pending and error states are shown here. */
  query: { isPending: boolean; isError: boolean; error: unknown; refetch: () => Promise<unknown> };
  loadingText: string;
  errorContext?: string;
  /** The loaded content. */
  children: ReactNode;
}) {
  const ref = useRef<HTMLElement>(null);
  useEffect(() => {
    const onKey = (e: globalThis.KeyboardEvent) => {
      // A list stays mounted (hidden) under a full view; Escape there is not ours.
      if (e.key !== 'Escape' || e.defaultPrevented || ref.current?.closest('[hidden]')) return;
      if (yieldToDialog && document.querySelector('[role="dialog"]')) return;
      onClose();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose, yieldToDialog]);

  return (
    <aside className={className ? `detail ${className}` : 'detail'} aria-label={label} ref={ref}>
      <header className="detail-header">
        <div className="detail-title">
          <h2>{title}</h2>
          {badges}
        </div>
        <div className="detail-actions">
          {actions}
          <button type="button" className="btn btn-icon" aria-label={closeLabel} title="Close (Esc)" onClick={onClose}>
            <svg width="14" height="14" viewBox="0 0 14 14" aria-hidden="true">
              <path d="M3 3l8 8M11 3l-8 8" stroke="currentColor" strokeWidth="1.6" strokeLinecap="round" />
            </svg>
          </button>
        </div>
      </header>
      <div className="detail-body">
        {query.isPending && <p className="muted">{loadingText}</p>}
        {query.isError && <ErrorBanner context={errorContext} error={query.error} onRetry={() => void query.refetch()} />}
        {children}
      </div>
    </aside>
  );
}
