import { useState, type RefObject } from 'react';
import { toIpcError } from '../ipc';

/**
 * A file path typed or chosen in the native dialog: the text field stays editable, and the
 * button fills it. A dialog that fails says so and leaves typing as the way on.
 */
export function PathField({
  id,
  inputRef,
  value,
  onChange,
  choose,
  onChosen,
  onChooseError,
  buttonLabel,
  placeholder,
  disabled = false,
  invalid = false,
  describedBy,
}: {
  id: string;
  inputRef: RefObject<HTMLInputElement | null>;
  value: string;
  onChange: (typed: string) => void;
  /** Opens the native dialog; `null` when the person cancelled it. */
  choose: () => Promise<string | null>;
  onChosen: (path: string) => void;
  /** The sentence to show when the dialog itself failed, or `null` to clear it. */
  onChooseError: (message: string | null) => void;
  buttonLabel: string;
  placeholder?: string;
  disabled?: boolean;
  invalid?: boolean;
  describedBy?: string;
}) {
  const [picking, setPicking] = useState(false);
  const pick = async () => {
    setPicking(true);
    onChooseError(null);
    try {
      const chosen = await choose();
      if (chosen !== null) onChosen(chosen);
    } catch (e) {
      onChooseError(`The file dialog failed: ${toIpcError(e).message}. Type the path instead.`);
    } finally {
      setPicking(false);
      inputRef.current?.focus();
    }
  };
  return (
    <div className="path-picker">
      <input
        id={id}
        ref={inputRef}
        type="text"
        className="mono"
        placeholder={placeholder}
        spellCheck={false}
        autoComplete="off"
        value={value}
        disabled={disabled}
        aria-describedby={describedBy}
        aria-invalid={invalid ? true : undefined}
        onChange={(e) => onChange(e.target.value)}
      />
      <button type="button" className="btn" onClick={() => void pick()} disabled={disabled || picking}>
        {buttonLabel}
      </button>
    </div>
  );
}
