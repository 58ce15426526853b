// One term and its value in a key-value list (dl.kv).
import type { ReactNode } from 'react';

/** One term and its value in a `dl.kv` list, kept together (for a row's hover and wrapping). */
export function KvRow({ label, className, title, children }: { label: ReactNode; className?: string; title?: string; children: ReactNode }) {
  return (
    <div className="kv-row">
      <dt>{label}</dt>
      <dd className={className} title={title}>
        {children}
      </dd>
    </div>
  );
}
