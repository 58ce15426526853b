// One event's replay: its preflight (taken now or the latest stored), the replay itself, and
// settling an unknown outcome (`settle_run`).
import { useMutation, useMutationState, useQuery, useQueryClient, type MutationState } from '@tanstack/react-query';
import { commands } from './bindings/commands';
import { eventKeys, useEventChanged } from './events';
import type { OverrideRequest } from './bindings/OverrideRequest';
import type { PreflightView } from './bindings/PreflightView';
import type { ReplayRequest } from './bindings/ReplayRequest';
import type { ReplayResult } from './bindings/ReplayResult';
import type { SettleResult } from './bindings/SettleResult';

export type { OverrideRequest, PreflightView, ReplayRequest, ReplayResult, SettleResult };
export type { FieldChange } from './bindings/FieldChange';
export type { FieldCheck } from './bindings/FieldCheck';
export type { Finding } from './bindings/Finding';
export type { KeyMatch } from './bindings/KeyMatch';
export type { OwnerKind } from './bindings/OwnerKind';
export type { OwnerState } from './bindings/OwnerState';
export type { PlannedRequest } from './bindings/PlannedRequest';
export type { PostVerify } from './bindings/PostVerify';
export type { Preflight } from './bindings/Preflight';
export type { RecordState } from './bindings/RecordState';
export type { ReplayOutcome } from './bindings/ReplayOutcome';
export type { Settlement } from './bindings/Settlement';
export type { Severity } from './bindings/Severity';
export type { SideEffect } from './bindings/SideEffect';
export type { Target } from './bindings/Target';
export type { WriteKind } from './bindings/WriteKind';

/** The newest stored preflight of an event, `null` when none was taken. */
export function usePreflightLatest(eventId: number) {
  return useQuery({ queryKey: eventKeys.preflight(eventId), queryFn: () => commands.preflightLatest(eventId) });
}

/**
 * Takes a preflight now. Its answer becomes the event's latest preflight at once, so every view
 * of it (panel, form, token) switches to the new one together.
 */
export function usePreflightRun(eventId: number) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (overrideRequest: OverrideRequest | null) => commands.preflightRun(eventId, overrideRequest),
    onSuccess: (view) => client.setQueryData(eventKeys.preflight(eventId), view),
  });
}

export function useReplay(eventId: number) {
  const changed = useEventChanged(eventId);
  return useMutation({
    mutationFn: (request: ReplayRequest) => commands.replayRun(eventId, request),
    // A refusal changes nothing, but any other failure may have left an attempt behind.
    onSettled: changed,
  });
}

export function useVerify(eventId: number) {
  const changed = useEventChanged(eventId);
  return useMutation({
    // Keyed, so every Verify button of the event shows the same run (useVerifyState).
    mutationKey: ['verify', eventId],
    mutationFn: () => commands.settleRun(eventId),
    onSettled: changed,
  });
}

/** The latest verify of this event started anywhere in the window: pending, its result or its error. */
export function useVerifyState(eventId: number) {
  const states = useMutationState({
    filters: { mutationKey: ['verify', eventId] },
    select: (m) => m.state as MutationState<SettleResult, unknown, void>,
  });
  return states.at(-1);
}
