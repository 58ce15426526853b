import { attemptMeta } from '../../lib/status';

export function OutcomeBadge({ outcome }: { outcome: string }) {
  const meta = attemptMeta(outcome);
  return (
    <span className={`badge tone-${meta.tone}`} title={meta.meaning || undefined}>
      <span className="dot" aria-hidden="true" />
      {meta.label}
    </span>
  );
}
