import type { JsonValue } from '../ipc';
import { JsonScalar } from './JsonScalar';

/** Any JSON value: a leaf as `JsonScalar`, an object or array as indented JSON. */
export function JsonValueView({ value }: { value: JsonValue | null | undefined }) {
  if (value === undefined) return <span className="json-null">(absent)</span>;
  if (value !== null && typeof value === 'object') return <pre className="json">{JSON.stringify(value, null, 2)}</pre>;
  return <JsonScalar value={value} />;
}
