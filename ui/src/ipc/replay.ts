// One event's replay: its preflight (taken now or the latest stored), the replay itself, and
// settling an unknown outcome (`verify_run`).
import { useMutation, useMutationState, useQuery, useQueryClient, type MutationState } from '@tanstack/react-query';
import { call } from './call';
import { eventKeys, useEventChanged } from './events';
import type { OverrideRequest } from './bindings/OverrideRequest';
import type { PreflightView } from './bindings/PreflightView';
import type { ReplayRequest } from './bindings/ReplayRequest';
import type { ReplayResult } from './bindings/ReplayResult';
import type { VerifyResult } from './bindings/VerifyResult';

export type { OverrideRequest, PreflightView, ReplayRequest, ReplayResult, VerifyResult };
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

// Argument names are the Rust parameter names in camelCase, as Tauri expects them.
export const replayCommands = {
  /** Reads the target record from Salesforce now (0.1 to 2 s) and stores the preflight. */
  preflightRun: (eventId: number, overrideRequest: OverrideRequest | null) =>
    call<PreflightView>('preflight_run', { eventId, overrideRequest }),
  preflightLatest: (eventId: number) => call<PreflightView | null>('preflight_latest', { eventId }),
  /** Rejects with kind `refused` when the gate says no; nothing is written then. */
  replayRun: (eventId: number, request: ReplayRequest) => call<ReplayResult>('replay_run', { eventId, request }),
  /** Settles an event in `unknown_outcome`: reads the record and decides applied or not. */
  verifyRun: (eventId: number) => call<VerifyResult>('verify_run', { eventId }),
};

/** The newest stored preflight of an event, `null` when none was taken. */
export function usePreflightLatest(eventId: number) {
  return useQuery({ queryKey: eventKeys.preflight(eventId), queryFn: () => replayCommands.preflightLatest(eventId) });
}

/**
 * Takes a preflight now. Its answer becomes the event's latest preflight at once, so every view
 * of it (panel, form, token) switches to the new one together.
 */
export function usePreflightRun(eventId: number) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (overrideRequest: OverrideRequest | null) => replayCommands.preflightRun(eventId, overrideRequest),
    onSuccess: (view) => client.setQueryData(eventKeys.preflight(eventId), view),
  });
}

export function useReplay(eventId: number) {
  const changed = useEventChanged(eventId);
  return useMutation({
    mutationFn: (request: ReplayRequest) => replayCommands.replayRun(eventId, request),
    // A refusal changes nothing, but any other failure may have left an attempt behind.
    onSettled: changed,
  });
}

export function useVerify(eventId: number) {
  const changed = useEventChanged(eventId);
  return useMutation({
    // Keyed, so every Verify button of the event shows the same run (useVerifyState).
    mutationKey: ['verify', eventId],
    mutationFn: () => replayCommands.verifyRun(eventId),
    onSettled: changed,
  });
}

/** The latest verify of this event started anywhere in the window: pending, its result or its error. */
export function useVerifyState(eventId: number) {
  const states = useMutationState({
    filters: { mutationKey: ['verify', eventId] },
    select: (m) => m.state as MutationState<VerifyResult, unknown, void>,
  });
  return states.at(-1);
}
