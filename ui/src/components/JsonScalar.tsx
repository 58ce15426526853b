/** A JSON leaf, typed at a glance: text as is, numbers and booleans in monospace, null muted. */
export function JsonScalar({ value }: { value: string | number | boolean | null }) {
  if (value === null) return <span className="json-null">null</span>;
  if (typeof value === 'boolean') return <span className={`json-bool ${value ? 'is-true' : 'is-false'}`}>{String(value)}</span>;
  if (typeof value === 'number') return <span className="num">{value}</span>;
  if (value === '') return <span className="json-null">(empty)</span>;
  return <span className="json-string">{value}</span>;
}
