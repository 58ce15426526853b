import { useId, useState, type FormEvent } from 'react';
import type { AuditFilter } from '../../ipc';
import { actionMeta, compactFilter, isFiltered, KNOWN_ACTIONS, KNOWN_OUTCOMES, outcomeMeta, parseTimeBound } from './auditFormat';

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
      <label className="audit-filter lane">
        <span>Lane</span>
        <select value={draft.lane} onChange={(e) => pick('lane', e.target.value)}>
          <option value="">All lanes</option>
          {lanes.map((l) => (
            <option key={l} value={l}>
              {l}
            </option>
          ))}
        </select>
      </label>
      <label className="audit-filter">
        <span>Operator</span>
        <input type="text" value={draft.operator} placeholder="actor" onChange={(e) => set('operator', e.target.value)} />
      </label>
      <label className="audit-filter">
        <span>Action</span>
        <select value={draft.action} onChange={(e) => pick('action', e.target.value)}>
          <option value="">All actions</option>
          {KNOWN_ACTIONS.map((a) => (
            <option key={a} value={a}>
              {actionMeta(a).label}
            </option>
          ))}
        </select>
      </label>
      <label className="audit-filter">
        <span>Outcome</span>
        <select value={draft.outcome} onChange={(e) => pick('outcome', e.target.value)}>
          <option value="">All outcomes</option>
          {KNOWN_OUTCOMES.map((o) => (
            <option key={o} value={o}>
              {outcomeMeta(o).label}
            </option>
          ))}
        </select>
      </label>
      <label className="audit-filter narrow">
        <span>Event</span>
        <input type="text" inputMode="numeric" value={draft.event} placeholder="id" onChange={(e) => set('event', e.target.value)} />
      </label>
      <label className="audit-filter narrow">
        <span>Batch</span>
        <input type="text" inputMode="numeric" value={draft.batch} placeholder="id" onChange={(e) => set('batch', e.target.value)} />
      </label>
      <label className="audit-filter">
        <span>External ID</span>
        <input type="text" value={draft.externalId} onChange={(e) => set('externalId', e.target.value)} />
      </label>
      <label className="audit-filter time">
        <span>Since (UTC)</span>
        <input type="text" value={draft.since} placeholder="2026-11-20" aria-describedby={`${id}-time`} onChange={(e) => set('since', e.target.value)} />
      </label>
      <label className="audit-filter time">
        <span>Until (UTC)</span>
        <input type="text" value={draft.until} placeholder="2026-11-21" aria-describedby={`${id}-time`} onChange={(e) => set('until', e.target.value)} />
      </label>
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
