/** How data gets in: the desktop window reads what the CLI imported. */
export function ImportHelp({ title, lanesImported }: { title: string; lanesImported: boolean }) {
  return (
    <div className="empty-state">
      <h2>{title}</h2>
      <p>The console shows what was imported into its database with the command line:</p>
      <ol className="steps">
        <li className={lanesImported ? 'done' : undefined}>
          <span>Import each lane's control contract</span>
          <code>replay-console lanes import FILE.yaml</code>
        </li>
        <li>
          <span>Import the failed and blocked events (NDJSON, JSON or CSV)</span>
          <code>replay-console events import FILE.ndjson</code>
        </li>
      </ol>
      <p className="muted">Imports made while the window is open appear after Refresh.</p>
    </div>
  );
}
