import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { AuditExportOutcome, AuditExportRequest } from '../../ipc';
import { emitTaskProgress } from '../../ipc/mock';
import { auditEntry, exportOutcome } from '../../test/audit';
import { mockBackend, renderApp } from '../../test/ipc';

/** An export the test finishes by hand, to look at the dialog while it runs. */
function pendingExport() {
  const state: {
    request: AuditExportRequest | null;
    taskId: string | null;
    resolve: (o: AuditExportOutcome) => void;
    reject: (e: unknown) => void;
  } = { request: null, taskId: null, resolve: () => undefined, reject: () => undefined };
  const answer = (request: AuditExportRequest, taskId: string) => {
    state.request = request;
    state.taskId = taskId;
    return new Promise<AuditExportOutcome>((resolve, reject) => {
      state.resolve = resolve;
      state.reject = reject;
    });
  };
  return { state, answer };
}

async function openDialog() {
  const user = userEvent.setup();
  renderApp('audit');
  await screen.findByRole('grid', { name: 'Audit entries' });
  await user.click(screen.getByRole('button', { name: 'Export…' }));
  const dialog = await screen.findByRole('dialog', { name: 'Export the audit log' });
  const path = within(dialog).getByLabelText<HTMLInputElement>('Write to (absolute path)');
  // The home folder arrives from the backend; the suggestion is absolute once it has.
  await waitFor(() =>
    expect(path.value, 'the suggested file is in the home folder, named by the UTC time').toMatch(
      /^\/home\/operator\/replay-console-export-\d{8}T\d{6}Z\.csv$/,
    ),
  );
  return { user, dialog, path };
}

describe('export dialog', () => {
  it('moves the bar with the task’s progress events, and Cancel cancels that task', async () => {
    const job = pendingExport();
    const calls = mockBackend({ auditList: () => ({ entries: [auditEntry({ seq: 1 })], next_after: null }), auditExport: job.answer });
    const { user, dialog } = await openDialog();

    await user.click(within(dialog).getByRole('button', { name: 'Start export' }));
    await waitFor(() => expect(job.state.taskId, 'the export was started with a task id').not.toBeNull());
    const taskId = job.state.taskId ?? '';

    await emitTaskProgress({ task_id: taskId, done: 250, total: 1000 });
    const bar = within(dialog).getByRole('progressbar', { name: 'Exporting' });
    await waitFor(() => expect(bar, 'a quarter done moves the bar to 25%').toHaveAttribute('aria-valuenow', '25'));
    await emitTaskProgress({ task_id: 'someone-elses-import', done: 900, total: 1000 });
    await emitTaskProgress({ task_id: taskId, done: 600, total: 1000 });
    await waitFor(() => expect(bar, 'only this task’s events move the bar (the other task said 90%)').toHaveAttribute('aria-valuenow', '60'));
    expect(within(dialog).getByText(/600 of 1,000 entries/), 'the count is shown beside the bar').toBeVisible();

    await user.click(within(dialog).getByRole('button', { name: 'Cancel export' }));
    const cancels = calls.filter((c) => c.cmd === 'task_cancel');
    expect(cancels.map((c) => c.args.taskId), 'Cancel sets the cancel flag of this export’s task, once').toEqual([taskId]);

    job.state.reject({ kind: 'cancelled', message: 'export cancelled; no file was written' });
    expect(await within(dialog).findByText(/Export cancelled: no file was written/), 'a cancel is reported as such, not as a failure').toBeVisible();
    expect(within(dialog).queryByRole('alert'), 'no error banner for a cancel the user asked for').toBeNull();
  });

  it('shows the manifest and the offline check after a successful export', async () => {
    const job = pendingExport();
    const calls = mockBackend({ auditList: () => ({ entries: [auditEntry({ seq: 1 })], next_after: null }), auditExport: job.answer });
    const { user, dialog, path } = await openDialog();

    await user.click(within(dialog).getByLabelText(/NDJSON/));
    expect(path.value, 'choosing NDJSON changes the suggested file’s extension').toMatch(/\.ndjson$/);
    await user.clear(path);
    await user.type(path, '/srv/incidents/INC-4471/audit.ndjson');
    await user.click(within(dialog).getByRole('button', { name: 'Start export' }));
    await waitFor(() => expect(job.state.request).not.toBeNull());
    expect(
      job.state.request,
      'the request carries the format, the path as typed, the current (empty) filter, and no overwrite unless ticked',
    ).toEqual({
      format: 'ndjson',
      out: '/srv/incidents/INC-4471/audit.ndjson',
      filter: {},
      incident_window: null,
      force: false,
    });
    expect(calls.filter((c) => c.cmd === 'audit_export'), 'one export, one call').toHaveLength(1);

    job.state.resolve(exportOutcome(job.state.request!, 1200, 1, 1200));
    const manifest = await within(dialog).findByLabelText('Export manifest');
    expect(within(manifest).getByText(/Exported 1,200 entries as NDJSON/), 'the count and format lead the manifest').toBeVisible();
    expect(within(manifest).getByText(/seq 1–1,200/), 'the sequence range').toBeVisible();
    expect(within(manifest).getByText('/srv/incidents/INC-4471/audit.ndjson.manifest.json'), 'where the manifest is').toBeVisible();
    expect(within(manifest).getByText(exportOutcome(job.state.request!, 1200, 1, 1200).manifest.sha256), 'the file’s SHA-256, in full').toBeVisible();
    expect(within(manifest).getByText(/signed/), 'the checkpoint the export carries').toBeVisible();
    expect(
      within(manifest).getByText('replay-console audit verify-export /srv/incidents/INC-4471/audit.ndjson'),
      'the command that checks the file offline',
    ).toBeVisible();
  });

  it('refuses a relative path before any call, saying what to write', async () => {
    const calls = mockBackend({ auditList: () => ({ entries: [auditEntry({ seq: 1 })], next_after: null }) });
    const { user, dialog, path } = await openDialog();

    await user.clear(path);
    await user.type(path, 'exports/audit.csv');
    await user.click(within(dialog).getByRole('button', { name: 'Start export' }));

    expect(within(dialog).getByRole('alert'), 'the reason is a sentence the user can act on').toHaveTextContent(
      '“exports/audit.csv” is not an absolute path: write the full path',
    );
    expect(calls.filter((c) => c.cmd === 'audit_export'), 'nothing is sent to the backend').toHaveLength(0);

    await user.clear(path);
    await user.type(path, '~/audit.csv');
    await user.click(within(dialog).getByRole('button', { name: 'Start export' }));
    expect(within(dialog).getByRole('alert'), 'a ~ path is explained: no shell expands it here').toHaveTextContent(/starts with ~/);
    expect(calls.filter((c) => c.cmd === 'audit_export'), 'still nothing sent').toHaveLength(0);
  });

  it('exports an incident window instead of the filters', async () => {
    const job = pendingExport();
    mockBackend({ auditList: () => ({ entries: [auditEntry({ seq: 1 })], next_after: null }), auditExport: job.answer });
    const { user, dialog } = await openDialog();

    await user.click(within(dialog).getByLabelText(/An incident window/));
    await user.type(within(dialog).getByLabelText('From (UTC)'), '2026-11-20 09:00');
    await user.type(within(dialog).getByLabelText('To (UTC)'), '2026-11-20T12:00Z');
    await user.click(within(dialog).getByRole('button', { name: 'Start export' }));

    await waitFor(() => expect(job.state.request).not.toBeNull());
    expect(job.state.request?.incident_window, 'the window goes as FROM..TO in the stored form').toBe(
      '2026-11-20T09:00:00.000Z..2026-11-20T12:00:00.000Z',
    );
    expect(job.state.request?.filter, 'the window is not combined with since/until (the backend refuses that)').toEqual({});
  });

  it('Choose… opens the native save dialog at the suggested file and takes the path it returns', async () => {
    const job = pendingExport();
    const asked: Record<string, unknown>[] = [];
    let answer: string | null = '/srv/incidents/INC-4471/audit.csv';
    mockBackend({
      auditList: () => ({ entries: [auditEntry({ seq: 1 })], next_after: null }),
      auditExport: job.answer,
      saveDialog: (options) => {
        asked.push(options);
        return answer;
      },
    });
    const { user, dialog, path } = await openDialog();
    const suggested = path.value;

    await user.click(within(dialog).getByRole('button', { name: 'Choose…' }));
    await waitFor(() => expect(path.value, 'the chosen file fills the path field').toBe('/srv/incidents/INC-4471/audit.csv'));
    expect(asked[0], 'the dialog starts at the suggestion and offers the format chosen').toMatchObject({
      defaultPath: suggested,
      filters: [{ name: 'CSV', extensions: ['csv'] }],
    });

    answer = null;
    await user.click(within(dialog).getByRole('button', { name: 'Choose…' }));
    await waitFor(() => expect(asked).toHaveLength(2));
    expect(path.value, 'a cancelled dialog leaves the path as it was').toBe('/srv/incidents/INC-4471/audit.csv');

    await user.click(within(dialog).getByRole('button', { name: 'Start export' }));
    await waitFor(() => expect(job.state.request?.out, 'the export writes where the dialog said').toBe('/srv/incidents/INC-4471/audit.csv'));
  });
});
