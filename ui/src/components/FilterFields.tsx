// The labelled fields of a filter bar (the queue's, the audit log's): a choice with an "all"
// option, and a text field.
import type { InputHTMLAttributes } from 'react';

export type Option = string | { value: string; label: string };

export function FilterSelect({
  label,
  className = 'field',
  value,
  onChange,
  all,
  options,
}: {
  label: string;
  className?: string;
  value: string;
  onChange: (value: string) => void;
  /** The first option, value '': no filter. */
  all: string;
  options: readonly Option[];
}) {
  return (
    <label className={className}>
      <span>{label}</span>
      <select value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="">{all}</option>
        {options.map((o) => {
          const { value: v, label: text } = typeof o === 'string' ? { value: o, label: o } : o;
          return (
            <option key={v} value={v}>
              {text}
            </option>
          );
        })}
      </select>
    </label>
  );
}

export function FilterText({
  label,
  className = 'field',
  value,
  onChange,
  type = 'text',
  ...input
}: {
  label: string;
  className?: string;
  value: string;
  onChange: (value: string) => void;
} & Omit<InputHTMLAttributes<HTMLInputElement>, 'value' | 'onChange'>) {
  return (
    <label className={className}>
      <span>{label}</span>
      <input type={type} value={value} {...input} onChange={(e) => onChange(e.target.value)} />
    </label>
  );
}
