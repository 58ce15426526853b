import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useLayoutEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import { ErrorBanner } from '../../components/ErrorBanner';
import { toIpcError, useAuditPages, type AuditEntry, type AuditFilter, type AuditPage } from '../../ipc';
import { formatCount, formatTime } from '../../lib/format';
import { actionMeta, outcomeMeta } from './auditFormat';
import '../../components/VirtualTable.css';

const ROW_HEIGHT = 34;
const HEADER_HEIGHT = 32;
/** Ask for the next page while this many loaded rows are still ahead of the viewport. */
const PREFETCH_ROWS = 80;
const OVERSCAN = 10;
const COLUMNS = 11;

/** Index into the loaded pages without flattening them (as the queue does). */
function usePagedRows(pages: AuditPage[] | undefined) {
  return useMemo(() => {
    const list = pages ?? [];
    const starts: number[] = [];
    let count = 0;
    for (const p of list) {
      starts.push(count);
      count += p.entries.length;
    }
    const at = (index: number): AuditEntry | undefined => {
      if (index < 0 || index >= count) return undefined;
      let lo = 0;
      let hi = starts.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if ((starts[mid] ?? 0) <= index) lo = mid;
        else hi = mid - 1;
      }
      return list[lo]?.entries[index - (starts[lo] ?? 0)];
    };
    return { count, at };
  }, [pages]);
}

function Badge({ label, tone, title }: { label: string; tone: string; title?: string }) {
  return (
    <span className={`badge tone-${tone}`} title={title}>
      <span className="dot" aria-hidden="true" />
      {label}
    </span>
  );
}

/** The audit log, paged by the backend (keyset) and virtualized; arrows move, Enter opens. */
export function AuditTable({
  filter,
  newestFirst,
  onToggleOrder,
  selectedSeq,
  onOpen,
  onClearFilters,
}: {
  filter: AuditFilter;
  newestFirst: boolean;
  onToggleOrder: () => void;
  selectedSeq: number | null;
  onOpen: (seq: number) => void;
  onClearFilters: (() => void) | undefined;
}) {
  const query = useAuditPages(filter, newestFirst);
  const rows = usePagedRows(query.data?.pages);
  const scrollRef = useRef<HTMLDivElement>(null);
  const [active, setActive] = useState(0);
  const focusPending = useRef(false);

  const hasMore = query.hasNextPage;
  const virtualizer = useVirtualizer({
    count: rows.count + (hasMore ? 1 : 0),
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: OVERSCAN,
    scrollMargin: HEADER_HEIGHT,
    scrollPaddingStart: HEADER_HEIGHT,
  });
  const items = virtualizer.getVirtualItems();
  const lastIndex = items.at(-1)?.index ?? -1;

  const { fetchNextPage, isFetchingNextPage, isFetchNextPageError } = query;
  useEffect(() => {
    if (hasMore && !isFetchingNextPage && !isFetchNextPageError && lastIndex >= rows.count - PREFETCH_ROWS) {
      void fetchNextPage();
    }
  }, [hasMore, isFetchingNextPage, isFetchNextPageError, lastIndex, rows.count, fetchNextPage]);

  useLayoutEffect(() => {
    if (!focusPending.current) return;
    const el = scrollRef.current?.querySelector<HTMLElement>(`tr[data-index="${active}"]`);
    if (el) {
      el.focus({ preventScroll: true });
      focusPending.current = false;
    }
  }, [active, items]);

  const moveTo = (index: number) => {
    if (rows.count === 0) return;
    const next = Math.max(0, Math.min(rows.count - 1, index));
    focusPending.current = true;
    setActive(next);
    virtualizer.scrollToIndex(next, { align: 'auto' });
    // With the detail panel open, it follows the focused row.
    const entry = rows.at(next);
    if (selectedSeq !== null && entry && entry.seq !== selectedSeq) onOpen(entry.seq);
  };

  const pageRows = Math.max(1, Math.floor((scrollRef.current?.clientHeight ?? 600) / ROW_HEIGHT) - 2);
  const onRowKeyDown = (e: KeyboardEvent<HTMLTableRowElement>, index: number, entry: AuditEntry) => {
    switch (e.key) {
      case 'ArrowDown':
        moveTo(index + 1);
        break;
      case 'ArrowUp':
        moveTo(index - 1);
        break;
      case 'PageDown':
        moveTo(index + pageRows);
        break;
      case 'PageUp':
        moveTo(index - pageRows);
        break;
      case 'Home':
        moveTo(0);
        break;
      case 'End':
        moveTo(rows.count - 1);
        break;
      case 'Enter':
      case ' ':
        onOpen(entry.seq);
        break;
      default:
        return;
    }
    e.preventDefault();
  };

  if (query.isError && !query.data) {
    return (
      <div className="table-wrap">
        <ErrorBanner context="Audit log" error={query.error} onRetry={() => void query.refetch()} />
      </div>
    );
  }

  const tabbable = items.some((i) => i.index === active) ? active : (items[0]?.index ?? 0);

  return (
    <div className="table-wrap">
      <div className="table-scroll" ref={scrollRef}>
        <table className="events audit-entries" role="grid" aria-label="Audit entries" aria-rowcount={-1} aria-busy={query.isPending || isFetchingNextPage}>
          <thead>
            <tr aria-rowindex={1}>
              <th scope="col" aria-sort={newestFirst ? 'descending' : 'ascending'}>
                <button
                  type="button"
                  className="sort-toggle"
                  title={newestFirst ? 'Newest first: click for oldest first' : 'Oldest first: click for newest first'}
                  onClick={onToggleOrder}
                >
                  Seq <span aria-hidden="true">{newestFirst ? '↓' : '↑'}</span>
                  <span className="visually-hidden">{newestFirst ? ', newest first' : ', oldest first'}</span>
                </button>
              </th>
              <th scope="col">Time (UTC)</th>
              <th scope="col">Action</th>
              <th scope="col">Actor</th>
              <th scope="col">Lane</th>
              <th scope="col">Event</th>
              <th scope="col">Batch</th>
              <th scope="col">External ID</th>
              <th scope="col">Outcome</th>
              <th scope="col">Reason</th>
              <th scope="col">Ack token</th>
            </tr>
          </thead>
          <tbody style={{ height: virtualizer.getTotalSize() }}>
            {items.map((vi) => {
              const entry = rows.at(vi.index);
              const style = { transform: `translateY(${vi.start - HEADER_HEIGHT}px)`, height: ROW_HEIGHT };
              if (!entry) {
                return (
                  <tr key={vi.key} className="loader-row" style={style} aria-rowindex={vi.index + 2}>
                    <td colSpan={COLUMNS}>
                      {isFetchNextPageError ? (
                        <span className="loader-error">
                          Could not load more entries: {toIpcError(query.error).message}{' '}
                          <button type="button" className="btn btn-small" onClick={() => void fetchNextPage()}>
                            Retry
                          </button>
                        </span>
                      ) : (
                        'Loading more entries…'
                      )}
                    </td>
                  </tr>
                );
              }
              const action = actionMeta(entry.action);
              const outcome = entry.outcome === null ? null : outcomeMeta(entry.outcome);
              return (
                <tr
                  key={vi.key}
                  data-index={vi.index}
                  aria-rowindex={vi.index + 2}
                  aria-selected={entry.seq === selectedSeq}
                  tabIndex={vi.index === tabbable ? 0 : -1}
                  style={style}
                  onClick={() => {
                    setActive(vi.index);
                    onOpen(entry.seq);
                  }}
                  onFocus={() => setActive(vi.index)}
                  onKeyDown={(e) => onRowKeyDown(e, vi.index, entry)}
                >
                  <td className="num muted">{entry.seq}</td>
                  <td className="num" title={entry.at}>
                    {formatTime(entry.at)}
                  </td>
                  <td>
                    <Badge label={action.label} tone={action.tone} title={entry.action} />
                  </td>
                  <td className="ellipsis" title={entry.os_user !== entry.actor ? `${entry.actor} (OS user ${entry.os_user})` : entry.actor}>
                    {entry.actor}
                  </td>
                  <td className="ellipsis" title={entry.lane_id ?? undefined}>
                    {entry.lane_id ?? <span className="muted">—</span>}
                  </td>
                  <td className="num">{entry.event_id ?? <span className="muted">—</span>}</td>
                  <td className="num">{entry.batch_id ?? <span className="muted">—</span>}</td>
                  <td className="mono ellipsis" title={entry.external_id ?? undefined}>
                    {entry.external_id ?? <span className="muted">—</span>}
                  </td>
                  <td>{outcome ? <Badge label={outcome.label} tone={outcome.tone} title={entry.outcome ?? undefined} /> : <span className="muted">—</span>}</td>
                  <td className="ellipsis" title={entry.reason ?? undefined}>
                    {entry.reason ?? <span className="muted">—</span>}
                  </td>
                  <td className="mono ellipsis" title={entry.ack_token ?? undefined}>
                    {entry.ack_token ?? <span className="muted">—</span>}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
        {query.isPending && <div className="table-note">Loading the audit log…</div>}
        {query.isSuccess && rows.count === 0 && (
          <div className="table-note">
            {onClearFilters ? 'No entries match these filters.' : 'The audit log is empty.'}
            {onClearFilters && (
              <button type="button" className="btn btn-small" onClick={onClearFilters}>
                Clear filters
              </button>
            )}
          </div>
        )}
      </div>
      <div className="table-foot">
        <span>
          {formatCount(rows.count)} loaded
          {isFetchingNextPage ? ' · loading more…' : hasMore ? ' · scroll for more' : rows.count > 0 ? ' · end of log' : ''}
        </span>
        <span className="keys" aria-hidden="true">
          <kbd>↑</kbd>
          <kbd>↓</kbd> move <kbd>Enter</kbd> open <kbd>Esc</kbd> close
        </span>
      </div>
    </div>
  );
}
