// The reason field of the operator's forms (replay, batch, discard): why, for the audit log.
import type { KeyboardEvent, Ref } from 'react';

/** Why the operator does this, for the audit log: a short free text. */
export function ReasonField({
  id,
  value,
  onChange,
  placeholder,
  rows = 2,
  onKeyDown,
  inputRef,
}: {
  id: string;
  value: string;
  onChange: (reason: string) => void;
  placeholder?: string;
  rows?: number;
  onKeyDown?: (e: KeyboardEvent<HTMLTextAreaElement>) => void;
  inputRef?: Ref<HTMLTextAreaElement>;
}) {
  return (
    <label className="form-field" htmlFor={id}>
      <span className="form-label">Reason</span>
      <textarea
        id={id}
        ref={inputRef}
        rows={rows}
        value={value}
        onChange={(e) => onChange(e.target.value)}
        onKeyDown={onKeyDown}
        placeholder={placeholder}
      />
    </label>
  );
}
