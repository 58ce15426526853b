// How a payload value is shown in the editor and read back: text stays text; numbers, true,
// false and null are written as JSON. The backend's CLI reads `--set` values the same way.
import type { JsonValue } from '../../ipc';

/** A value as the editor shows it. */
export function showValue(v: JsonValue | undefined): string {
  if (v === undefined) return '';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** What the operator typed, as the value it stands for: JSON when it is a JSON number, true, false, null or "quoted text"; text otherwise. */
export function readValue(text: string): JsonValue {
  try {
    const v = JSON.parse(text) as JsonValue;
    if (v === null || typeof v !== 'object') return v;
  } catch {
    // Not JSON: the text itself.
  }
  return text;
}

/** A Salesforce API field name: a letter, then letters, digits and underscores. */
export function isFieldName(name: string): boolean {
  return /^[A-Za-z][A-Za-z0-9_]{0,99}$/.test(name);
}
