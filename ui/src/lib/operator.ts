// The operator's name, remembered between sessions on this machine: it is typed for every replay
// and discard, and it is the same person most of the time. Not a secret.
const KEY = 'replay-console.operator';

export function rememberedOperator(): string {
  try {
    return window.localStorage.getItem(KEY) ?? '';
  } catch {
    return '';
  }
}

export function rememberOperator(name: string): void {
  try {
    if (name.trim() === '') window.localStorage.removeItem(KEY);
    else window.localStorage.setItem(KEY, name.trim());
  } catch {
    // Storage refused (private mode, quota): the name is simply asked again next time.
  }
}
