const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * A stored time as the operator reads it: UTC, to the second, `2026-11-20 10:00:00`. Times are
 * shown in UTC everywhere (the CLI, the audit log and Salesforce's own logs use it), so an
 * operator comparing them never converts. Text that is not an RFC 3339 time is shown unchanged.
 */
export function formatTime(text: string): string {
  if (!RFC3339.test(text)) return text;
  const t = new Date(text);
  if (Number.isNaN(t.getTime())) return text;
  return t.toISOString().slice(0, 19).replace('T', ' ');
}

const numberFormat = new Intl.NumberFormat('en-US');

export function formatCount(n: number): string {
  return numberFormat.format(n);
}

/** `identity_policy` -> `Identity policy`: section titles; keys themselves are shown verbatim. */
export function humanize(key: string): string {
  const words = key.replace(/_+/g, ' ').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}
