import { useState } from 'react';

/**
 * The side effects ticked on a form, bound to the acknowledgment token they were ticked for: a
 * new token (a new preflight, another batch) starts with nothing ticked.
 */
export function useAcknowledgments<K>(token: string): [ReadonlySet<K>, (key: K) => void] {
  const [acks, setAcks] = useState<{ token: string; ticked: ReadonlySet<K> }>({ token, ticked: new Set() });
  const ticked = acks.token === token ? acks.ticked : new Set<K>();
  const toggle = (key: K) => {
    const next = new Set(ticked);
    if (next.has(key)) next.delete(key);
    else next.add(key);
    setAcks({ token, ticked: next });
  };
  return [ticked, toggle];
}
