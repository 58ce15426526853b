import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useLayoutEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import { ErrorBanner } from '../../components/ErrorBanner';
import { StatusBadge } from '../../components/StatusBadge';
import { toIpcError, useEventPages, type EventFilter, type EventPage, type EventSummary } from '../../ipc';
import { formatCount, formatTime } from '../../lib/format';
import '../../components/VirtualTable.css';

const ROW_HEIGHT = 34;
const HEADER_HEIGHT = 32;
/** Ask for the next page while this many loaded rows are still ahead of the viewport. */
const PREFETCH_ROWS = 80;
const OVERSCAN = 10;

/**
 * Index into the loaded pages without flattening them: with a million events a flattened copy
 * per page load would cost O(n) each time; this costs O(pages) to build and O(log pages) a look-up.
 */
function usePagedRows(pages: EventPage[] | undefined) {
  return useMemo(() => {
    const list = pages ?? [];
    const starts: number[] = [];
    let count = 0;
    for (const p of list) {
      starts.push(count);
      count += p.events.length;
    }
    const at = (index: number): EventSummary | undefined => {
      if (index < 0 || index >= count) return undefined;
      let lo = 0;
      let hi = starts.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if ((starts[mid] ?? 0) <= index) lo = mid;
        else hi = mid - 1;
      }
      return list[lo]?.events[index - (starts[lo] ?? 0)];
    };
    return { count, at };
  }, [pages]);
}

export function EventTable({
  filter,
  expectedTotal,
  selectedId,
  onOpen,
  onClearFilters,
}: {
  filter: EventFilter;
  /** From the counts: how many events the filter matches, for the "loaded of" note. */
  expectedTotal: number | undefined;
  selectedId: number | null;
  onOpen: (id: number) => void;
  onClearFilters: (() => void) | undefined;
}) {
  const query = useEventPages(filter);
  const rows = usePagedRows(query.data?.pages);
  const scrollRef = useRef<HTMLDivElement>(null);
  const [active, setActive] = useState(0);
  const focusPending = useRef(false);

  const hasMore = query.hasNextPage;
  const virtualizer = useVirtualizer({
    // One extra row at the end while more pages exist: the loader, whose appearance asks for them.
    count: rows.count + (hasMore ? 1 : 0),
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: OVERSCAN,
    // The sticky header sits in the same scroll container, above the rows.
    scrollMargin: HEADER_HEIGHT,
    scrollPaddingStart: HEADER_HEIGHT,
    // Keys stay the default (the index): rows are only ever appended, and a custom key function
    // would be called for every loaded row each time the virtualizer re-measures.
  });
  const items = virtualizer.getVirtualItems();
  const lastIndex = items.at(-1)?.index ?? -1;

  const { fetchNextPage, isFetchingNextPage, isFetchNextPageError } = query;
  useEffect(() => {
    if (hasMore && !isFetchingNextPage && !isFetchNextPageError && lastIndex >= rows.count - PREFETCH_ROWS) {
      void fetchNextPage();
    }
  }, [hasMore, isFetchingNextPage, isFetchNextPageError, lastIndex, rows.count, fetchNextPage]);

  // Keyboard moves scroll first; the row element exists only once the virtualizer renders it.
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
    // With the detail panel open, it follows the focused row, like a mail client's reading pane.
    const ev = rows.at(next);
    if (selectedId !== null && ev && ev.id !== selectedId) onOpen(ev.id);
  };

  const pageRows = Math.max(1, Math.floor((scrollRef.current?.clientHeight ?? 600) / ROW_HEIGHT) - 2);
  const onRowKeyDown = (e: KeyboardEvent<HTMLTableRowElement>, index: number, ev: EventSummary) => {
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
        onOpen(ev.id);
        break;
      default:
        return;
    }
    e.preventDefault();
  };

  if (query.isError && !query.data) {
    return (
      <div className="table-wrap">
        <ErrorBanner context="Events" error={query.error} onRetry={() => void query.refetch()} />
      </div>
    );
  }

  // Exactly one row is in the tab order: the active one if rendered, else the first rendered.
  const tabbable = items.some((i) => i.index === active) ? active : (items[0]?.index ?? 0);
  const filtered = filter.laneId !== null || filter.status !== null;

  return (
    <div className="table-wrap">
      <div className="table-scroll" ref={scrollRef}>
        <table
          className="events"
          role="grid"
          aria-label="Events"
          aria-rowcount={expectedTotal !== undefined ? expectedTotal + 1 : -1}
          aria-busy={query.isPending || isFetchingNextPage}
        >
          <thead>
            <tr aria-rowindex={1}>
              <th scope="col">ID</th>
              <th scope="col">Lane</th>
              <th scope="col">Event key</th>
              <th scope="col">External ID</th>
              <th scope="col">Status</th>
              <th scope="col">Failure</th>
              <th scope="col">Occurred (UTC)</th>
            </tr>
          </thead>
          <tbody style={{ height: virtualizer.getTotalSize() }}>
            {items.map((vi) => {
              const ev = rows.at(vi.index);
              const style = { transform: `translateY(${vi.start - HEADER_HEIGHT}px)`, height: ROW_HEIGHT };
              if (!ev) {
                return (
                  <tr key={vi.key} className="loader-row" style={style} aria-rowindex={vi.index + 2}>
                    <td colSpan={7}>
                      {isFetchNextPageError ? (
                        <span className="loader-error">
                          Could not load more events: {toIpcError(query.error).message}{' '}
                          <button type="button" className="btn btn-small" onClick={() => void fetchNextPage()}>
                            Retry
                          </button>
                        </span>
                      ) : (
                        'Loading more events…'
                      )}
                    </td>
                  </tr>
                );
              }
              const failure = [ev.failure_code, ev.failure_message].filter(Boolean).join(': ');
              return (
                <tr
                  key={vi.key}
                  data-index={vi.index}
                  aria-rowindex={vi.index + 2}
                  aria-selected={ev.id === selectedId}
                  tabIndex={vi.index === tabbable ? 0 : -1}
                  style={style}
                  onClick={() => {
                    setActive(vi.index);
                    onOpen(ev.id);
                  }}
                  onFocus={() => setActive(vi.index)}
                  onKeyDown={(e) => onRowKeyDown(e, vi.index, ev)}
                >
                  <td className="num muted">{ev.id}</td>
                  <td className="ellipsis" title={ev.lane_id}>
                    {ev.lane_id}
                  </td>
                  <td className="mono ellipsis" title={ev.event_key}>
                    {ev.event_key}
                  </td>
                  <td className="mono ellipsis" title={ev.external_id ?? 'No external ID: a replay cannot find its target'}>
                    {ev.external_id_missing ? <span className="badge tone-danger badge-flag">missing</span> : ev.external_id}
                  </td>
                  <td>
                    <StatusBadge status={ev.status} />
                  </td>
                  <td className="ellipsis" title={failure || undefined}>
                    {ev.failure_code ? (
                      <>
                        <span className="failure-code">{ev.failure_code}</span>
                        {ev.failure_message && <span className="failure-message"> {ev.failure_message}</span>}
                      </>
                    ) : (
                      <span className="muted">—</span>
                    )}
                  </td>
                  <td className="num" title={ev.occurred_at}>
                    {formatTime(ev.occurred_at)}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
        {query.isPending && <div className="table-note">Loading events…</div>}
        {query.isSuccess && rows.count === 0 && (
          <div className="table-note">
            {filtered ? 'No events match these filters.' : 'No events.'}
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
          {formatCount(rows.count)}
          {expectedTotal !== undefined ? ` of ${formatCount(expectedTotal)}` : ''} loaded
          {isFetchingNextPage ? ' · loading more…' : hasMore ? ' · scroll for more' : rows.count > 0 ? ' · end of list' : ''}
        </span>
        <span className="keys" aria-hidden="true">
          <kbd>↑</kbd>
          <kbd>↓</kbd> move <kbd>Enter</kbd> open <kbd>Esc</kbd> close
        </span>
      </div>
    </div>
  );
}
