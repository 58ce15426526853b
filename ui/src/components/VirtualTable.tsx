// The one virtualised keyboard table of the app (the queue's events, the audit log): rows loaded
// page by page from the backend (keyset), only the visible ones rendered, one row in the tab
// order, arrows / Page keys / Home / End to move, Enter or Space to open a row. Optionally a
// checkbox column (`checks`) ticks rows for an action on several: a click, Shift+click for a
// range, X on the focused row, the header's box for every loaded row.
import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useLayoutEffect, useMemo, useRef, useState, type KeyboardEvent, type ReactNode, type SyntheticEvent } from 'react';
import { toIpcError } from '../ipc';
import { formatCount } from '../lib/format';
import { ErrorBanner } from './ErrorBanner';
import './VirtualTable.css';

const ROW_HEIGHT = 34;
const HEADER_HEIGHT = 32;
/** Ask for the next page while this many loaded rows are still ahead of the viewport. */
const PREFETCH_ROWS = 80;
const OVERSCAN = 10;

/** What the table needs of a TanStack infinite query. */
export interface PagedQuery<P> {
  data: { pages: P[] } | undefined;
  error: unknown;
  isError: boolean;
  isPending: boolean;
  isSuccess: boolean;
  hasNextPage: boolean;
  isFetchingNextPage: boolean;
  isFetchNextPageError: boolean;
  fetchNextPage: () => Promise<unknown>;
  refetch: () => Promise<unknown>;
}

/**
 * Index into the loaded pages without flattening them: with a million rows a flattened copy per
 * page load would cost O(n) each time; this costs O(pages) to build and O(log pages) a look-up.
 */
export function usePagedRows<P, R>(pages: P[] | undefined, rowsOf: (page: P) => R[]) {
  return useMemo(() => {
    const list = pages ?? [];
    const starts: number[] = [];
    let count = 0;
    for (const p of list) {
      starts.push(count);
      count += rowsOf(p).length;
    }
    const at = (index: number): R | undefined => {
      if (index < 0 || index >= count) return undefined;
      let lo = 0;
      let hi = starts.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if ((starts[mid] ?? 0) <= index) lo = mid;
        else hi = mid - 1;
      }
      const page = list[lo];
      return page === undefined ? undefined : rowsOf(page)[index - (starts[lo] ?? 0)];
    };
    return { count, at };
    // `rowsOf` is a plain accessor: the pages alone decide the index.
  }, [pages]);
}

/** What a table is, beyond its data: its name, its columns, its rows' cells and its words. */
export interface TableSpec<P, R> {
  /** The table's accessible name (and the E2E tests' handle). */
  label: string;
  className: string;
  columns: number;
  /** The rows of one page. */
  rowsOf: (page: P) => R[];
  /** The id `onOpen` receives and `selectedId` is compared with. */
  rowId: (row: R) => number;
  /** The cells of one row. */
  cells: (row: R) => ReactNode;
  texts: {
    /** "Could not load more {noun}", "Loading more {noun}…". */
    noun: string;
    /** The context of the banner when the first page fails, e.g. "Events". */
    error: string;
    /** Shown while the first page loads. */
    loading: string;
    /** The foot's word once every row is loaded, e.g. "end of list". */
    end: string;
  };
}

/** Plain column headers, for `head`. */
export function headCells(names: readonly string[]): ReactNode {
  return names.map((name) => (
    <th key={name} scope="col">
      {name}
    </th>
  ));
}

/** Rows ticked for an action on several at once: a checkbox column before the table's own. */
export interface RowChecks<R> {
  /** The ids (`rowId`) of the ticked rows. */
  checked: ReadonlySet<number>;
  onChange: (next: ReadonlySet<number>) => void;
  /** The accessible name of a row's checkbox, e.g. "Select event 12". */
  rowLabel: (row: R) => string;
  /** The accessible name of the header's checkbox, e.g. "Select all loaded events". */
  allLabel: string;
}

/** Whether the click (or the key) behind a change event held Shift. */
function withShift(e: SyntheticEvent): boolean {
  const native = e.nativeEvent;
  return 'shiftKey' in native && native.shiftKey === true;
}

export interface VirtualTableProps<P, R> {
  spec: TableSpec<P, R>;
  query: PagedQuery<P>;
  selectedId: number | null;
  onOpen: (id: number) => void;
  /** The header cells (`<th scope="col">`), in column order. */
  head: ReactNode;
  /** All rows the query can return, when known (`aria-rowcount` and the "of N" in the foot). */
  expectedTotal?: number | undefined;
  /** Said in the foot, beside the loaded count (e.g. what a search does not reach yet). */
  footNote?: string | undefined;
  /** Shown when the query answers no row. */
  emptyText: string;
  onClearFilters?: (() => void) | undefined;
  /** A checkbox column, for actions on several rows at once. */
  checks?: RowChecks<R> | undefined;
}

export function VirtualTable<P, R>({
  spec,
  query,
  selectedId,
  onOpen,
  head,
  expectedTotal,
  footNote,
  emptyText,
  onClearFilters,
  checks,
}: VirtualTableProps<P, R>) {
  const { label, className, columns, rowsOf, rowId, cells, texts } = spec;
  const rows = usePagedRows(query.data?.pages, rowsOf);
  const checkable = checks !== undefined;
  // Every loaded row's id, in order, for the header's box: built once per page load.
  const loadedIds = useMemo(() => {
    const ids: number[] = [];
    if (!checkable) return ids;
    for (let i = 0; i < rows.count; i++) {
      const row = rows.at(i);
      if (row !== undefined) ids.push(rowId(row));
    }
    return ids;
    // `rowId` is a plain accessor: the loaded rows alone decide the ids.
  }, [rows, checkable]);
  const checkedSet = checks?.checked;
  const loadedChecked = useMemo(() => (checkedSet ? loadedIds.filter((id) => checkedSet.has(id)).length : 0), [loadedIds, checkedSet]);
  // Where the last tick was, for Shift+click: the range runs from there.
  const anchor = useRef<number | null>(null);
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
    const row = rows.at(next);
    if (selectedId !== null && row && rowId(row) !== selectedId) onOpen(rowId(row));
  };

  const pageRows = Math.max(1, Math.floor((scrollRef.current?.clientHeight ?? 600) / ROW_HEIGHT) - 2);
  const targets: Record<string, (index: number) => number> = {
    ArrowDown: (i) => i + 1,
    ArrowUp: (i) => i - 1,
    PageDown: (i) => i + pageRows,
    PageUp: (i) => i - pageRows,
    Home: () => 0,
    End: () => rows.count - 1,
  };
  /** Ticks or unticks one row; with Shift, every row from the last ticked one to this one alike. */
  const toggleRow = (index: number, id: number, range: boolean) => {
    if (!checks) return;
    const on = !checks.checked.has(id);
    const next = new Set(checks.checked);
    const from = checks.checked.size > 0 ? anchor.current : null;
    if (range && from !== null && from !== index) {
      for (let i = Math.min(from, index); i <= Math.max(from, index); i++) {
        const r = rows.at(i);
        if (r === undefined) continue;
        if (on) next.add(rowId(r));
        else next.delete(rowId(r));
      }
    } else if (on) next.add(id);
    else next.delete(id);
    anchor.current = index;
    checks.onChange(next);
  };
  const allChecked = loadedIds.length > 0 && loadedChecked === loadedIds.length;
  const toggleAll = () => {
    if (!checks) return;
    const next = new Set(checks.checked);
    for (const id of loadedIds) {
      if (allChecked) next.delete(id);
      else next.add(id);
    }
    anchor.current = null;
    checks.onChange(next);
  };

  const onRowKeyDown = (e: KeyboardEvent<HTMLTableRowElement>, index: number, row: R) => {
    // Enter and Space on a control inside the row (its checkbox) are the control's.
    if ((e.key === 'Enter' || e.key === ' ') && e.target !== e.currentTarget) return;
    const target = targets[e.key];
    if (target) moveTo(target(index));
    else if (e.key === 'Enter' || e.key === ' ') onOpen(rowId(row));
    else if (checks && (e.key === 'x' || e.key === 'X') && !e.ctrlKey && !e.metaKey && !e.altKey) toggleRow(index, rowId(row), e.shiftKey);
    else return;
    e.preventDefault();
  };

  if (query.isError && !query.data) {
    return (
      <div className="table-wrap">
        <ErrorBanner context={texts.error} error={query.error} onRetry={() => void query.refetch()} />
      </div>
    );
  }

  // Exactly one row is in the tab order: the active one if rendered, else the first rendered.
  const tabbable = items.some((i) => i.index === active) ? active : (items[0]?.index ?? 0);

  return (
    <div className="table-wrap">
      <div className="table-scroll" ref={scrollRef}>
        <table
          className={checkable ? `${className} has-checks` : className}
          role="grid"
          aria-label={label}
          aria-rowcount={expectedTotal !== undefined ? expectedTotal + 1 : -1}
          aria-busy={query.isPending || isFetchingNextPage}
        >
          <thead>
            <tr aria-rowindex={1}>
              {checks && (
                <th scope="col" className="check-cell">
                  <input
                    type="checkbox"
                    aria-label={checks.allLabel}
                    checked={allChecked}
                    ref={(el) => {
                      if (el) el.indeterminate = loadedChecked > 0 && !allChecked;
                    }}
                    disabled={loadedIds.length === 0}
                    onChange={toggleAll}
                  />
                </th>
              )}
              {head}
            </tr>
          </thead>
          <tbody style={{ height: virtualizer.getTotalSize() }}>
            {items.map((vi) => {
              const row = rows.at(vi.index);
              const style = { transform: `translateY(${vi.start - HEADER_HEIGHT}px)`, height: ROW_HEIGHT };
              if (!row) {
                return (
                  <tr key={vi.key} className="loader-row" style={style} aria-rowindex={vi.index + 2}>
                    <td colSpan={columns + (checkable ? 1 : 0)}>
                      {isFetchNextPageError ? (
                        <span className="loader-error">
                          Could not load more {texts.noun}: {toIpcError(query.error).message}{' '}
                          <button type="button" className="btn btn-small" onClick={() => void fetchNextPage()}>
                            Retry
                          </button>
                        </span>
                      ) : (
                        `Loading more ${texts.noun}…`
                      )}
                    </td>
                  </tr>
                );
              }
              const id = rowId(row);
              const checked = checks?.checked.has(id) === true;
              return (
                <tr
                  key={vi.key}
                  className={checked ? 'is-checked' : undefined}
                  data-index={vi.index}
                  aria-rowindex={vi.index + 2}
                  aria-selected={id === selectedId}
                  tabIndex={vi.index === tabbable ? 0 : -1}
                  style={style}
                  onClick={() => {
                    setActive(vi.index);
                    onOpen(id);
                  }}
                  onFocus={() => setActive(vi.index)}
                  onKeyDown={(e) => onRowKeyDown(e, vi.index, row)}
                >
                  {checks && (
                    // The cell is the checkbox's: a click anywhere in it ticks, and never opens the row.
                    <td
                      className="check-cell"
                      onMouseDown={(e) => {
                        // Shift+click ticks a range; it must not also select the text between.
                        if (e.shiftKey) e.preventDefault();
                      }}
                      onClick={(e) => {
                        e.stopPropagation();
                        if (e.target === e.currentTarget) toggleRow(vi.index, id, e.shiftKey);
                      }}
                    >
                      <input
                        type="checkbox"
                        // The row is the tab stop; X ticks it from the keyboard.
                        tabIndex={-1}
                        aria-label={checks.rowLabel(row)}
                        checked={checked}
                        onChange={(e) => toggleRow(vi.index, id, withShift(e))}
                      />
                    </td>
                  )}
                  {cells(row)}
                </tr>
              );
            })}
          </tbody>
        </table>
        {query.isPending && <div className="table-note">{texts.loading}</div>}
        {query.isSuccess && rows.count === 0 && (
          <div className="table-note">
            {emptyText}
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
          {isFetchingNextPage ? ' · loading more…' : hasMore ? ' · scroll for more' : rows.count > 0 ? ` · ${texts.end}` : ''}
        </span>
        {footNote && (
          <span className="table-foot-note" role="status">
            {footNote}
          </span>
        )}
        <span className="keys" aria-hidden="true">
          <kbd>↑</kbd>
          <kbd>↓</kbd> move <kbd>Enter</kbd> open {checkable && (
            <>
              <kbd>X</kbd> select{' '}
            </>
          )}
          <kbd>Esc</kbd> close
        </span>
      </div>
    </div>
  );
}
