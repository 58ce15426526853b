import { useId, useState } from 'react';
import { ErrorBanner } from '../../components/ErrorBanner';
import { useAlerts, type Alert } from '../../ipc';
import { formatCount, formatTime, humanize } from '../../lib/format';
import { ActivityChart } from './ActivityChart';
import './AlertsPanel.css';

const TITLES: Record<string, string> = {
  duplicate_conflict_detected: 'Duplicate conflicts detected',
  fallback_owner_spike: 'Fallback owner spike',
  replay_blocked: 'Replays blocked',
  protected_field_overwrite_attempt: 'Protected field overwrite attempts',
  create_overwrote_record: 'A create changed an existing record (critical)',
};

export function alertTitle(code: string): string {
  return TITLES[code] ?? humanize(code);
}

/**
 * The contract's critical alerts and the failures and replays per hour, as a strip over the
 * queue: the active alerts in one line, the details and the chart a click (or Enter) away.
 */
export function AlertsPanel() {
  const id = useId();
  const alerts = useAlerts();
  const [open, setOpen] = useState(false);
  const active = alerts.data?.alerts ?? [];

  if (alerts.isError) return <ErrorBanner context="Alerts" error={alerts.error} onRetry={() => void alerts.refetch()} />;
  if (!alerts.data) return null;
  const view = alerts.data;

  return (
    <section className={`alerts${active.length > 0 ? ' has-alerts' : ''}`} aria-labelledby={`${id}-title`}>
      <div className="alerts-strip">
        <h2 id={`${id}-title`} className="alerts-title">
          <span className={`dot alerts-dot${active.length > 0 ? ' is-active' : ''}`} aria-hidden="true" />
          {active.length === 0
            ? `No active alerts in the last ${view.window_hours} hours`
            : `${active.length} active ${active.length === 1 ? 'alert' : 'alerts'}`}
        </h2>
        {active.length > 0 && (
          <ul className="alerts-summary list-row" aria-label="Active alerts, in short">
            {active.map((a) => (
              <li key={`${a.lane_id}/${a.code}`} className="badge tone-danger">
                {alertTitle(a.code)} <span className="num">{formatCount(a.count)}</span>
              </li>
            ))}
          </ul>
        )}
        <button
          type="button"
          className="btn btn-small alerts-toggle"
          aria-expanded={open}
          aria-controls={`${id}-body`}
          onClick={() => setOpen((o) => !o)}
        >
          {open ? 'Hide alerts and activity' : 'Show alerts and activity'}
        </button>
      </div>
      <div id={`${id}-body`} className="alerts-body" hidden={!open}>
        {open && (
          <>
            {active.length > 0 ? (
              <ul className="alert-list">
                {active.map((a) => (
                  <AlertItem key={`${a.lane_id}/${a.code}`} alert={a} />
                ))}
              </ul>
            ) : (
              <p className="muted">
                None of the lanes' critical alerts fired since {formatTime(view.since)} UTC.
              </p>
            )}
            {view.checks.length > 0 && (
              <table className="alerts-watched">
                <caption className="block-title">What each lane watches (last {view.window_hours} hours)</caption>
                <thead>
                  <tr>
                    <th scope="col">Alert</th>
                    <th scope="col">Lane</th>
                    <th scope="col">State</th>
                    <th scope="col" className="num">
                      Count
                    </th>
                    <th scope="col">Fires at</th>
                  </tr>
                </thead>
                <tbody>
                  {view.checks.map((c) => (
                    <tr key={`${c.lane_id}/${c.code}`}>
                      <td>{alertTitle(c.code)}</td>
                      <td className="mono">{c.lane_id}</td>
                      <td>
                        <span className={`badge ${c.active ? 'tone-danger' : 'tone-neutral'}`}>{c.active ? 'active' : 'quiet'}</span>
                      </td>
                      <td className="num">{formatCount(c.count)}</td>
                      <td className="muted">{c.threshold}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
            <div className="alerts-chart">
              <h3 className="block-title">Failures and replays per hour (UTC)</h3>
              <ActivityChart series={view.series} />
            </div>
          </>
        )}
      </div>
    </section>
  );
}

function AlertItem({ alert }: { alert: Alert }) {
  return (
    <li className="alert-item">
      <div className="alert-head">
        <h3>{alertTitle(alert.code)}</h3>
        <span className="alert-count num" aria-label={`${alert.count} occurrences`}>
          {formatCount(alert.count)}
        </span>
      </div>
      <p className="alert-message">{alert.message}</p>
      <dl className="alert-meta">
        <dt>Lane</dt>
        <dd className="mono">{alert.lane_id}</dd>
        <dt>Tell</dt>
        <dd className="mono">{alert.alert_owner}</dd>
        <dt>Code</dt>
        <dd className="mono">{alert.code}</dd>
      </dl>
    </li>
  );
}
