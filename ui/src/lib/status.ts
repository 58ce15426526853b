import { EVENT_STATUSES, type EventStatus } from '../ipc';

export type Tone = 'danger' | 'warning' | 'info' | 'success' | 'attention' | 'neutral';

/** A state in words and a colour, with what it means for the operator. */
export interface Meta {
  label: string;
  tone: Tone;
  meaning: string;
}

/** Looks a state up in a table of words and colours; one this build does not know is shown as is. */
export function metaOf<M extends { label: string; tone: Tone }>(table: Readonly<Record<string, M>>, key: string): M | Meta {
  return table[key] ?? { label: key, tone: 'neutral', meaning: '' };
}

const META: Record<EventStatus, Meta> = {
  failed: { label: 'Failed', tone: 'danger', meaning: 'Salesforce rejected the write; it can be replayed.' },
  blocked: { label: 'Blocked', tone: 'warning', meaning: 'Held back by policy before it reached Salesforce.' },
  in_flight: { label: 'In flight', tone: 'info', meaning: 'A replay was sent and its answer is awaited.' },
  replayed: { label: 'Replayed', tone: 'success', meaning: 'Written again and verified.' },
  unknown_outcome: {
    label: 'Unknown outcome',
    tone: 'attention',
    meaning: 'Sent without an answer; verify before any new replay.',
  },
  discarded: { label: 'Discarded', tone: 'neutral', meaning: 'Closed by an operator without replay.' },
};

export function isEventStatus(s: string): s is EventStatus {
  return (EVENT_STATUSES as readonly string[]).includes(s);
}

/** Label, colour and meaning of a status; a status this build does not know is shown as is. */
export function statusMeta(status: string): Meta {
  return metaOf(META, status);
}

const ATTEMPT: Record<string, Meta> = {
  in_flight: { label: 'In flight', tone: 'info', meaning: 'Sent; the answer is awaited.' },
  applied: { label: 'Applied', tone: 'success', meaning: 'Salesforce accepted the write.' },
  rejected: { label: 'Rejected', tone: 'danger', meaning: 'Salesforce said no; nothing was written.' },
  precondition_failed: { label: 'Record changed', tone: 'warning', meaning: 'The record changed since the preflight (412); nothing was written.' },
  unknown_outcome: { label: 'Unknown outcome', tone: 'attention', meaning: 'Sent without an answer; verify before anything else.' },
  record_appeared: {
    label: 'Record appeared',
    tone: 'warning',
    meaning: 'A record with this external ID appeared after the preflight; the create was refused and nothing was written.',
  },
  not_applied: { label: 'Not applied', tone: 'neutral', meaning: 'Sent without an answer; a verify found it was not applied.' },
};

/** An attempt's outcome (`attempts.outcome`), as a label and a colour. */
export function attemptMeta(outcome: string): Meta {
  return metaOf(ATTEMPT, outcome);
}
