// Dev-only entry (preview.html, `npm run build:preview`): the app over a mocked IPC, to look at
// the screens in a browser. URL parameters:
//   ?n=1000000       number of events (default 400)
//   ?screen=lanes    start on the Lanes screen
//   ?open=3          open the detail of the 3rd row once the queue has loaded
//   ?empty           nothing imported        ?fail=events_list   that command fails
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { createQueryClient } from './ipc';
import { mockBackend } from './ipc/mock';
import { previewBackend } from './preview/dataset';
import './styles.css';

const params = new URLSearchParams(window.location.search);
const total = params.has('empty') ? 0 : Number(params.get('n') ?? 400);
const backend = params.has('empty') ? { lanes: () => [], counts: () => [] } : previewBackend(total);
const fail = params.get('fail');
mockBackend(fail ? { ...backend, fail: { [fail]: { kind: 'internal', message: 'database is locked (SQLITE_BUSY); another replay-console process holds a write lock' } } } : backend);

const root = document.getElementById('root');
if (root) {
  createRoot(root).render(
    <StrictMode>
      <App client={createQueryClient()} initialScreen={params.get('screen') === 'lanes' ? 'lanes' : 'queue'} />
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
