import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { mockBackend, renderApp } from '../test/ipc';

const FOLDER = { path: '/home/operator/.local/state/replay-console/logs', files: [{ name: 'replay-console.2026-11-30.log', bytes: 2048 }] };

describe('open log folder', () => {
  it('opens the folder through the backend and names it in the tooltip', async () => {
    const calls = mockBackend({ logFolder: () => FOLDER, openLogFolder: () => FOLDER });
    const user = userEvent.setup();
    renderApp();
    const section = await screen.findByRole('region', { name: 'Log files' });
    const button = within(section).getByRole('button', { name: 'Open log folder' });
    await waitFor(() => expect(button).toHaveAttribute('title', `Log files: ${FOLDER.path}`));
    await user.click(button);
    await waitFor(() => expect(calls.filter((c) => c.cmd === 'log_folder_open')).toHaveLength(1));
    expect(within(section).queryByRole('alert'), 'no error when it opened').toBeNull();
  });

  it('says the folder in full when no file manager opens it', async () => {
    const message = `\`xdg-open\` could not open ${FOLDER.path} (exit status: 3): no file manager is set up for folders here; open it by hand`;
    mockBackend({ logFolder: () => FOLDER, fail: { log_folder_open: { kind: 'internal', message } } });
    const user = userEvent.setup();
    renderApp();
    const section = await screen.findByRole('region', { name: 'Log files' });
    await user.click(within(section).getByRole('button', { name: 'Open log folder' }));
    expect(await within(section).findByRole('alert')).toHaveTextContent(message);
  });
});
