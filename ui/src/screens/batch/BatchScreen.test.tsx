import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { AuditQuery, BatchDetail, BatchRunRequest, BatchSummary, LaneSummary, Selection } from '../../ipc';
import { emitTaskProgress } from '../../ipc/mock';
import { batchDetail, batchEvent, batchListItem, batchPlan, batchSummary, LANE } from '../../test/batch';
import { eventDetail, mockBackend, renderApp, summary as eventSummary, type Call } from '../../test/ipc';

/** A run the test finishes by hand, to look at the screen while it runs. */
function pendingRun() {
  const state: { request: BatchRunRequest | null; taskId: string | null; resolve: (s: BatchSummary) => void } = {
    request: null,
    taskId: null,
    resolve: () => undefined,
  };
  const answer = (request: BatchRunRequest, taskId: string) => {
    state.request = request;
    state.taskId = taskId;
    return new Promise<BatchSummary>((resolve) => {
      state.resolve = resolve;
    });
  };
  return { state, answer };
}

/** The history lists one batch; opening it shows `detail` (a mutable box, so a test can change what batch_show says). */
async function openBatch(box: { detail: BatchDetail }, extra: Parameters<typeof mockBackend>[0] = {}) {
  const user = userEvent.setup();
  const calls = mockBackend({
    batchList: () => ({ batches: [batchListItem({ batch_id: box.detail.batch_id, status: box.detail.status })], next_before: null }),
    batchShow: () => box.detail,
    ...extra,
  });
  renderApp('batches');
  await user.click(await screen.findByRole('row', { name: `Batch ${box.detail.batch_id}` }));
  await screen.findByRole('heading', { name: `Batch ${box.detail.batch_id}` });
  return { user, calls };
}

async function fillForm(user: ReturnType<typeof userEvent.setup>) {
  const form = screen.getByRole('form', { name: /the batch/ });
  await user.type(within(form).getByLabelText('Operator'), 'Dana Ops');
  await user.type(within(form).getByLabelText('Reason'), 'INC-4711: billing outage');
  for (const box of within(form).getAllByRole('checkbox')) await user.click(box);
  return form;
}

const runButton = (form: HTMLElement) => within(form).getByRole('button', { name: /Run batch|Resume batch|Running/ });

describe('batch screen', () => {
  it('a batch of a whole lane renders its events 500 at a time, with a way to show more', async () => {
    const events = Array.from({ length: 620 }, (_, i) =>
      batchEvent({ event_id: i + 1, external_id: `BA-${i + 1}`, blocking: i % 100 === 0 ? ['external_id_missing'] : [] }),
    );
    const { user } = await openBatch({ detail: batchDetail({ events }) });
    const table = screen.getByRole('table', { name: 'Batch events' });
    const rows = () => within(table).getAllByRole('row').length - 1;
    expect(rows(), 'the first 500 rows only').toBe(500);
    expect(screen.getByText(/Showing 500 of 620 events/), 'the page says how many are not shown').toBeVisible();
    await user.click(screen.getByRole('button', { name: 'Show 120 more' }));
    expect(rows(), 'then the rest').toBe(620);
    expect(screen.queryByText(/Showing .* of/), 'nothing left to show').toBeNull();
    await user.click(screen.getByRole('button', { name: /^Blocked/ }));
    expect(rows(), 'a filter shows its own events (7 blocked), from its first page').toBe(7);
  }, 30_000);


  it('shows the aggregate: would update, create, blocked by finding, owner, protected fields, warnings', async () => {
    await openBatch({ detail: batchDetail() });
    const agg = screen.getByRole('region', { name: 'What the batch would do' });
    const tile = (label: string) => within(agg).getByText(label).closest('.batch-tile');
    expect(tile('Would update'), '4 found records are updated (event 43 with a warning included)').toHaveTextContent('4');
    expect(tile('Would create'), 'one event creates a record').toHaveTextContent('1');
    expect(tile('Blocked'), 'three events are blocked and skipped').toHaveTextContent('3');
    expect(tile('Change owner'), 'no event changes an owner').toHaveTextContent('0');
    expect(tile('Touch protected fields'), 'the protected field conflict counts').toHaveTextContent('1');
    const blockedBy = within(agg).getByRole('list', { name: 'Blocked by finding' });
    expect(within(blockedBy).getAllByRole('listitem').map((li) => li.textContent), 'each blocking finding with its count').toEqual([
      '1duplicate_conflict_detectedSeveral records match',
      '1external_id_missingNo external ID',
      '1protected_field_conflictWould overwrite a protected field',
    ]);
    const warnings = within(agg).getByRole('list', { name: 'Warnings, over the events that would be written' });
    expect(warnings, 'warnings are counted by code').toHaveTextContent('1owner_inactiveOwner is inactive');
    expect(screen.getByRole('group', { name: 'Batch preflight freshness' }), 'the preflight time, token and expiry are shown').toHaveTextContent(
      /Preflight taken .* by Dana Ops.*edb685e13dae.*fresh for \d+:\d\d \(until \d\d:\d\d:\d\d UTC\)/,
    );
    const rows = within(screen.getByRole('table', { name: 'Batch events' })).getAllByRole('row');
    expect(rows, 'one row per event, plus the header').toHaveLength(9);
    expect(rows[2], 'a blocked row names its finding').toHaveTextContent('protected_field_conflict');
  });

  it('keeps Run disabled, saying why, until operator, reason and every kind of side effect are given', async () => {
    const run = pendingRun();
    const { user } = await openBatch({ detail: batchDetail() }, { batchExecute: run.answer });
    const form = screen.getByRole('form', { name: 'Run the batch' });
    const button = runButton(form);
    // The gate's sentence is the button's description (aria-describedby), shown beside it.
    const saysWhy = (text: string, why: string) => expect(button, why).toHaveAccessibleDescription(text);
    expect(button, 'nothing filled in').toBeDisabled();
    saysWhy('Enter the operator name.', 'the first missing thing is said beside the button');
    await user.type(within(form).getByLabelText('Operator'), 'Dana Ops');
    saysWhy('Give the reason for this batch replay.', 'the next missing thing');
    await user.type(within(form).getByLabelText('Reason'), 'INC-4711');
    saysWhy('Acknowledge every kind of side effect.', 'the next missing thing');
    const boxes = within(form).getAllByRole('checkbox');
    expect(
      boxes.map((b) => b.getAttribute('data-code')),
      'one checkbox per kind of side effect of the writable events (the blocked ones have none)',
    ).toEqual(['update_fields', 'owner_unchanged', 'assignment_suppressed', 'conditional_write', 'automation_runs', 'writes_as', 'creates_record', 'assignment_runs']);
    expect(within(form).getByText(/Creates new records/), 'each kind says how many events have it').toHaveTextContent('(1 event)');
    for (const b of boxes.slice(1)) await user.click(b);
    saysWhy('Acknowledge every kind of side effect (1 of 8 not ticked).', 'the next missing thing');
    await user.click(boxes[0]!);
    const concurrency = within(form).getByLabelText('Concurrency');
    expect(concurrency, 'concurrency starts at the backend default').toHaveValue(4);
    await user.clear(concurrency);
    await user.type(concurrency, '100');
    saysWhy('Concurrency is a whole number from 1 to 64.', 'the next missing thing');
    expect(button).toBeDisabled();
    await user.clear(concurrency);
    await user.type(concurrency, '2');
    expect(button, 'all filled in: enabled').toBeEnabled();
    expect(button, 'the button says how many events it writes').toHaveTextContent('Run batch: write 5 events');
    await user.click(button);
    await waitFor(() =>
      expect(run.state.request, 'the request carries the batch token and the form').toEqual({
        ack_token: 'edb685e13dae',
        operator: 'Dana Ops',
        reason: 'INC-4711',
        concurrency: 2,
        // Each kind ticked, by code: the backend refuses a run with one left out.
        acknowledged: [...new Set(batchDetail().events.filter((e) => e.blocking.length === 0).flatMap((e) => e.side_effects))].sort(),
      }),
    );
  });

  it('shows progress of its own task, cancels it, and offers to resume the cancelled batch', async () => {
    const run = pendingRun();
    const box = { detail: batchDetail() };
    const { user, calls } = await openBatch(box, { batchExecute: run.answer });
    await user.click(runButton(await fillForm(user)));
    await waitFor(() => expect(run.state.taskId, 'the run was started with a task id').not.toBeNull());
    const taskId = run.state.taskId ?? '';

    const bar = await screen.findByRole('progressbar', { name: 'Batch progress' });
    await emitTaskProgress({ task_id: taskId, done: 2, total: 8 });
    await waitFor(() => expect(bar, '2 of 8 events done is 25%').toHaveAttribute('aria-valuenow', '25'));
    await emitTaskProgress({ task_id: 'someone-elses-export', done: 7, total: 8 });
    await emitTaskProgress({ task_id: taskId, done: 4, total: 8 });
    await waitFor(() => expect(bar, 'only this task moves the bar').toHaveAttribute('aria-valuenow', '50'));
    expect(screen.getByText(/4 of 8 events/), 'the count is beside the bar').toBeVisible();
    expect(runButton(screen.getByRole('form', { name: /the batch/ })), 'no second run while one is in progress').toBeDisabled();

    await user.click(screen.getByRole('button', { name: 'Cancel' }));
    await waitFor(() =>
      expect(
        calls.filter((c) => c.cmd === 'task_cancel').map((c) => c.args.taskId),
        'Cancel asks the backend to cancel this run',
      ).toEqual([taskId]),
    );
    expect(screen.getByRole('button', { name: 'Cancelling…' }), 'the cancel is shown as under way').toBeDisabled();
    expect(screen.getByText(/writes in flight settle/), 'and says in-flight writes settle').toBeVisible();

    box.detail = { ...box.detail, status: 'cancelled', operator: 'Dana Ops', reason: 'INC-4711: billing outage' };
    run.state.resolve(
      batchSummary({
        status: 'cancelled',
        message: 'cancelled by the operator; in-flight writes were let settle',
        updated: [5, 43],
        created: [],
        changed_since_preflight: [],
        not_started: [94, 120, 140],
      }),
    );
    const summaryCard = await screen.findByRole('region', { name: 'Batch summary' });
    expect(summaryCard, 'the summary says how the run ended').toHaveTextContent('Cancelled');
    expect(within(summaryCard).getByRole('heading', { level: 3 }), 'the summary takes the focus (and the view) when the run ends').toHaveFocus();
    expect(within(summaryCard).getByRole('group', { name: 'Not started' }), 'what was not reached is listed').toHaveTextContent('94120140');
    expect(screen.queryByRole('progressbar'), 'the bar is gone once the run ended').toBeNull();
    const form = await screen.findByRole('form', { name: 'Resume the batch' });
    expect(within(form).getByLabelText('Reason'), 'a resume keeps the reason given').toHaveValue('INC-4711: billing outage');
  });

  it('lists every outcome of the summary, each event one click away, and says which need Verify', async () => {
    const box = {
      detail: batchDetail({
        status: 'stopped',
        summary: batchSummary({
          status: 'stopped',
          message: 'stopped after 10 consecutive failures (the last: Salesforce rejected the write)',
          updated: [5],
          created: [120],
          changed_since_preflight: [140],
          rejected: [{ event_id: 43, code: 'FIELD_CUSTOM_VALIDATION_EXCEPTION', message: 'Phone is invalid' }],
          unknown_outcome: [94],
        }) as unknown as BatchDetail['summary'],
      }),
    };
    const { user } = await openBatch(box, { event: (id) => eventDetail({ id, status: 'unknown_outcome' }) });
    const card = screen.getByRole('region', { name: 'Batch summary' });
    expect(card).toHaveTextContent('Stopped');
    expect(card).toHaveTextContent('stopped after 10 consecutive failures');
    const group = (name: string) => within(card).getByRole('group', { name });
    expect(group('Updated')).toHaveTextContent('5');
    expect(group('Created')).toHaveTextContent('120');
    const blocked = group('Blocked: skipped, never written');
    expect(blocked, 'blocked events are grouped by their finding, each group counted').toHaveTextContent(
      'protected_field_conflict (1)21duplicate_conflict_detected (1)113external_id_missing (1)131',
    );
    expect(within(blocked).getByRole('button', { name: 'Open event 21 (protected_field_conflict)' }), 'each id opens its event').toBeVisible();
    expect(group('Changed since the preflight (412)')).toHaveTextContent('140');
    expect(group('Rejected by Salesforce'), 'rejections under their code').toHaveTextContent('FIELD_CUSTOM_VALIDATION_EXCEPTION (1)43');
    expect(group('Unknown outcome: needs Verify'), 'an unknown outcome says to run Verify').toHaveTextContent(/run Verify/);
    expect(within(card).queryByRole('group', { name: 'Not started' }), 'an empty list is not shown').toBeNull();

    await user.click(within(group('Unknown outcome: needs Verify')).getByRole('button', { name: 'Open event 94' }));
    await screen.findByRole('heading', { name: 'Event 94' });
    await user.click(screen.getByRole('button', { name: 'Batch' }));
    expect(await screen.findByRole('heading', { name: 'Batch 3' }), 'back from the event lands on the batch').toBeVisible();
  });

  it('opens the audit screen filtered by the batch', async () => {
    const { user, calls } = await openBatch({ detail: batchDetail() });
    await user.click(screen.getByRole('button', { name: 'Audit entries of this batch' }));
    await screen.findByRole('grid', { name: 'Audit entries' });
    await waitFor(() =>
      expect(
        calls.filter((c) => c.cmd === 'audit_list').map((c) => (c.args.query as AuditQuery).filter),
        'the audit list asks for the batch’s entries',
      ).toContainEqual({ batch_id: 3 }),
    );
    const bar = screen.getByRole('search', { name: 'Filter audit entries' });
    expect(within(bar).getByLabelText('Batch'), 'the filter bar shows the batch id').toHaveValue('3');
  });

  it('a stale batch cannot run and offers a new batch preflight with the same selection', async () => {
    const selections: Selection[] = [];
    const fresh = batchDetail({ batch_id: 4 });
    const { user } = await openBatch(
      { detail: batchDetail({}, Date.now(), 20) },
      {
        batchPreflight: (s) => {
          selections.push(s);
          return batchPlan(fresh);
        },
        batchShow: (id) => (id === 4 ? fresh : batchDetail({}, Date.now(), 20)),
      },
    );
    expect(screen.getByRole('group', { name: 'Batch preflight freshness' })).toHaveTextContent(/stale since/);
    expect(runButton(screen.getByRole('form', { name: 'Run the batch' }))).toBeDisabled();
    await user.click(screen.getByRole('button', { name: 'New batch preflight' }));
    await user.click(await screen.findByRole('button', { name: 'Run batch preflight' }));
    expect(await screen.findByRole('heading', { name: 'Batch 4' }), 'the new batch opens').toBeVisible();
    expect(selections, 'the new preflight takes the stale batch’s selection').toEqual([
      { lane_id: LANE, status: 'failed', reason_code: 'SERVER_UNAVAILABLE', ids: null },
    ]);
  });
});

const lane = { lane_id: LANE } as LaneSummary;

describe('batch replay from the queue', () => {
  async function queueOn(laneId: string, calls: () => Call[]) {
    const user = userEvent.setup();
    renderApp();
    await screen.findByRole('button', { name: `${laneId}: Failed, 28` });
    await user.click(screen.getByRole('button', { name: `${laneId}: Failed, 28` }));
    return { user, calls };
  }

  /** The queue with 28 failed events of the lane, whose batch preflight plans this batch. */
  const queueWithBatch = (detail: BatchDetail) =>
    mockBackend({
      lanes: [lane],
      counts: [{ lane_id: LANE, status: 'failed', count: 28 }],
      events: () => ({ events: [eventSummary({ id: 5 })], next_cursor: null }),
      batchPreflight: () => batchPlan(detail),
      batchShow: () => detail,
    });

  it('takes the queue’s lane, status and reason code, runs the batch preflight and opens the batch', async () => {
    const detail = batchDetail();
    const calls = queueWithBatch(detail);
    const { user } = await queueOn(LANE, () => calls);
    await user.type(screen.getByLabelText('Failure reason code'), 'SERVER_UNAVAILABLE{Enter}');
    await user.click(await screen.findByRole('button', { name: 'Batch replay…' }));

    const start = await screen.findByRole('region', { name: 'Batch preflight' });
    expect(start, 'the selection is the queue’s filter').toHaveTextContent(/account_sync_north_america.*failed.*SERVER_UNAVAILABLE/);
    await user.click(within(start).getByRole('button', { name: 'Run batch preflight' }));
    await screen.findByRole('heading', { name: 'Batch 3' });
    expect(
      calls.filter((c) => c.cmd === 'batch_preflight').map((c) => c.args.selection),
      'one batch preflight over the lane, status and reason code',
    ).toEqual([{ lane_id: LANE, status: 'failed', reason_code: 'SERVER_UNAVAILABLE', ids: null }]);
    expect(screen.getByRole('region', { name: 'What the batch would do' }), 'the aggregate follows').toBeVisible();

    await user.click(screen.getByRole('button', { name: 'Queue' }));
    expect(await screen.findByRole('button', { name: 'Batch replay…' }), 'back lands on the queue, its filter kept').toBeVisible();
  });

  it('carries an approved override into the batch preflight when asked, and says where it applies', async () => {
    const detail = batchDetail();
    const calls = queueWithBatch(detail);
    const { user } = await queueOn(LANE, () => calls);
    await user.click(await screen.findByRole('button', { name: 'Batch replay…' }));
    const start = await screen.findByRole('region', { name: 'Batch preflight' });
    await user.click(within(start).getByRole('checkbox', { name: /approved override/ }));
    expect(start, 'where the override applies, and whose rules decide').toHaveTextContent('owner_override_allowed_only_when');
    await user.type(within(start).getByLabelText('Reassignment reason'), 'finance corrected tiers');
    await user.type(within(start).getByLabelText(/^Approved by/), 'VP RevOps');
    await user.click(within(start).getByRole('button', { name: 'Run batch preflight' }));
    await screen.findByRole('heading', { name: 'Batch 3' });
    expect(
      calls.filter((c) => c.cmd === 'batch_preflight').map((c) => (c.args.selection as Selection).override_request),
      'the override travels with the selection the token binds',
    ).toEqual([{ reassignment_reason: 'finance corrected tiers', approved_by: 'VP RevOps' }]);
  });

  it('says why a batch preflight failed, as a sentence by kind, and a new opening starts afresh', async () => {
    const calls = mockBackend({
      lanes: [lane],
      counts: [{ lane_id: LANE, status: 'failed', count: 28 }],
      fail: { batch_preflight: { kind: 'keychain_unavailable', message: 'no keychain: the Secret Service is not running' } },
    });
    const { user } = await queueOn(LANE, () => calls);
    await user.click(screen.getByRole('button', { name: 'Batch replay…' }));
    await user.click(await screen.findByRole('button', { name: 'Run batch preflight' }));
    expect(await screen.findByRole('alert'), 'the error is titled by its kind and keeps the backend’s message').toHaveTextContent(
      'Batch preflight: The keychain is not availableno keychain: the Secret Service is not running',
    );
    // Through the sidebar, not the back button: the batch screen stays mounted meanwhile.
    await user.click(within(screen.getByRole('navigation', { name: 'Main' })).getByRole('button', { name: /^Queue/ }));
    await user.click(await screen.findByRole('button', { name: 'Batch replay…' }));
    await screen.findByRole('button', { name: 'Run batch preflight' });
    expect(screen.queryByRole('alert'), 'the earlier failure is not shown on a new opening').toBeNull();
  });

  it('says clearly that a text search is not part of the batch', async () => {
    const calls = mockBackend({
      lanes: [lane],
      counts: [{ lane_id: LANE, status: 'failed', count: 28 }],
      events: () => ({ events: [eventSummary({ id: 5 })], next_cursor: null }),
    });
    const { user } = await queueOn(LANE, () => calls);
    await user.type(screen.getByRole('searchbox'), 'BA-100{Enter}');
    expect(await screen.findByText(/the search “BA-100” is left out/), 'the queue says it beside the button').toBeVisible();
    await user.click(screen.getByRole('button', { name: 'Batch replay…' }));
    expect(await screen.findByRole('note'), 'and the batch screen says it again').toHaveTextContent(/“BA-100” is not part of the batch/);
  });

  it('is not offered for statuses a batch does not replay', async () => {
    const calls = mockBackend({
      lanes: [lane],
      counts: [
        { lane_id: LANE, status: 'failed', count: 28 },
        { lane_id: LANE, status: 'replayed', count: 3 },
      ],
    });
    const { user } = await queueOn(LANE, () => calls);
    expect(screen.getByRole('button', { name: 'Batch replay…' }), 'failed events of a lane can be batched').toBeEnabled();
    await user.click(screen.getByRole('button', { name: `${LANE}: Replayed, 3` }));
    expect(screen.getByRole('button', { name: 'Batch replay…' }), 'replayed ones cannot').toBeDisabled();
    expect(screen.getByText(/not replayed ones/), 'and the queue says why').toBeVisible();
  });
});

describe('batch history', () => {
  it('lists batches newest first with their counts, and loads older ones on demand', async () => {
    const calls = mockBackend({
      batchList: (before) =>
        before === null
          ? { batches: [batchListItem({ batch_id: 9, status: 'paused', attempts: { applied: 120, unknown_outcome: 1 } }), batchListItem({ batch_id: 8 })], next_before: 8 }
          : { batches: [batchListItem({ batch_id: 2, status: 'cancelled', operator: null })], next_before: null },
    });
    const user = userEvent.setup();
    renderApp('batches');
    const nine = await screen.findByRole('row', { name: 'Batch 9' });
    const cells = within(nine).getAllByRole('cell').map((c) => c.textContent);
    expect(cells, 'id, lane, time, operator, status, events, written, blocked, changed, rejected, unknown').toEqual([
      '9',
      LANE,
      '2026-11-20 10:00:00',
      'Dana Ops',
      'Paused',
      '8',
      '120',
      '3',
      '0',
      '0',
      '1',
    ]);
    await user.click(screen.getByRole('button', { name: 'Load older batches' }));
    const two = await screen.findByRole('row', { name: 'Batch 2' });
    expect(two, 'a batch never run shows who planned it').toHaveTextContent('Dana Ops (planned)');
    expect(
      calls.filter((c) => c.cmd === 'batch_list').map((c) => c.args.before),
      'the second page continues before the last id seen (keyset)',
    ).toEqual([null, 8]);
  });
});
