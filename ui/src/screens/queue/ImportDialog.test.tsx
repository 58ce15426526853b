import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { ImportOutcome } from '../../ipc';
import { emitTaskProgress } from '../../ipc/mock';
import { type Call, laneSummary, mockBackend, renderApp } from '../../test/ipc';

const lane = laneSummary({}, { present: true });

const PATH = '/home/ops/incidents/INC-4471/failed.ndjson';

const outcome: ImportOutcome = {
  source: PATH,
  format: 'ndjson',
  import_id: 3,
  records: 120,
  inserted: 117,
  unchanged: 2,
  missing_external_id: 4,
  file_sha256: 'c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00',
};

/** A refused import as the backend replies (ErrorReply with the structured problems). */
const REJECTION = {
  kind: 'invalid_input',
  message: [
    `${PATH}: nothing imported; 4 problems found:`,
    `  ${PATH}:line 3, field \`payload\`: expected a JSON object`,
    `  ${PATH}:line 7, column 14: EOF while parsing a string`,
    `  ${PATH}:line 9, field \`failure.http_status\`: must be between 100 and 599`,
    '  ... and 1 more',
    '',
  ].join('\n'),
  issues: [
    { line: 3, column: null, field: 'payload', message: 'expected a JSON object' },
    { line: 7, column: 14, field: '', message: 'EOF while parsing a string' },
    { line: 9, column: null, field: 'failure.http_status', message: 'must be between 100 and 599' },
  ],
  total: 4,
};

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const count = (calls: Call[], cmd: string) => calls.filter((c) => c.cmd === cmd).length;

async function startImport(calls: Call[], path = PATH) {
  const user = userEvent.setup();
  renderApp();
  await user.click(await screen.findByRole('button', { name: 'Import events…' }));
  const dialog = screen.getByRole('dialog', { name: 'Import events' });
  await user.type(within(dialog).getByLabelText('File path'), path);
  await user.click(within(dialog).getByRole('button', { name: 'Start import' }));
  await waitFor(() => expect(count(calls, 'events_import')).toBe(1));
  const call = calls.find((c) => c.cmd === 'events_import');
  return { user, dialog, taskId: String(call?.args.taskId), args: call?.args };
}

describe('import dialog', () => {
  it('moves the progress bar with the task-progress events of its own task', async () => {
    const answer = deferred<ImportOutcome>();
    const calls = mockBackend({ lanes: [lane], counts: [{ lane_id: lane.lane_id, status: 'failed', count: 5 }], importEvents: () => answer.promise });
    const { dialog, taskId, args } = await startImport(calls);

    expect(args, 'the path goes as typed; auto format is null, so the backend decides from the extension').toMatchObject({ path: PATH, format: null });
    const bar = within(dialog).getByRole('progressbar', { name: 'Bytes read' });
    expect(bar, 'before the first report the bar claims no progress').not.toHaveAttribute('aria-valuenow');

    await emitTaskProgress({ task_id: taskId, done: 250, total: 1000 });
    await waitFor(() => expect(bar, 'a report of 250 of 1000 bytes puts the bar at 250').toHaveAttribute('aria-valuenow', '250'));
    expect(bar.querySelector('.progress-fill'), 'the fill is drawn at the share of bytes read').toHaveStyle({ width: '25.0%' });
    expect(bar, 'the bar says the share in words for screen readers').toHaveAttribute('aria-valuetext', '250 B of 1,000 B read (25%)');

    await emitTaskProgress({ task_id: 'export-other', done: 10, total: 1000 });
    await emitTaskProgress({ task_id: taskId, done: 750, total: 1000 });
    await waitFor(() => expect(bar, 'the next report of this task moves the bar on').toHaveAttribute('aria-valuenow', '750'));
    expect(bar.querySelector('.progress-fill'), "another task's report (an export) never moved it").toHaveStyle({ width: '75.0%' });

    answer.resolve(outcome);
    expect(await within(dialog).findByText('Imported 117 new events'), 'the bar gives way to the outcome').toBeVisible();
  });

  it('Cancel sends task_cancel for the running task, and a cancelled import says nothing was imported', async () => {
    const answer = deferred<ImportOutcome>();
    const calls = mockBackend({
      lanes: [lane],
      importEvents: () => answer.promise,
      taskCancel: () => {
        // What the backend does: the import stops and rejects as cancelled.
        answer.reject({ kind: 'cancelled', message: `cancelled: import of ${PATH}; nothing was imported` });
        return null;
      },
    });
    const { user, dialog, taskId } = await startImport(calls);

    const cancel = within(dialog).getByRole('button', { name: 'Cancel import' });
    expect(cancel, 'keyboard focus moves to Cancel while the import runs, so Enter stops it').toHaveFocus();
    await user.click(cancel);

    expect(
      calls.filter((c) => c.cmd === 'task_cancel').map((c) => c.args),
      'the cancel names the task id the import was started with',
    ).toEqual([{ taskId }]);
    expect(await within(dialog).findByText('Import cancelled; nothing was imported.'), 'the operator learns the database is unchanged').toBeVisible();
  });

  it('a rejected file lists every problem by line, column and field, and says nothing was imported', async () => {
    const calls = mockBackend({
      lanes: [lane],
      counts: [{ lane_id: lane.lane_id, status: 'failed', count: 5 }],
      fail: { events_import: REJECTION },
    });
    const { dialog } = await startImport(calls);

    expect(await within(dialog).findByText('Rejected: nothing was imported'), 'the all-or-nothing result is the heading').toBeVisible();
    expect(within(dialog).getByText(/4 problems in/), 'the total counts the unlisted problem too').toHaveTextContent(
      `4 problems in ${PATH}. The file is imported whole or not at all: fix them and import the file again.`,
    );
    const table = within(within(dialog).getByRole('region', { name: 'Problems by line' })).getByRole('table');
    const rows = within(table)
      .getAllByRole('row')
      .slice(1)
      .map((r) => within(r).getAllByRole('cell').map((c) => c.textContent));
    expect(rows, 'one row per listed problem, its line, column, field and message in their own cells, path prefix gone').toEqual([
      ['3', '', 'payload', 'expected a JSON object'],
      ['7', '14', '', 'EOF while parsing a string'],
      ['9', '', 'failure.http_status', 'must be between 100 and 599'],
    ]);
    expect(within(dialog).getByText('…and 1 more not listed.'), 'problems beyond the listed ones are counted').toBeVisible();
    expect(table, 'the problems are set in monospace, as file positions read best').toHaveClass('mono');
    expect(dialog.textContent, 'no raw backend text (head line, "... and") leaks next to the table').not.toContain('nothing imported;');
  });

  it('a successful import shows its counts and refreshes counts, queue pages and lanes', async () => {
    const answer = deferred<ImportOutcome>();
    const calls = mockBackend({
      lanes: [lane],
      counts: [{ lane_id: lane.lane_id, status: 'failed', count: 5 }],
      importEvents: () => answer.promise,
    });
    const { dialog } = await startImport(calls);
    const before = { counts: count(calls, 'event_counts'), pages: count(calls, 'events_list'), lanes: count(calls, 'lanes_list') };

    answer.resolve(outcome);
    const heading = await within(dialog).findByRole('heading', { name: 'Imported 117 new events' });
    expect(heading, 'focus lands on the outcome, so a keyboard user hears it').toHaveFocus();
    const value = (term: string) => within(dialog).getByText(term, { selector: 'dt' }).nextElementSibling;
    expect(value('Inserted'), 'new records').toHaveTextContent('117');
    expect(value('Already present'), 'records already stored are counted, not added again').toHaveTextContent('2');
    expect(value('Missing external ID'), 'inserted events that will be blocked are announced').toHaveTextContent('4');
    expect(value('Records in the file'), 'everything read').toHaveTextContent('120');

    await waitFor(() => {
      expect(count(calls, 'event_counts'), 'the counts are asked again after the import').toBeGreaterThan(before.counts);
      expect(count(calls, 'events_list'), 'the queue pages are reloaded from the first').toBeGreaterThan(before.pages);
      expect(count(calls, 'lanes_list'), 'the lanes (and their counts in the sidebar) are asked again').toBeGreaterThan(before.lanes);
    });
  });

  it('accepts only an absolute path, and the chosen format is sent', async () => {
    const user = userEvent.setup();
    const calls = mockBackend({ lanes: [lane], importEvents: () => outcome });
    renderApp();
    await user.click(await screen.findByRole('button', { name: 'Import events…' }));
    const dialog = screen.getByRole('dialog', { name: 'Import events' });
    const path = within(dialog).getByLabelText('File path');
    expect(path, 'the path field takes focus on opening').toHaveFocus();
    await user.type(path, 'failed.csv');
    expect(within(dialog).getByRole('button', { name: 'Start import' }), 'a relative path would be resolved against the app, not the operator: refused').toBeDisabled();
    expect(within(dialog).getByText(/Give the full path/), 'and the form says why').toBeVisible();

    await user.clear(path);
    await user.type(path, '/srv/exports/failed.txt');
    await user.selectOptions(within(dialog).getByLabelText('Format'), 'csv');
    // Enter in the path field starts the import: the form works without a mouse.
    await user.type(path, '{Enter}');
    await waitFor(() => expect(count(calls, 'events_import')).toBe(1));
    expect(calls.find((c) => c.cmd === 'events_import')?.args, 'an explicit format overrides the extension').toMatchObject({
      path: '/srv/exports/failed.txt',
      format: 'csv',
    });
  });

  it('Choose file… fills the path from the native open dialog; the path stays typed text', async () => {
    const asked: Record<string, unknown>[] = [];
    let answer: string | null = PATH;
    const calls = mockBackend({
      lanes: [lane],
      openDialog: (options) => {
        asked.push(options);
        return answer;
      },
      importEvents: () => outcome,
    });
    const user = userEvent.setup();
    renderApp();
    await user.click(await screen.findByRole('button', { name: 'Import events…' }));
    const dialog = screen.getByRole('dialog', { name: 'Import events' });
    const input = within(dialog).getByLabelText<HTMLInputElement>('File path');

    await user.click(within(dialog).getByRole('button', { name: 'Choose file…' }));
    await waitFor(() => expect(input.value, 'the chosen file fills the path field').toBe(PATH));
    expect(asked[0], 'one file, event files first').toMatchObject({
      multiple: false,
      directory: false,
      filters: [{ name: 'Event files (NDJSON, JSON, CSV)', extensions: ['ndjson', 'jsonl', 'json', 'csv'] }, { name: 'All files', extensions: ['*'] }],
    });
    expect(input, 'focus returns to the path, to edit or to press Enter').toHaveFocus();

    answer = null;
    await user.click(within(dialog).getByRole('button', { name: 'Choose file…' }));
    await waitFor(() => expect(asked).toHaveLength(2));
    expect(input.value, 'cancelling the dialog keeps the path').toBe(PATH);

    await user.click(within(dialog).getByRole('button', { name: 'Start import' }));
    await waitFor(() => expect(count(calls, 'events_import')).toBe(1));
    expect(calls.find((c) => c.cmd === 'events_import')?.args, 'the import reads the chosen file').toMatchObject({ path: PATH });
  });

  it('a dialog that fails says so and leaves the typed path to use', async () => {
    mockBackend({ lanes: [lane], fail: { 'plugin:dialog|open': { kind: 'internal', message: 'no portal' } } });
    const user = userEvent.setup();
    renderApp();
    await user.click(await screen.findByRole('button', { name: 'Import events…' }));
    const dialog = screen.getByRole('dialog', { name: 'Import events' });
    await user.type(within(dialog).getByLabelText('File path'), '/tmp/a.ndjson');
    await user.click(within(dialog).getByRole('button', { name: 'Choose file…' }));
    expect(await within(dialog).findByRole('alert')).toHaveTextContent('The file dialog failed: no portal. Type the path instead.');
    expect(within(dialog).getByLabelText<HTMLInputElement>('File path').value).toBe('/tmp/a.ndjson');
  });
});
