// Triage: assignee, investigating mark, tags and notes, on one event or several.
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { commands } from './bindings/commands';
import type { TriageChange } from './bindings/TriageChange';
import type { TriageOutcome } from './bindings/TriageOutcome';
import { eventKeys, refreshQueue } from './events';

export type { TriageChange, TriageOutcome };
export type { Triage } from './bindings/Triage';
export type { Note } from './bindings/Note';

export function useTriage() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ eventIds, change }: { eventIds: number[]; change: TriageChange }) => commands.eventsTriage(eventIds, change),
    onSuccess: () =>
      Promise.all([
        client.invalidateQueries({ queryKey: eventKeys.allOne }),
        client.invalidateQueries({ queryKey: ['audit'] }),
        refreshQueue(client),
      ]),
  });
}
