import { useState } from 'react';
import { CredentialBadge } from './CredentialBadge';
import { ErrorBanner } from '../../components/ErrorBanner';
import { ImportHelp } from '../../components/ImportHelp';
import { useLane, useLanes, type LaneDetail, type LaneSummary } from '../../ipc';
import { formatTime } from '../../lib/format';
import { ContractView } from './ContractView';
import { CredentialCard } from './CredentialCard';
import './lanes.css';
import { TableHead } from '../../components/TableHead';

export function LanesScreen({ onShowEvents }: { onShowEvents: (laneId: string) => void }) {
  const lanes = useLanes();
  const [chosen, setChosen] = useState<string | null>(null);
  const selected = chosen ?? lanes.data?.[0]?.lane_id ?? null;
  const lane = useLane(selected);

  return (
    <div className="screen">
      <header className="screen-header">
        <div>
          <h1>Lanes</h1>
          <p className="screen-sub">Integration paths into Salesforce and the control contract each one follows</p>
        </div>
      </header>
      {lanes.isError && <ErrorBanner context="Lanes" error={lanes.error} onRetry={() => void lanes.refetch()} />}
      {lanes.isPending && <p className="muted pad">Loading lanes…</p>}
      {lanes.data && lanes.data.length === 0 && <ImportHelp title="No lanes yet" lanesImported={false} />}
      {lanes.data && lanes.data.length > 0 && (
        <div className="lanes-body">
          <nav className="lane-list" aria-label="Lanes">
            <ul className="list-column">
              {lanes.data.map((l) => (
                <li key={l.lane_id}>
                  <button
                    type="button"
                    className="lane-item"
                    aria-current={l.lane_id === selected ? 'true' : undefined}
                    onClick={() => setChosen(l.lane_id)}
                  >
                    <span className="lane-item-id">{l.lane_id}</span>
                    <span className="lane-item-meta">
                      <span className="mono">{l.object}</span> by <span className="mono">{l.external_id_field}</span>
                    </span>
                    <span className="lane-item-meta">
                      v{l.version} · {l.username ?? l.integration_user}
                    </span>
                    <span className="lane-item-cred">
                      <CredentialBadge credential={l.credential} />
                    </span>
                  </button>
                </li>
              ))}
            </ul>
          </nav>
          <div className="lane-detail">
            {lane.isPending && selected !== null && <p className="muted">Loading contract…</p>}
            {lane.isError && <ErrorBanner context={`Lane ${selected ?? ''}`} error={lane.error} onRetry={() => void lane.refetch()} />}
            {lane.data && (
              <LaneDetailView
                lane={lane.data}
                summary={lanes.data.find((l) => l.lane_id === selected)}
                onShowEvents={onShowEvents}
              />
            )}
          </div>
        </div>
      )}
    </div>
  );
}

function LaneDetailView({
  lane,
  summary,
  onShowEvents,
}: {
  lane: LaneDetail;
  summary: LaneSummary | undefined;
  onShowEvents: (laneId: string) => void;
}) {
  return (
    <article aria-labelledby="lane-title">
      <header className="lane-header">
        <div>
          <h2 id="lane-title">{lane.lane_id}</h2>
          <p className="screen-sub">
            Version {lane.version} · imported <span className="num">{formatTime(lane.imported_at)} UTC</span> from{' '}
            <span className="mono">{lane.source_name}</span> ·{' '}
            <span className="mono" title={`SHA-256 of the canonical contract: ${lane.sha256}`}>
              {lane.sha256.slice(0, 12)}
            </span>
          </p>
        </div>
        <button type="button" className="btn" onClick={() => onShowEvents(lane.lane_id)}>
          Show events
        </button>
      </header>

      {summary && <CredentialCard key={summary.lane_id} summary={summary} />}

      <h3 className="block-title">Contract</h3>
      <ContractView contract={lane.contract} />

      <h3 className="block-title">Version history</h3>
      <div className="card">
        <table className="plain">
          <TableHead columns={['Version', 'Imported (UTC)', 'Source', 'SHA-256']} />
          <tbody>
            {lane.versions.map((v) => (
              <tr key={v.version}>
                <td className="num">
                  v{v.version}
                  {v.version === lane.version && <span className="badge tone-info badge-small">current</span>}
                </td>
                <td className="num">{formatTime(v.imported_at)}</td>
                <td className="mono ellipsis" title={v.source_name}>
                  {v.source_name}
                </td>
                <td className="mono" title={v.sha256}>
                  {v.sha256.slice(0, 12)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </article>
  );
}
