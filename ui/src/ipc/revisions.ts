// Edit before replay: an event's payload revisions, a new edit, and another person's approval.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { commands } from './bindings/commands';
import type { EditRequest } from './bindings/EditRequest';
import type { RevisionView } from './bindings/RevisionView';
import type { RevisionsView } from './bindings/RevisionsView';
import { eventKeys, refreshQueue } from './events';

export type { EditRequest, RevisionView, RevisionsView };
export type { PayloadChange } from './bindings/PayloadChange';
export type { FieldValue } from './bindings/FieldValue';

export const revisionKeys = {
  // Under the event's key: whatever refreshes the event refreshes its revisions.
  one: (eventId: number) => ['events', 'one', eventId, 'revisions'] as const,
};

export function useRevisions(eventId: number) {
  return useQuery({ queryKey: revisionKeys.one(eventId), queryFn: () => commands.eventRevisions(eventId) });
}

/** After an edit or an approval: the revisions, the event's preflight (it now reads another payload), the queue. */
function useRevisionChanged(eventId: number) {
  const client = useQueryClient();
  return () =>
    Promise.all([
      client.invalidateQueries({ queryKey: eventKeys.one(eventId) }),
      client.invalidateQueries({ queryKey: eventKeys.preflight(eventId) }),
      client.invalidateQueries({ queryKey: ['audit'] }),
      refreshQueue(client),
    ]);
}

export function useEditPayload(eventId: number) {
  const changed = useRevisionChanged(eventId);
  return useMutation({
    mutationFn: (request: EditRequest) => commands.eventEdit(eventId, request),
    onSuccess: changed,
  });
}

export function useApproveEdit(eventId: number) {
  const changed = useRevisionChanged(eventId);
  return useMutation({
    mutationFn: ({ revision, approver, reason }: { revision: number; approver: string; reason: string }) =>
      commands.eventEditApprove(eventId, revision, approver, reason),
    onSuccess: changed,
  });
}
