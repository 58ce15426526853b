import { useId, useState, type FormEvent } from 'react';
import type { AuditFilter } from '../../ipc';
import { actionMeta, compactFilter, isFiltered, KNOWN_ACTIONS, KNOWN_OUTCOMES, outcomeMeta, parseTimeBound } from './auditFormat';
import { FilterSelect, FilterText } from '../../components/FilterFields';

const ACTIONS = KNOWN_ACTIONS.map((a) => ({ value: a, label: actionMeta(a).label }));
const OUTCOMES = KNOWN_OUTCOMES.map((o) => ({ value: o, label: outcomeMeta(o).label }));

interface Draft {
  lane: string;
  operator: string;
  action: string;
  outcome: string;
  event: string;
  batch: string;
  externalId: string;
  since: string;
  until: string;
}

function draftOf(f: AuditFilter): Draft {
  return {
    lane: f.lane_id ?? '',
    operator: f.operator ?? '',
    action: f.action ?? '',
    outcome: f.outcome ?? '',
    event: f.event_id === null || f.event_id === undefined ? '' : String(f.event_id),
    batch: f.batch_id === null || f.batch_id === undefined ? '' : String(f.batch_id),
    externalId: f.external_id ?? '',
    since: f.since ?? '',
    until: f.until ?? '',
  };
}

/** The draft as a filter, or the sentences saying which fields are wrong. */
function filterOf(d: Draft): { filter: AuditFilter; errors: string[] } {
  const errors: string[] = [];
  const f: AuditFilter = {
    lane_id: d.lane.trim() || null,
    operator: d.operator.trim() || null,
    action: d.action.trim() || null,
    outcome: d.outcome.trim() || null,
    external_id: d.externalId.trim() || null,
  };
  const ev = d.event.trim();
  if (ev !== '') {
    if (/^\d+$/.test(ev)) f.event_id = Number(ev);
    else errors.push(`Event: “${ev}” is not an event id (a whole number).`);
  }
  const batch = d.batch.trim();
  if (batch !== '') {
    if (/^\d+$/.test(batch)) f.batch_id = Number(batch);
    else errors.push(`Batch: “${batch}” is not a batch id (a whole number).`);
  }
  for (const [key, label] of [
    ['since', 'Since'],
    ['until', 'Until'],
  ] as const) {
    const text = d[key].trim();
    if (text === '') continue;
    const parsed = parseTimeBound(text);
    if ('error' in parsed) errors.push(`${label}: ${parsed.error}`);
    else f[key] = parsed.value;
  }
  if (f.since && f.until && f.since >= f.until) errors.push('Until must be later than Since (Since is inclusive, Until exclusive).');
  return { filter: compactFilter(f), errors };
}

/** Lane, operator, action, outcome, event, batch, external ID and a time range; Enter applies. */
export function AuditFilterBar({ filter, laneIds, onChange }: { filter: AuditFilter; laneIds: string[]; onChange: (f: AuditFilter) => void }) {
  const id = useId();
  const [draft, setDraft] = useState<Draft>(() => draftOf(filter));
  const [errors, setErrors] = useState<string[]>([]);
  // The filter can change from outside (an event's "Audit trail"): the form follows it.
  const [seen, setSeen] = useState(filter);
  if (seen !== filter) {
    setSeen(filter);
    setDraft(draftOf(filter));
    setErrors([]);
  }

  const apply = (d: Draft) => {
    const { filter: next, errors: errs } = filterOf(d);
    setErrors(errs);
    if (errs.length === 0) onChange(next);
  };
  const set = (key: keyof Draft, value: string) => setDraft((d) => ({ ...d, [key]: value }));
  // A pick from a list applies at once; typed text waits for Enter or Apply.
  const pick = (key: keyof Draft, value: string) => {
    const d = { ...draft, [key]: value };
    setDraft(d);
    apply(d);
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    apply(draft);
  };
  const lanes = draft.lane !== '' && !laneIds.includes(draft.lane) ? [draft.lane, ...laneIds] : laneIds;

  return (
    <form className="audit-filters" role="search" aria-label="Filter audit entries" onSubmit={submit}>
      <FilterSelect className="audit-filter lane" label="Lane" value={draft.lane} onChange={(v) => pick('lane', v)} all="All lanes" options={lanes} />
      <FilterText className="audit-filter" label="Operator" value={draft.operator} placeholder="actor" onChange={(v) => set('operator', v)} />
      <FilterSelect className="audit-filter" label="Action" value={draft.action} onChange={(v) => pick('action', v)} all="All actions" options={ACTIONS} />
      <FilterSelect className="audit-filter" label="Outcome" value={draft.outcome} onChange={(v) => pick('outcome', v)} all="All outcomes" options={OUTCOMES} />
      <FilterText className="audit-filter narrow" label="Event" inputMode="numeric" value={draft.event} placeholder="id" onChange={(v) => set('event', v)} />
      <FilterText className="audit-filter narrow" label="Batch" inputMode="numeric" value={draft.batch} placeholder="id" onChange={(v) => set('batch', v)} />
      <FilterText className="audit-filter" label="External ID" value={draft.externalId} onChange={(v) => set('externalId', v)} />
      <FilterText className="audit-filter time" label="Since (UTC)" value={draft.since} placeholder="2026-11-20" aria-describedby={`${id}-time`} onChange={(v) => set('since', v)} />
      <FilterText className="audit-filter time" label="Until (UTC)" value={draft.until} placeholder="2026-11-21" aria-describedby={`${id}-time`} onChange={(v) => set('until', v)} />
      <div className="audit-filter-actions">
        <button type="submit" className="btn btn-small">
          Apply
        </button>
        {isFiltered(filter) && (
          <button type="button" className="btn btn-ghost btn-small" onClick={() => onChange({})}>
            Clear
          </button>
        )}
      </div>
      <span id={`${id}-time`} className="visually-hidden">
        A date is UTC midnight; a time without an offset is UTC. Since is inclusive, until exclusive.
      </span>
      {errors.length > 0 && (
        <ul className="audit-filter-errors" role="alert">
          {errors.map((e) => (
            <li key={e}>{e}</li>
          ))}
        </ul>
      )}
    </form>
  );
}
