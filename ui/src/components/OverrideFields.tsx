// The approved-override fields of the replay form and the batch preflight, and their state.
import { useState, type ReactNode } from 'react';
import type { OverrideRequest } from '../ipc';
import { REQUESTED_APPROVER } from '../lib/roles';

/** What the override fields hold: ticked or not, the reassignment reason and the approver. */
export interface OverrideState {
  on: boolean;
  reason: string;
  approver: string;
  setOn: (on: boolean) => void;
  setReason: (reason: string) => void;
  setApprover: (approver: string) => void;
}

/** The state of the override fields, starting from an override already asked for (or none). */
export function useOverrideState(initial: OverrideRequest | null = null): OverrideState {
  const [on, setOn] = useState(initial !== null);
  const [reason, setReason] = useState(initial?.reassignment_reason ?? '');
  const [approver, setApprover] = useState(initial?.approved_by === REQUESTED_APPROVER ? '' : (initial?.approved_by ?? ''));
  return { on, reason, approver, setOn, setReason, setApprover };
}

/**
 * The checkbox of an approved override of protected fields and, when ticked, its reassignment
 * reason and approver. What an override must carry is the lane contract's
 * owner_override_allowed_only_when; the backend refuses one that lacks a listed condition.
 */
export function OverrideFields({
  id,
  label,
  approverHint,
  state,
  approval = 'declared',
  children,
}: {
  id: string;
  label: string;
  approverHint: string;
  state: OverrideState;
  /**
   * Who approves: `declared`, a typed name (solo mode: not authenticated), or `request`, an
   * approval request another login with the approver role decides (team mode: no name typed).
   */
  approval?: 'declared' | 'request';
  /** Said or offered below the fields. */
  children?: ReactNode;
}) {
  return (
    <fieldset className="override">
      <legend className="visually-hidden">Override</legend>
      <label className="check">
        <input type="checkbox" checked={state.on} onChange={(e) => state.setOn(e.target.checked)} />
        <span>{label}</span>
      </label>
      {state.on && (
        <div className="form-row">
          <label className="form-field grow" htmlFor={`${id}-override-reason`}>
            <span className="form-label">Reassignment reason</span>
            <input id={`${id}-override-reason`} type="text" value={state.reason} onChange={(e) => state.setReason(e.target.value)} />
          </label>
          {approval === 'declared' ? (
            <label className="form-field" htmlFor={`${id}-approver`}>
              <span className="form-label">
                Approved by <span className="muted">(declared, not authenticated)</span>
              </span>
              <input
                id={`${id}-approver`}
                type="text"
                value={state.approver}
                onChange={(e) => state.setApprover(e.target.value)}
                placeholder={approverHint}
              />
            </label>
          ) : (
            <p className="form-field override-request-note" role="note">
              <span className="form-label">Approved by</span>
              <span>an approval request: another login with the approver role decides it under Approvals</span>
            </p>
          )}
        </div>
      )}
      {children}
    </fieldset>
  );
}
