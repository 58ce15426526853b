import { fireEvent, render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useEffect, useRef, useState } from 'react';
import { describe, expect, it, vi } from 'vitest';
import { Dialog } from './Dialog';

function Opened({ onClose, busy, onBackdrop }: { onClose: () => void; busy: boolean; onBackdrop: () => void }) {
  const first = useRef<HTMLInputElement>(null);
  // As the app's dialogs do: focus in an effect of the caller, after the trap has seen the opener.
  useEffect(() => first.current?.focus(), []);
  return (
    <Dialog title="Rename the lane" className="rename-dialog" onEscape={busy ? undefined : onClose} onBackdrop={onBackdrop}>
      <input aria-label="Name" ref={first} />
      <div className="dialog-actions">
        <button type="button" onClick={onClose}>
          Close
        </button>
      </div>
    </Dialog>
  );
}

function Page({ busy = false, onBackdrop }: { busy?: boolean; onBackdrop?: () => void }) {
  const [open, setOpen] = useState(false);
  const close = () => setOpen(false);
  return (
    <>
      <button type="button" onClick={() => setOpen(true)}>
        Open
      </button>
      {open && <Opened onClose={close} busy={busy} onBackdrop={onBackdrop ?? close} />}
    </>
  );
}

describe('Dialog', () => {
  it('is a modal dialog named by its title, with the caller’s class and content', async () => {
    const user = userEvent.setup();
    render(<Page />);
    await user.click(screen.getByRole('button', { name: 'Open' }));
    const dialog = screen.getByRole('dialog', { name: 'Rename the lane' });
    expect(dialog).toHaveAttribute('aria-modal', 'true');
    expect(dialog).toHaveClass('dialog', 'card', 'rename-dialog');
    expect(screen.getByRole('heading', { name: 'Rename the lane' })).toBeInTheDocument();
    expect(screen.getByLabelText('Name')).toHaveFocus();
  });

  it('keeps Tab inside, closes on Escape and gives the focus back to the opener', async () => {
    const user = userEvent.setup();
    render(<Page />);
    await user.click(screen.getByRole('button', { name: 'Open' }));
    await user.tab();
    expect(screen.getByRole('button', { name: 'Close' })).toHaveFocus();
    await user.tab();
    expect(screen.getByLabelText('Name'), 'Tab from the last control wraps to the first').toHaveFocus();
    await user.keyboard('{Escape}');
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Open' })).toHaveFocus();
  });

  it('ignores Escape while the caller says so', async () => {
    const user = userEvent.setup();
    render(<Page busy />);
    await user.click(screen.getByRole('button', { name: 'Open' }));
    await user.keyboard('{Escape}');
    expect(screen.getByRole('dialog')).toBeInTheDocument();
  });

  it('hands a click on the backdrop, not one inside the card, to onBackdrop', async () => {
    const user = userEvent.setup();
    const onBackdrop = vi.fn();
    render(<Page onBackdrop={onBackdrop} />);
    await user.click(screen.getByRole('button', { name: 'Open' }));
    fireEvent.mouseDown(screen.getByLabelText('Name'));
    expect(onBackdrop).not.toHaveBeenCalled();
    fireEvent.mouseDown(screen.getByRole('dialog').parentElement as HTMLElement);
    expect(onBackdrop).toHaveBeenCalledTimes(1);
  });
});
