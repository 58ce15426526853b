import { useQueryClient } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { ErrorBanner } from '../../components/ErrorBanner';
import { auditKeys, useAuditVerify, useLanes, type AuditFilter } from '../../ipc';
import { AuditDetailPanel } from './AuditDetailPanel';
import { AuditFilterBar } from './AuditFilterBar';
import { AuditTable } from './AuditTable';
import { compactFilter, isFiltered } from './auditFormat';
import { ExportDialog } from './ExportDialog';
import { LossAlert } from './LossAlert';
import { VerifyChainPanel } from './VerifyChain';
import './audit.css';

/** Reviewers: who did what, when and why; whether the log is intact; and the export. */
export function AuditScreen({ filter, onFilterChange }: { filter: AuditFilter; onFilterChange: (f: AuditFilter) => void }) {
  const lanes = useLanes();
  const client = useQueryClient();
  const verify = useAuditVerify();
  const [selectedSeq, setSelectedSeq] = useState<number | null>(null);
  const [newestFirst, setNewestFirst] = useState(true);
  const [exporting, setExporting] = useState(false);

  const laneIds = useMemo(() => (lanes.data ?? []).map((l) => l.lane_id).sort(), [lanes.data]);
  const filtered = isFiltered(filter);
  const setFilter = (f: AuditFilter) => {
    setSelectedSeq(null);
    onFilterChange(compactFilter(f));
  };

  const refresh = () => {
    // Reset, not refetch: a refetch of the infinite query would reload every page scrolled so far.
    void client.resetQueries({ queryKey: auditKeys.all });
  };

  return (
    <div className="screen audit-screen">
      <header className="screen-header">
        <div>
          <h1>Audit log</h1>
          <p className="screen-sub">Who replayed what, when and why: every entry hash-chained and checked against a signed checkpoint</p>
        </div>
        <div className="audit-header-actions">
          <button type="button" className="btn" onClick={refresh}>
            Refresh
          </button>
          <button type="button" className="btn" onClick={() => verify.mutate()} disabled={verify.isPending}>
            {verify.isPending ? 'Verifying…' : 'Verify chain'}
          </button>
          <button type="button" className="btn btn-primary" onClick={() => setExporting(true)}>
            Export…
          </button>
        </div>
      </header>

      {lanes.isError && <ErrorBanner context="Lanes" error={lanes.error} onRetry={() => void lanes.refetch()} />}

      <LossAlert onOpenEntry={setSelectedSeq} />

      <VerifyChainPanel
        pending={verify.isPending}
        progress={verify.progress}
        report={verify.data}
        error={verify.error}
        onOpenEntry={setSelectedSeq}
        onDismiss={verify.reset}
      />

      <AuditFilterBar filter={filter} laneIds={laneIds} onChange={setFilter} />

      <div className={`queue-body${selectedSeq !== null ? ' with-detail' : ''}`}>
        <AuditTable
          key={`${JSON.stringify(filter)}|${String(newestFirst)}`}
          filter={filter}
          newestFirst={newestFirst}
          onToggleOrder={() => setNewestFirst((n) => !n)}
          selectedSeq={selectedSeq}
          onOpen={setSelectedSeq}
          onClearFilters={filtered ? () => setFilter({}) : undefined}
        />
        {selectedSeq !== null && (
          <AuditDetailPanel
            seq={selectedSeq}
            onClose={() => setSelectedSeq(null)}
            onShowEvent={(eventId) => setFilter({ event_id: eventId })}
            onShowBatch={(batchId) => setFilter({ batch_id: batchId })}
          />
        )}
      </div>

      {exporting && <ExportDialog filter={filter} onClose={() => setExporting(false)} />}
    </div>
  );
}
