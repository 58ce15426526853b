import { useState } from 'react';
import { ErrorBanner } from '../../components/ErrorBanner';
import { FilterSelect } from '../../components/FilterFields';
import { RoleNote } from '../../components/RoleNote';
import { useGroups, useLanes, type FailureGroup } from '../../ipc';
import { formatCount, formatTime } from '../../lib/format';
import { useRoleBlock } from '../../lib/roles';
import { statusMeta } from '../../lib/status';
import type { BatchTarget } from '../batch/BatchScreen';
import './groups.css';

/**
 * Failure groups: the queue's events by lane, failure code and message signature (record Ids,
 * numbers and quoted values stripped), most open events first. A group opens as a batch
 * preflight of its open events in one action, or as the queue filtered to its lane and code.
 */
export function GroupsScreen({
  laneId,
  onLaneChange,
  onShowEvents,
  onBatch,
}: {
  laneId: string | null;
  onLaneChange: (laneId: string | null) => void;
  onShowEvents: (laneId: string, reasonCode: string | null) => void;
  onBatch: (target: BatchTarget) => void;
}) {
  const groups = useGroups(laneId);
  const lanes = useLanes();
  const batchBlocked = useRoleBlock('batch');
  const [open, setOpen] = useState<string | null>(null);
  const list = groups.data?.groups ?? [];
  const openEvents = list.reduce((n, g) => n + g.open, 0);
  const batch = (g: FailureGroup) =>
    onBatch({
      kind: 'new',
      selection: { lane_id: g.lane_id, status: null, reason_code: g.failure_code, ids: null, group: g.key },
      expected: g.open,
      group: g,
    });
  return (
    <div className="screen groups-screen">
      <header className="screen-header">
        <div>
          <h1>Failure groups</h1>
          <p className="screen-sub">
            {groups.data === undefined
              ? 'Failures by lane, code and message, record Ids and numbers set aside'
              : `${formatCount(groups.data.events)} events in ${formatCount(list.length)} ${list.length === 1 ? 'group' : 'groups'} · ${formatCount(openEvents)} still failed or blocked`}
          </p>
        </div>
        <div className="screen-actions">
          <button type="button" className="btn" onClick={() => void groups.refetch()}>
            Refresh
          </button>
        </div>
      </header>
      <div className="toolbar" role="search" aria-label="Filter groups">
        <FilterSelect
          label="Lane"
          value={laneId ?? ''}
          onChange={(v) => onLaneChange(v === '' ? null : v)}
          all="All lanes"
          options={(lanes.data ?? []).map((l) => l.lane_id)}
        />
        <span className="toolbar-note">
          Messages that differ only by record Ids (<code>&lt;id&gt;</code>), numbers (<code>&lt;n&gt;</code>) or quoted values (
          <code>&lt;value&gt;</code>) are one group.
        </span>
      </div>
      <RoleNote reason={batchBlocked} />
      {groups.isError && <ErrorBanner context="Failure groups" error={groups.error} onRetry={() => void groups.refetch()} />}
      <div className="groups-body">
        <div className="table-wrap">
          <div className="table-scroll">
            <table className="plain groups-table" aria-label="Failure groups">
              <thead>
                <tr>
                  <th scope="col">Cause</th>
                  <th scope="col">Lane</th>
                  <th scope="col" title="Events in the group, every status">
                    Events
                  </th>
                  <th scope="col" title="Still failed or blocked: what a batch of the group takes">
                    Open
                  </th>
                  <th scope="col">Statuses</th>
                  <th scope="col" title="The earliest and the latest failure of the group (occurred at)">
                    Seen (UTC)
                  </th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {list.map((g) => (
                  <GroupRow
                    key={g.key}
                    g={g}
                    expanded={open === g.key}
                    onToggle={() => setOpen(open === g.key ? null : g.key)}
                    onShowEvents={() => onShowEvents(g.lane_id, g.failure_code)}
                    onBatch={() => batch(g)}
                    batchBlocked={batchBlocked}
                  />
                ))}
              </tbody>
            </table>
            {groups.isPending && <p className="table-note">Grouping the events…</p>}
            {groups.isSuccess && list.length === 0 && <p className="table-note">No events{laneId ? ` in lane ${laneId}` : ''}: nothing to group.</p>}
          </div>
        </div>
      </div>
    </div>
  );
}

function GroupRow({
  g,
  expanded,
  onToggle,
  onShowEvents,
  onBatch,
  batchBlocked,
}: {
  g: FailureGroup;
  expanded: boolean;
  onToggle: () => void;
  onShowEvents: () => void;
  onBatch: () => void;
  batchBlocked: string | null;
}) {
  return (
    <>
      <tr aria-label={`Group ${g.key}`}>
        <td className="group-cause">
          <button type="button" className="group-toggle" aria-expanded={expanded} onClick={onToggle} title="Show the example message and key">
            <span className="mono group-code">{g.failure_code ?? '(no code)'}</span>
            <span className="group-signature">{g.signature || '(no message)'}</span>
          </button>
        </td>
        <td className="ellipsis mono group-lane" title={g.lane_id}>
          {g.lane_id}
        </td>
        <td className="num">{formatCount(g.count)}</td>
        <td className="num">{g.open === 0 ? <span className="muted">0</span> : <strong>{formatCount(g.open)}</strong>}</td>
        <td>
          <span className="group-statuses">
            {g.statuses.map((s) => {
              const meta = statusMeta(s.status);
              return (
                <span key={s.status} className={`badge tone-${meta.tone}`} title={meta.meaning}>
                  <span className="dot" aria-hidden="true" />
                  {meta.label} {formatCount(s.count)}
                </span>
              );
            })}
          </span>
        </td>
        <td className="num nowrap group-seen" title={`${g.first_seen} to ${g.last_seen}`}>
          <span>{formatTime(g.first_seen)}</span>
          {g.last_seen !== g.first_seen && <span className="muted">to {formatTime(g.last_seen)}</span>}
        </td>
        <td className="nowrap">
          <div className="group-actions">
          <button type="button" className="btn btn-small" onClick={onShowEvents} title="The queue, filtered to this lane and failure code">
            Events
          </button>
          <button
            type="button"
            className="btn btn-small btn-primary"
            onClick={onBatch}
            disabled={g.open === 0 || batchBlocked !== null}
            title={batchBlocked ?? (g.open === 0 ? 'Nothing left to replay: every event is replayed, discarded or in flight' : `Batch preflight of the ${g.open} open events`)}
          >
            Batch preflight…
          </button>
          </div>
        </td>
      </tr>
      {expanded && (
        <tr className="group-detail">
          <td colSpan={7}>
            <dl className="kv">
              <dt>Example message</dt>
              <dd className="mono">{g.example_message ?? '(none)'}</dd>
              <dt>Distinct messages</dt>
              <dd>{formatCount(g.messages)}</dd>
              <dt>Group key</dt>
              <dd className="mono">
                {g.key} <span className="muted">(replay batch --group {g.key})</span>
              </dd>
            </dl>
          </td>
        </tr>
      )}
    </>
  );
}
