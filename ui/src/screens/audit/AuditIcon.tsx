/** The sidebar's icon for the audit screen: a ledger with a check. */
export function AuditIcon() {
  return (
    <svg className="nav-icon" width="16" height="16" viewBox="0 0 16 16" fill="none" stroke="currentColor" strokeWidth="1.5" aria-hidden="true">
      <path d="M3.5 2h9v12h-9z" strokeLinejoin="round" />
      <path d="M5.8 5h4.4M5.8 7.5h2.4" strokeLinecap="round" />
      <path d="M6 10.6l1.4 1.4 2.8-2.8" strokeLinecap="round" strokeLinejoin="round" />
    </svg>
  );
}
