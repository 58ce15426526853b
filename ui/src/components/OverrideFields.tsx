/**
 * The checkbox of an approved override of protected fields and, when ticked, its reassignment
 * reason and approver. What an override must carry is the lane contract's
 * owner_override_allowed_only_when; the backend refuses one that lacks a listed condition.
 */
export function OverrideFields({
  id,
  label,
  approverHint,
  on,
  onToggle,
  reason,
  onReason,
  approver,
  onApprover,
}: {
  id: string;
  label: string;
  approverHint: string;
  on: boolean;
  onToggle: (on: boolean) => void;
  reason: string;
  onReason: (reason: string) => void;
  approver: string;
  onApprover: (approver: string) => void;
}) {
  return (
    <>
      <legend className="visually-hidden">Override</legend>
      <label className="check">
        <input type="checkbox" checked={on} onChange={(e) => onToggle(e.target.checked)} />
        <span>{label}</span>
      </label>
      {on && (
        <div className="form-row">
          <label className="form-field grow" htmlFor={`${id}-override-reason`}>
            <span className="form-label">Reassignment reason</span>
            <input id={`${id}-override-reason`} type="text" value={reason} onChange={(e) => onReason(e.target.value)} />
          </label>
          <label className="form-field" htmlFor={`${id}-approver`}>
            <span className="form-label">Approved by</span>
            <input id={`${id}-approver`} type="text" value={approver} onChange={(e) => onApprover(e.target.value)} placeholder={approverHint} />
          </label>
        </div>
      )}
    </>
  );
}
