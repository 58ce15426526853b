import { EVENT_STATUSES, type EventFilter, type StatusCount } from '../../ipc';
import { formatCount } from '../../lib/format';
import { isEventStatus, statusMeta } from '../../lib/status';

interface LaneCounts {
  laneId: string | null;
  byStatus: Map<string, number>;
  total: number;
}

function group(counts: StatusCount[]): { lanes: LaneCounts[]; all: LaneCounts } {
  const lanes = new Map<string, LaneCounts>();
  const all: LaneCounts = { laneId: null, byStatus: new Map(), total: 0 };
  for (const c of counts) {
    let lane = lanes.get(c.lane_id);
    if (!lane) {
      lane = { laneId: c.lane_id, byStatus: new Map(), total: 0 };
      lanes.set(c.lane_id, lane);
    }
    lane.byStatus.set(c.status, (lane.byStatus.get(c.status) ?? 0) + c.count);
    lane.total += c.count;
    all.byStatus.set(c.status, (all.byStatus.get(c.status) ?? 0) + c.count);
    all.total += c.count;
  }
  return { lanes: [...lanes.values()].sort((a, b) => (a.laneId ?? '').localeCompare(b.laneId ?? '')), all };
}

/** Every status, known ones in lifecycle order, then any this build does not know (a newer backend). */
function columns(counts: StatusCount[]): string[] {
  const unknown = [...new Set(counts.map((c) => c.status as string))].filter((s) => !isEventStatus(s)).sort();
  return [...EVENT_STATUSES, ...unknown];
}

/**
 * Counts by lane and status, one row per lane and a column per status, so numbers line up
 * however large they get. A count narrows the queue to its lane and status; a lane name to its lane.
 */
export function CountsSummary({
  counts,
  filter,
  onPick,
}: {
  counts: StatusCount[];
  filter: EventFilter;
  onPick: (f: EventFilter) => void;
}) {
  const { lanes, all } = group(counts);
  const rows = lanes.length > 1 ? [...lanes, all] : lanes;
  const statuses = columns(counts);
  return (
    <section className="counts" aria-label="Counts by lane and status">
      <table className="counts-table">
        <thead>
          <tr>
            <th scope="col">Lane</th>
            <th scope="col" className="num-col">
              Total
            </th>
            {statuses.map((status) => {
              const meta = statusMeta(status);
              return (
                <th key={status} scope="col" className={`num-col tone-${meta.tone}`} title={meta.meaning || undefined}>
                  <span className="dot" aria-hidden="true" />
                  {meta.label}
                </th>
              );
            })}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => {
            const laneActive = filter.laneId === row.laneId && filter.status === null;
            const laneLabel = row.laneId ?? 'All lanes';
            return (
              <tr key={row.laneId ?? '*'} className={row.laneId === null ? 'counts-all' : undefined}>
                <th scope="row">
                  <button
                    type="button"
                    className="counts-lane"
                    aria-pressed={laneActive}
                    title={row.laneId === null ? 'Show every event' : `Show every event of ${row.laneId}`}
                    onClick={() => onPick({ laneId: row.laneId, status: null })}
                  >
                    {laneLabel}
                  </button>
                </th>
                <td className="num-col num counts-total">{formatCount(row.total)}</td>
                {statuses.map((status) => {
                  const meta = statusMeta(status);
                  const n = row.byStatus.get(status) ?? 0;
                  if (n === 0) {
                    return (
                      <td key={status} className="num-col num counts-zero">
                        0
                      </td>
                    );
                  }
                  const pickable = isEventStatus(status);
                  const active = pickable && filter.laneId === row.laneId && filter.status === status;
                  return (
                    <td key={status} className="num-col">
                      <button
                        type="button"
                        className={`chip tone-${meta.tone}`}
                        aria-pressed={active}
                        disabled={!pickable}
                        aria-label={`${laneLabel}: ${meta.label}, ${formatCount(n)}`}
                        title={`${laneLabel}: ${formatCount(n)} ${meta.label.toLowerCase()}`}
                        onClick={() => {
                          if (pickable) onPick({ laneId: row.laneId, status });
                        }}
                      >
                        <span className="dot" aria-hidden="true" />
                        <span className="chip-count num">{formatCount(n)}</span>
                      </button>
                    </td>
                  );
                })}
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}
