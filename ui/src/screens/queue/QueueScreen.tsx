import { useQueryClient } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { ErrorBanner } from '../../components/ErrorBanner';
import { ImportHelp } from '../../components/ImportHelp';
import { EVENT_STATUSES, eventKeys, useEventCounts, useLanes, type EventFilter, type EventStatus } from '../../ipc';
import { formatCount } from '../../lib/format';
import { isEventStatus, statusMeta } from '../../lib/status';
import { CountsSummary } from './CountsSummary';
import { EventDetailPanel } from './EventDetailPanel';
import { EventTable } from './EventTable';
import { ImportDialog } from './ImportDialog';
import { DataLoaderDialog } from './DataLoaderDialog';
import { BulkTriageDialog } from './BulkTriageDialog';
import { AlertsPanel } from '../alerts/AlertsPanel';
import type { BatchTarget } from '../batch/BatchScreen';
import './queue.css';
import { FilterSelect, FilterText } from '../../components/FilterFields';
import { RoleNote } from '../../components/RoleNote';
import { useRoleBlock } from '../../lib/roles';

/** A batch replays failed or blocked events: the queue's status filter is one of those, or none. */
function batchStatus(status: EventStatus | null): 'failed' | 'blocked' | null | undefined {
  if (status === null) return null;
  return status === 'failed' || status === 'blocked' ? status : undefined;
}

const NONE: ReadonlySet<number> = new Set();

export function QueueScreen({
  filter,
  onFilterChange,
  onOpenEvent,
  onBatchReplay,
}: {
  filter: EventFilter;
  onFilterChange: (f: EventFilter) => void;
  /** Opens the event in full: preflight and replay. */
  onOpenEvent: (id: number) => void;
  /** Opens the batch screen on the queue's current filter (lane, status, reason code). */
  onBatchReplay: (target: BatchTarget) => void;
}) {
  const counts = useEventCounts();
  const lanes = useLanes();
  const client = useQueryClient();
  const [selectedId, setSelectedId] = useState<number | null>(null);
  const [importing, setImporting] = useState(false);
  const [loaderExport, setLoaderExport] = useState(false);
  // Team mode: a login without the operator role may look, not import or replay.
  const importBlocked = useRoleBlock('import');
  const batchBlocked = useRoleBlock('batch');
  const triageBlocked = useRoleBlock('edit');

  // The events ticked for triage together. A new filter is a new list: the ticks go with the old one.
  const filterKey = JSON.stringify(eventKeys.pages(filter));
  const [checked, setChecked] = useState<ReadonlySet<number>>(NONE);
  const [checkedFor, setCheckedFor] = useState(filterKey);
  if (checkedFor !== filterKey) {
    setCheckedFor(filterKey);
    setChecked(NONE);
  }
  // The events the triage dialog applies its change to, taken when it opened.
  const [triaging, setTriaging] = useState<number[] | null>(null);

  const laneIds = useMemo(() => {
    const ids = new Set<string>();
    for (const l of lanes.data ?? []) ids.add(l.lane_id);
    for (const c of counts.data ?? []) ids.add(c.lane_id);
    return [...ids].sort();
  }, [lanes.data, counts.data]);

  const totalEvents = counts.data?.reduce((sum, c) => sum + c.count, 0);
  const matching = counts.data
    ?.filter((c) => (filter.laneId === null || c.lane_id === filter.laneId) && (filter.status === null || c.status === filter.status))
    .reduce((sum, c) => sum + c.count, 0);
  const narrowed =
    Boolean(filter.search) ||
    Boolean(filter.text) ||
    Boolean(filter.reasonCode) ||
    Boolean(filter.assignee) ||
    Boolean(filter.tag) ||
    filter.investigating === true;
  const filtered = filter.laneId !== null || filter.status !== null || narrowed;
  const [search, setSearch] = useState(filter.search ?? '');
  const [text, setText] = useState(filter.text ?? '');
  const [reasonCode, setReasonCode] = useState(filter.reasonCode ?? '');
  const [assignee, setAssignee] = useState(filter.assignee ?? '');
  const [tag, setTag] = useState(filter.tag ?? '');

  const refresh = () => {
    // Reset, not refetch: a refetch of the infinite query would reload every page scrolled so far.
    void client.resetQueries({ queryKey: ['events'] });
    void client.invalidateQueries({ queryKey: ['lanes'] });
  };

  const setFilter = (next: EventFilter) => {
    setSelectedId(null);
    onFilterChange(next);
  };

  const clearFilters = () => {
    setSearch('');
    setText('');
    setReasonCode('');
    setAssignee('');
    setTag('');
    setFilter({ laneId: null, status: null });
  };

  const nothingImported = counts.isSuccess && lanes.isSuccess && totalEvents === 0;
  const status = batchStatus(filter.status);
  // Said beside the button when the queue's filter is not exactly what a batch would take.
  // Filters a batch does not take (it selects by lane, status and reason code).
  const leftOut = [
    filter.search ? `the search “${filter.search}”` : null,
    filter.text ? `the text search “${filter.text}”` : null,
    filter.assignee ? `the assignee ${filter.assignee}` : null,
    filter.tag ? `the tag ${filter.tag}` : null,
    filter.investigating ? 'the investigating mark' : null,
  ].filter((x) => x !== null);
  const batchNote =
    status === undefined
      ? `A batch replays failed or blocked events, not ${statusMeta(filter.status ?? '').label.toLowerCase()} ones: pick Failed, Blocked or all statuses.`
      : leftOut.length > 0
        ? `The batch takes the lane, status and reason code; ${leftOut.join(', ')} ${leftOut.length === 1 ? 'is' : 'are'} left out.`
        : null;
  const startBatch = () => {
    if (filter.laneId === null || status === undefined) return;
    onBatchReplay({
      kind: 'new',
      selection: { lane_id: filter.laneId, status, reason_code: filter.reasonCode ?? null, ids: null },
      ...(filter.search ? { ignoredSearch: filter.search } : {}),
      ...(filter.text ? { ignoredText: filter.text } : {}),
      // Without a reason code or a search, the kept counts know how many events match.
      ...(matching !== undefined && !narrowed && status !== null ? { expected: matching } : {}),
    });
  };

  return (
    <div className="screen">
      <header className="screen-header">
        <div>
          <h1>Event queue</h1>
          <p className="screen-sub">
            {totalEvents === undefined
              ? 'Failed and blocked writes awaiting a decision'
              : `${formatCount(totalEvents)} events in ${formatCount(laneIds.length)} ${laneIds.length === 1 ? 'lane' : 'lanes'}`}
          </p>
        </div>
        <div className="screen-actions">
          {filter.laneId !== null && !nothingImported && (
            <div className="batch-action">
              <button
                type="button"
                className="btn btn-primary"
                onClick={startBatch}
                disabled={status === undefined || batchBlocked !== null}
                title={batchBlocked ?? undefined}
              >
                Batch replay…
              </button>
              {batchNote && <p className="batch-action-note">{batchNote}</p>}
              <RoleNote reason={batchBlocked} />
            </div>
          )}
          {filter.laneId !== null && !nothingImported && (
            <button
              type="button"
              className="btn"
              onClick={() => setLoaderExport(true)}
              disabled={status === undefined}
              title={
                status === undefined
                  ? 'The export holds the remaining failures: pick Failed, Blocked or all statuses'
                  : 'The remaining failures of this filter as a CSV for Salesforce Data Loader'
              }
            >
              Export for Data Loader…
            </button>
          )}
          <button type="button" className="btn" onClick={() => setImporting(true)} disabled={importBlocked !== null} title={importBlocked ?? undefined}>
            Import events…
          </button>
          <button type="button" className="btn" onClick={refresh}>
            Refresh
          </button>
        </div>
      </header>
      <RoleNote reason={importBlocked} />
      {importing && <ImportDialog onClose={() => setImporting(false)} />}
      {triaging !== null && (
        <BulkTriageDialog eventIds={triaging} onDone={() => setChecked(NONE)} onClose={() => setTriaging(null)} />
      )}
      {loaderExport && filter.laneId !== null && status !== undefined && (
        <DataLoaderDialog filter={{ ...filter, laneId: filter.laneId }} status={status} onClose={() => setLoaderExport(false)} />
      )}

      {counts.isError && <ErrorBanner context="Counts" error={counts.error} onRetry={() => void counts.refetch()} />}
      {lanes.isError && <ErrorBanner context="Lanes" error={lanes.error} onRetry={() => void lanes.refetch()} />}

      {nothingImported ? (
        <ImportHelp title="No events yet" lanesImported={(lanes.data?.length ?? 0) > 0} />
      ) : (
        <>
          <AlertsPanel />
          {counts.data && counts.data.length > 0 && (
            <CountsSummary counts={counts.data} filter={filter} onPick={setFilter} />
          )}

          <div className="toolbar" role="search" aria-label="Filter events">
            <FilterSelect
              label="Lane"
              value={filter.laneId ?? ''}
              onChange={(v) => setFilter({ ...filter, laneId: v === '' ? null : v })}
              all="All lanes"
              options={laneIds}
            />
            <FilterSelect
              label="Status"
              value={filter.status ?? ''}
              onChange={(v) => setFilter({ ...filter, status: isEventStatus(v) ? v : null })}
              all="All statuses"
              options={EVENT_STATUSES.map((s) => ({ value: s, label: statusMeta(s).label }))}
            />
            <form
              className="field"
              onSubmit={(e) => {
                e.preventDefault();
                setFilter({
                  ...filter,
                  search: search.trim() || undefined,
                  text: text.trim() || undefined,
                  reasonCode: reasonCode.trim() || undefined,
                  assignee: assignee.trim() || undefined,
                  tag: tag.trim().toLowerCase() || undefined,
                });
              }}
            >
              <FilterText
                label="Search"
                type="search"
                value={search}
                placeholder="External ID or event key"
                aria-label="Search by external ID or event key (prefix)"
                onChange={setSearch}
              />
              <FilterText
                label="Find"
                value={text}
                placeholder="Words in payloads and messages"
                aria-label="Find words in payload values and failure messages"
                title="Every word must appear in a payload value, the failure message or code, the external ID or the event key; word* matches words starting with it"
                onChange={setText}
              />
              <FilterText
                label="Reason code"
                value={reasonCode}
                placeholder="e.g. UNABLE_TO_LOCK_ROW"
                aria-label="Failure reason code"
                onChange={setReasonCode}
              />
              <FilterText label="Assignee" value={assignee} placeholder="Who works on it" aria-label="Assigned to" onChange={setAssignee} />
              <FilterText label="Tag" value={tag} placeholder="e.g. inc-4711" aria-label="Tag" onChange={setTag} />
              <button type="submit" className="btn">
                Apply
              </button>
            </form>
            <label className="form-check toolbar-check">
              <input
                type="checkbox"
                checked={filter.investigating === true}
                onChange={(e) => setFilter({ ...filter, investigating: e.target.checked || undefined })}
              />{' '}
              Being investigated
            </label>
            {filtered && (
              <button type="button" className="btn btn-ghost" onClick={clearFilters}>
                Clear filters
              </button>
            )}
            <div className={`selection-bar${checked.size > 0 ? ' is-active' : ''}`} role="region" aria-label="Selected events">
              <span className="selection-count" aria-live="polite">
                {checked.size > 0 ? (
                  <strong className="num">{formatCount(checked.size)} selected</strong>
                ) : (
                  <span className="muted">Tick rows to triage several at once</span>
                )}
              </span>
              {checked.size > 0 && (
                <>
                  <button
                    type="button"
                    className="btn btn-primary btn-small"
                    onClick={() => setTriaging([...checked].sort((a, b) => a - b))}
                    disabled={triageBlocked !== null}
                    title={triageBlocked ?? undefined}
                  >
                    Triage selected…
                  </button>
                  <button type="button" className="btn btn-ghost btn-small" onClick={() => setChecked(NONE)}>
                    Clear selection
                  </button>
                  <RoleNote reason={triageBlocked} />
                </>
              )}
            </div>
            <span className="toolbar-note">
              {/* The kept counts know lanes and statuses; a search, a find or a reason code is counted by paging. */}
              {matching !== undefined && !narrowed && `${formatCount(matching)} ${filtered ? 'matching' : 'total'}`}
            </span>
          </div>

          <div className={`queue-body${selectedId !== null ? ' with-detail' : ''}`}>
            <EventTable
              // A new filter is a new list: fresh pages, scroll at the top, focus on the first row.
              key={`${filter.laneId ?? '*'}|${filter.status ?? '*'}`}
              filter={filter}
              expectedTotal={narrowed ? undefined : matching}
              selectedId={selectedId}
              onOpen={setSelectedId}
              checked={checked}
              onCheckedChange={setChecked}
              onClearFilters={filtered ? clearFilters : undefined}
            />
            {selectedId !== null && <EventDetailPanel id={selectedId} onClose={() => setSelectedId(null)} onOpen={onOpenEvent} />}
          </div>
        </>
      )}
    </div>
  );
}
