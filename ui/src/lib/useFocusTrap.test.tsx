import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useEffect, useRef, useState } from 'react';
import { describe, expect, it } from 'vitest';
import { useFocusTrap } from './useFocusTrap';

function Dialog({ onClose }: { onClose: () => void }) {
  const ref = useRef<HTMLDivElement>(null);
  const firstRef = useRef<HTMLInputElement>(null);
  useFocusTrap(ref);
  // As the app's dialogs do: focus in an effect after the trap's (not autoFocus, which runs first).
  useEffect(() => firstRef.current?.focus(), []);
  return (
    <div ref={ref} role="dialog" aria-label="Trap">
      <input aria-label="First" ref={firstRef} />
      <button type="button" disabled>
        Disabled
      </button>
      <div hidden>
        <button type="button">Hidden</button>
      </div>
      <button type="button" onClick={onClose}>
        Last
      </button>
    </div>
  );
}

function Page() {
  const [open, setOpen] = useState(false);
  return (
    <>
      <button type="button" onClick={() => setOpen(true)}>
        Open
      </button>
      <button type="button">Behind</button>
      {open && <Dialog onClose={() => setOpen(false)} />}
    </>
  );
}

describe('useFocusTrap', () => {
  it('keeps Tab and Shift+Tab inside the dialog, skipping disabled and hidden controls', async () => {
    const user = userEvent.setup();
    render(<Page />);
    await user.click(screen.getByRole('button', { name: 'Open' }));
    const first = screen.getByLabelText('First');
    const last = screen.getByRole('button', { name: 'Last' });
    first.focus();
    await user.tab();
    expect(document.activeElement, 'the disabled and the hidden button are skipped').toBe(last);
    await user.tab();
    expect(document.activeElement, 'Tab from the last control wraps to the first, not to the page behind').toBe(first);
    await user.tab({ shift: true });
    expect(document.activeElement, 'Shift+Tab from the first control wraps to the last').toBe(last);
  });

  it('brings focus that left the dialog back with the next Tab, and returns it to the opener on closing', async () => {
    const user = userEvent.setup();
    render(<Page />);
    const opener = screen.getByRole('button', { name: 'Open' });
    await user.click(opener);
    screen.getByRole('button', { name: 'Behind' }).focus();
    await user.tab();
    expect(document.activeElement, 'the next Tab lands inside the dialog').toBe(screen.getByLabelText('First'));
    await user.click(screen.getByRole('button', { name: 'Last' }));
    expect(screen.queryByRole('dialog'), 'the dialog closed').toBeNull();
    expect(document.activeElement, 'focus goes back to what opened the dialog').toBe(opener);
  });
});
