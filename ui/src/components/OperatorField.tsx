import { rememberOperator } from '../lib/operator';

/** The operator's name, as the audit log shows it; remembered on this machine when it loses focus. */
export function OperatorField({
  id,
  value,
  onChange,
  className = 'form-field',
}: {
  id: string;
  value: string;
  onChange: (name: string) => void;
  className?: string;
}) {
  return (
    <label className={className} htmlFor={id}>
      <span className="form-label">Operator</span>
      <input
        id={id}
        type="text"
        autoComplete="name"
        value={value}
        onChange={(e) => onChange(e.target.value)}
        onBlur={() => rememberOperator(value)}
        placeholder="Your name, as the audit log shows it"
      />
    </label>
  );
}
