import { toIpcError, useLogFolder, useOpenLogFolder } from '../ipc';

/**
 * "Open log folder": the app's log files (one a day, 14 kept) in the OS file manager. The folder's
 * path is in the tooltip, and said in full when no file manager can open it, to open it by hand.
 */
export function LogFolderButton() {
  const folder = useLogFolder();
  const opener = useOpenLogFolder();
  const path = opener.data?.path ?? folder.data?.path;
  return (
    <section className="log-folder" aria-label="Log files">
      <button
        type="button"
        className="nav-item log-folder-open"
        title={path ? `Log files: ${path}` : 'Log files'}
        disabled={opener.isPending}
        onClick={() => opener.mutate()}
      >
        <LogIcon />
        <span className="nav-label">Open log folder</span>
      </button>
      {opener.isError && (
        <p className="log-folder-error" role="alert">
          {toIpcError(opener.error).message}
        </p>
      )}
    </section>
  );
}

function LogIcon() {
  return (
    <svg width="16" height="16" viewBox="0 0 16 16" fill="none" stroke="currentColor" strokeWidth="1.4" aria-hidden="true">
      <path d="M2 4.5V12a1 1 0 0 0 1 1h10a1 1 0 0 0 1-1V6a1 1 0 0 0-1-1H8L6.5 3H3a1 1 0 0 0-1 1.5Z" />
      <path d="M5 8.5h6M5 10.5h4" />
    </svg>
  );
}
