import type { Bucket } from '../../ipc';
import { formatCount } from '../../lib/format';
import { TableHead } from '../../components/TableHead';

const W = 720;
const H = 150;
const PAD = { top: 10, right: 8, bottom: 22, left: 36 };

/** `2026-11-20T10:00` -> `20 Nov 10:00`. */
function hourLabel(hour: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(hour);
  if (!m) return hour;
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  return `${Number(m[3])} ${months[Number(m[2]) - 1] ?? m[2]} ${m[4]}:${m[5]}`;
}

/** A round top for the y axis: 1, 2, 5, 10, 20, 50, … at or above `n`. */
function niceMax(n: number): number {
  if (n <= 1) return 1;
  const p = 10 ** Math.floor(Math.log10(n));
  for (const f of [1, 2, 5, 10]) if (f * p >= n) return f * p;
  return 10 * p;
}

const HOUR_MS = 3_600_000;
/** Beyond this span the quiet hours are not drawn (the bars would be slivers): active hours only. */
const MAX_FILLED_HOURS = 24 * 7;

function hourStart(hour: string): number | null {
  const t = Date.parse(`${hour}:00Z`);
  return Number.isNaN(t) ? null : t;
}

function hourKey(t: number): string {
  return new Date(t).toISOString().slice(0, 16);
}

/**
 * The backend sends active hours only; the chart's x axis is time, so the quiet hours between the
 * first and the last are filled in with zeros (unless the span is too long to draw them).
 */
export function fillHours(series: Bucket[]): Bucket[] {
  const first = series[0];
  const last = series[series.length - 1];
  const from = first ? hourStart(first.hour) : null;
  const to = last ? hourStart(last.hour) : null;
  if (from === null || to === null || to < from || (to - from) / HOUR_MS + 1 > MAX_FILLED_HOURS) return series;
  const byHour = new Map(series.map((b) => [b.hour, b]));
  const out: Bucket[] = [];
  for (let t = from; t <= to; t += HOUR_MS) {
    const key = hourKey(t);
    out.push(byHour.get(key) ?? { hour: key, failures: 0, replays: 0 });
  }
  // Hours the backend sent in another shape than this one's keys are never dropped.
  return out.length >= series.length ? out : series;
}

/**
 * Failures and replays per hour, side by side: a plain SVG bar chart (no chart library). The
 * x axis runs hour by hour from the first active hour to the last (quiet hours drawn empty); a
 * table with the same numbers is there for screen readers.
 */
export function ActivityChart({ series: active }: { series: Bucket[] }) {
  if (active.length === 0) {
    return <p className="muted">No failures or replays recorded in the last 48 hours.</p>;
  }
  const series = fillHours(active);
  const max = niceMax(Math.max(...series.map((b) => Math.max(b.failures, b.replays))));
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const slot = plotW / series.length;
  const barW = Math.max(1, Math.min(14, (slot - 2) / 2));
  const y = (v: number) => PAD.top + plotH - (v / max) * plotH;
  // About six labels along the axis, whatever the number of buckets.
  const every = Math.max(1, Math.ceil(series.length / 6));
  const failures = series.reduce((s, b) => s + b.failures, 0);
  const replays = series.reduce((s, b) => s + b.replays, 0);

  return (
    <figure className="chart">
      <div className="chart-legend" aria-hidden="true">
        <span className="legend-failures">Failures {formatCount(failures)}</span>
        <span className="legend-replays">Replays {formatCount(replays)}</span>
      </div>
      <svg
        viewBox={`0 0 ${W} ${H}`}
        className="chart-svg"
        role="img"
        aria-label={`Failures and replays per hour over ${series.length} ${series.length === 1 ? 'hour' : 'hours'} (${active.length} active): ${formatCount(failures)} failures, ${formatCount(replays)} replays`}
      >
        {[0, max / 2, max].map((v) => (
          <g key={v} className="chart-grid">
            <line x1={PAD.left} x2={W - PAD.right} y1={y(v)} y2={y(v)} />
            <text x={PAD.left - 6} y={y(v)} dy="0.32em" textAnchor="end">
              {formatCount(v)}
            </text>
          </g>
        ))}
        {series.map((b, i) => {
          const x = PAD.left + i * slot + (slot - 2 * barW) / 2;
          return (
            <g key={b.hour} className="chart-bucket" data-hour={b.hour}>
              <title>{`${hourLabel(b.hour)} UTC: ${formatCount(b.failures)} failures, ${formatCount(b.replays)} replays`}</title>
              <rect className="bar-failures" x={x} y={y(b.failures)} width={barW} height={y(0) - y(b.failures)} />
              <rect className="bar-replays" x={x + barW} y={y(b.replays)} width={barW} height={y(0) - y(b.replays)} />
              {i % every === 0 && (
                <text className="chart-x" x={PAD.left + i * slot + slot / 2} y={H - 6} textAnchor="middle">
                  {hourLabel(b.hour)}
                </text>
              )}
            </g>
          );
        })}
      </svg>
      <table className="visually-hidden">
        <caption>Failures and replays per hour (UTC)</caption>
        <TableHead columns={['Hour', 'Failures', 'Replays']} />
        <tbody>
          {active.map((b) => (
            <tr key={b.hour}>
              <th scope="row">{hourLabel(b.hour)}</th>
              <td>{b.failures}</td>
              <td>{b.replays}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}
