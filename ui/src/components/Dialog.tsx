// The one modal dialog shell of the app: the dimmed overlay, the card with its title, focus kept
// inside (useFocusTrap) and given back to the opener on closing, Escape and a click on the
// backdrop. What is inside (forms, progress, results, buttons) is the caller's.
import { useId, useRef, type ReactNode } from 'react';
import { useFocusTrap } from '../lib/useFocusTrap';
import './Dialog.css';

export function Dialog({
  title,
  className,
  onEscape,
  onBackdrop,
  children,
}: {
  title: ReactNode;
  /** Added to `dialog card`, for the dialog's own styles. */
  className?: string;
  /** What Escape does; `undefined` while Escape must not close (Escape is taken either way). */
  onEscape: (() => void) | undefined;
  /** What a click on the backdrop does; `undefined`: nothing. */
  onBackdrop?: (() => void) | undefined;
  children: ReactNode;
}) {
  const id = useId();
  const dialogRef = useRef<HTMLDivElement>(null);
  // Before the caller's own focus effects (effects run child first): the opener is still focused.
  useFocusTrap(dialogRef);
  return (
    <div className="overlay" onMouseDown={(e) => e.target === e.currentTarget && onBackdrop?.()}>
      <div
        ref={dialogRef}
        className={className ? `dialog card ${className}` : 'dialog card'}
        role="dialog"
        aria-modal="true"
        aria-labelledby={`${id}-title`}
        onKeyDown={(e) => {
          if (e.key === 'Escape') {
            e.preventDefault();
            onEscape?.();
          }
        }}
      >
        <h2 id={`${id}-title`}>{title}</h2>
        {children}
      </div>
    </div>
  );
}
