// Dev-only entry (preview.html, `npm run build:preview`): the app over a mocked IPC, to look at
// the screens in a browser. URL parameters:
//   ?n=1000000       number of events (default 400)
//   ?screen=lanes    start on the Lanes screen
//   ?open=3          open the detail of the 3rd row once the queue has loaded
//   ?empty           nothing imported        ?fail=events_list   that command fails
//   ?event=create    open an event in full: an id, or a situation (update, create, protected,
//                    duplicate, replayed, unknown_outcome, no_external_id)
//   &run             then run its preflight; &fill: fill the form and tick every side effect;
//   &submit          then press Replay; &outcome=rejected: what the replay answers (default applied)
//   &override=Name   with &fill, ask for an override approved by Name (re-runs the preflight)
//   &discard         open the discard dialog            &focus: focus the replay button once enabled
//   ?screen=batches&batch=1   open batch 1 of the history (planned, fresh); &fill: fill its form,
//                    &submit: run it, &cancel: cancel the run shortly after
// The app-wide base first: every feature's own CSS, imported by its components, refines it.
import './styles.css';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { createQueryClient } from './ipc';
import { mockBackend } from './ipc/mock';
import type { ReplayOutcome } from './ipc';
import { findScenarioEvent, previewBackend } from './preview/dataset';
import type { Scenario } from './test/preflights';
import './preview/opsPreview';
import { previewAudit } from './preview/auditDataset';
import './preview/auditPreview';
import { previewBatches } from './preview/batchDataset';
import { button, setValue, when } from './preview/drive';

const params = new URLSearchParams(window.location.search);
const total = params.has('empty') ? 0 : Number(params.get('n') ?? 400);
const OUTCOMES: ReplayOutcome[] = ['applied', 'rejected', 'precondition_failed', 'unknown_outcome', 'record_appeared'];
const outcome = OUTCOMES.find((o) => o === params.get('outcome')) ?? 'applied';
const backend = params.has('empty') ? { lanes: () => [], counts: () => [] } : previewBackend(total, 40, outcome);
const eventParam = params.get('event');
const initialEvent = eventParam === null ? null : /^\d+$/.test(eventParam) ? Number(eventParam) : findScenarioEvent(total, eventParam as Scenario);
const fail = params.get('fail');
// The audit log (auditDataset.ts): ?audit=N entries, ?tamper=SEQ for a changed entry.
const withAudit = {
  ...backend,
  ...previewAudit(params.has('empty') ? 0 : Number(params.get('audit') ?? 2400), params.has('tamper') ? Number(params.get('tamper')) : null, 'taskCancel' in backend ? backend.taskCancel : undefined),
};
const withBatches = { ...withAudit, ...previewBatches('taskCancel' in withAudit ? withAudit.taskCancel : undefined) };
mockBackend(fail ? { ...withBatches, fail: { [fail]: { kind: 'internal', message: 'database is locked (SQLITE_BUSY); another replay-console process holds a write lock' } } } : withBatches);

const root = document.getElementById('root');
if (root) {
  createRoot(root).render(
    <StrictMode>
      <App
        client={createQueryClient()}
        initialScreen={(['lanes', 'audit', 'batches'] as const).find((s) => s === params.get('screen')) ?? 'queue'}
        initialEvent={initialEvent}
      />
    </StrictMode>,
  );
}

const open = params.get('open');
if (open) {
  const timer = setInterval(() => {
    const row = document.querySelector<HTMLElement>(`.events tbody tr[data-index="${Number(open) - 1}"]`);
    if (row) {
      clearInterval(timer);
      row.click();
    }
  }, 50);
}

// ?autoscroll=N: once rows show, scroll the queue to its end N times, as an operator paging
// through would; the console then says how many rows loaded and how long it took.
const autoscroll = Number(params.get('autoscroll') ?? 0);
if (autoscroll > 0) {
  let done = 0;
  let started = 0;
  const timer = setInterval(() => {
    const el = document.querySelector<HTMLElement>('.table-scroll');
    if (!el?.querySelector('tbody tr[data-index]')) return;
    if (started === 0) started = performance.now();
    el.scrollTop = el.scrollHeight;
    if (++done >= autoscroll) {
      clearInterval(timer);
      const foot = document.querySelector('.table-foot span')?.textContent ?? '';
      console.info(`autoscroll: ${done} scrolls in ${Math.round(performance.now() - started)} ms; ${foot}`);
    }
  }, 120);
}

// ?event=...&run&fill&submit: walk the replay form as an operator would, for screenshots.

if (initialEvent !== null && params.has('discard')) when(() => button(/^Discard…$/), (b) => b.click());
if (initialEvent !== null && params.has('run')) {
  when(
    () => button(/^Run preflight$/),
    (b) => {
      b.click();
      if (!params.has('fill')) return;
      when(
        () => document.querySelector<HTMLFormElement>('form[aria-label="Replay"]'),
        (form) => {
          const inputs = form.querySelectorAll<HTMLInputElement>('input[type="text"]');
          if (inputs[0]) setValue(inputs[0], 'l.fischer');
          const reason = form.querySelector('textarea');
          if (reason) setValue(reason, 'INC-4471: billing sync outage of 20 Nov; record locks are released');
          const again = [...inputs].find((i) => i.id.endsWith('-again'));
          if (again) setValue(again, 'Billing resent a corrected tier after the first replay');
          const approver = params.get('override');
          const tick = () =>
            form.querySelectorAll<HTMLInputElement>('.acks input[type="checkbox"]').forEach((c) => {
              if (!c.checked) c.click();
            });
          if (approver) {
            const toggle = form.querySelector<HTMLInputElement>('.override input[type="checkbox"]');
            toggle?.click();
            setTimeout(() => {
              const fields = form.querySelectorAll<HTMLInputElement>('.override input[type="text"]');
              if (fields[0]) setValue(fields[0], 'Account moved to the enterprise segment (SALESOPS-212)');
              if (fields[1]) setValue(fields[1], approver);
              when(
                () => button(/with this override/),
                (rerun) => {
                  rerun.click();
                  setTimeout(tick, 1200);
                },
              );
            }, 100);
          } else {
            setTimeout(tick, 50);
          }
          if (params.has('submit')) when(() => button(/^Replay as /), (r) => r.click());
          // &focus: keyboard focus on the replay button, to see the focus ring.
          if (params.has('focus')) when(() => button(/^Replay as /), (r) => r.focus());
        },
      );
    },
  );
}

// ?screen=batches&batch=N[&fill][&submit][&cancel]: walk the batch form, for screenshots.
const batchParam = params.get('batch');
if (batchParam !== null) {
  when(
    () => document.querySelector<HTMLElement>(`tr[aria-label="Batch ${batchParam}"]`),
    (row) => {
      row.click();
      if (!params.has('fill')) return;
      when(
        () => document.querySelector<HTMLFormElement>('form.batch-form'),
        (form) => {
          const operator = form.querySelector<HTMLInputElement>('input[type="text"]');
          if (operator) setValue(operator, 'l.fischer');
          const reason = form.querySelector('textarea');
          if (reason) setValue(reason, 'INC-4471: billing sync outage of 20 Nov; record locks are released');
          setTimeout(() => form.querySelectorAll<HTMLInputElement>('.acks input[type="checkbox"]').forEach((c) => c.click()), 50);
          if (params.has('submit')) when(() => button(/^Run batch/), (b) => b.click());
          if (params.has('cancel')) setTimeout(() => when(() => button(/^Cancel$/), (b) => b.click()), 1500);
        },
      );
    },
  );
}
