import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useState } from 'react';
import { describe, expect, it, vi } from 'vitest';
import { headCells, VirtualTable, type PagedQuery, type TableSpec } from './VirtualTable';

interface Row {
  id: number;
  name: string;
}
type Page = { rows: Row[] };

/** A settled infinite query over these pages, as TanStack would report it. */
function pagedQuery(pages: Page[] | undefined, over: Partial<PagedQuery<Page>> = {}): PagedQuery<Page> {
  return {
    data: pages === undefined ? undefined : { pages },
    error: null,
    isError: false,
    isPending: pages === undefined,
    isSuccess: pages !== undefined,
    hasNextPage: false,
    isFetchingNextPage: false,
    isFetchNextPageError: false,
    fetchNextPage: vi.fn(() => Promise.resolve()),
    refetch: vi.fn(() => Promise.resolve()),
    ...over,
  };
}

const SPEC: TableSpec<Page, Row> = {
  label: 'Things',
  className: 'events things',
  columns: 2,
  rowsOf: (p) => p.rows,
  rowId: (r) => r.id,
  cells: (r) => (
    <>
      <td>{r.id}</td>
      <td>{r.name}</td>
    </>
  ),
  texts: { noun: 'things', error: 'Things', loading: 'Loading things…', end: 'end of things' },
};
const rows = (from: number, n: number): Row[] => Array.from({ length: n }, (_, i) => ({ id: from + i, name: `row ${from + i}` }));

function Table({ query, onClearFilters, initial = null }: { query: PagedQuery<Page>; onClearFilters?: () => void; initial?: number | null }) {
  const [selected, setSelected] = useState<number | null>(initial);
  return (
    <>
      <VirtualTable
        spec={SPEC}
        query={query}
        selectedId={selected}
        onOpen={setSelected}
        head={headCells(['ID', 'Name'])}
        expectedTotal={query.data ? 30 : undefined}
        emptyText="No things."
        onClearFilters={onClearFilters}
      />
      <output aria-label="Opened">{selected ?? 'none'}</output>
    </>
  );
}

describe('VirtualTable', () => {
  it('renders the rows of every page as a grid, one row tabbable, with the count in the foot', () => {
    render(<Table query={pagedQuery([{ rows: rows(1, 10) }, { rows: rows(11, 20) }])} />);
    const grid = screen.getByRole('grid', { name: 'Things' });
    expect(grid).toHaveClass('events', 'things');
    expect(grid).toHaveAttribute('aria-rowcount', '31');
    const body = within(grid).getAllByRole('row').slice(1);
    expect(body[0]).toHaveAttribute('aria-rowindex', '2');
    expect(within(body[10] as HTMLElement).getByText('row 11')).toBeInTheDocument();
    expect(body.filter((r) => r.tabIndex === 0)).toHaveLength(1);
    expect(screen.getByText(/30 of 30 loaded · end of things/)).toBeInTheDocument();
  });

  it('moves with the arrows, Home and End, and opens with Enter; the open row follows the focus', async () => {
    const user = userEvent.setup();
    // Twenty rows: all rendered in jsdom's 600 px, which scrolls nothing.
    render(<Table query={pagedQuery([{ rows: rows(1, 20) }])} />);
    const first = screen.getByText('row 1').closest('tr') as HTMLElement;
    first.focus();
    await user.keyboard('{ArrowDown}{ArrowDown}');
    expect(document.activeElement).toHaveTextContent('row 3');
    expect(screen.getByLabelText('Opened')).toHaveTextContent('none');
    await user.keyboard('{Enter}');
    expect(screen.getByLabelText('Opened')).toHaveTextContent('3');
    expect(screen.getByText('row 3').closest('tr')).toHaveAttribute('aria-selected', 'true');
    await user.keyboard('{End}');
    expect(document.activeElement).toHaveTextContent('row 20');
    expect(screen.getByLabelText('Opened')).toHaveTextContent('20');
    await user.keyboard('{Home}{ArrowUp}');
    expect(document.activeElement).toHaveTextContent('row 1');
  });

  it('opens a row on click', async () => {
    const user = userEvent.setup();
    render(<Table query={pagedQuery([{ rows: rows(1, 5) }])} />);
    await user.click(screen.getByText('row 4'));
    expect(screen.getByLabelText('Opened')).toHaveTextContent('4');
  });

  it('asks for the next page when the loader row comes into view, and offers a retry when it failed', async () => {
    const user = userEvent.setup();
    const more = pagedQuery([{ rows: rows(1, 5) }], { hasNextPage: true });
    const { unmount } = render(<Table query={more} />);
    expect(more.fetchNextPage).toHaveBeenCalled();
    expect(screen.getByText('Loading more things…')).toBeInTheDocument();
    unmount();

    const failed = pagedQuery([{ rows: rows(1, 5) }], {
      hasNextPage: true,
      isFetchNextPageError: true,
      error: { kind: 'internal', message: 'disk full' },
    });
    render(<Table query={failed} />);
    expect(screen.getByText(/Could not load more things: disk full/)).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Retry' }));
    expect(failed.fetchNextPage).toHaveBeenCalled();
  });

  it('says when it loads, when nothing matches (with Clear filters), and shows a first-page failure as a banner', async () => {
    const user = userEvent.setup();
    const { unmount } = render(<Table query={pagedQuery(undefined)} />);
    expect(screen.getByText('Loading things…')).toBeInTheDocument();
    unmount();

    const clear = vi.fn();
    const { unmount: unmountEmpty } = render(<Table query={pagedQuery([{ rows: [] }])} onClearFilters={clear} />);
    expect(screen.getByText('No things.')).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Clear filters' }));
    expect(clear).toHaveBeenCalled();
    unmountEmpty();

    const broken = pagedQuery(undefined, { isError: true, isPending: false, error: { kind: 'internal', message: 'no database' } });
    render(<Table query={broken} />);
    expect(screen.queryByRole('grid')).not.toBeInTheDocument();
    expect(screen.getByText(/no database/)).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: /retry/i }));
    expect(broken.refetch).toHaveBeenCalled();
  });
});
