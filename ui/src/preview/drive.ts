// Dev-only (preview.html): small helpers the preview scripts use to walk the screens as an
// operator would, for screenshots: wait for an element, find a button by its text, type a value.

/** Calls `then` with what `find` returns, as soon as it returns something. */
export function when(find: () => HTMLElement | null | undefined, then: (el: HTMLElement) => void) {
  const timer = setInterval(() => {
    const el = find();
    if (el) {
      clearInterval(timer);
      then(el);
    }
  }, 60);
}

/** The first enabled button whose text matches. */
export const button = (text: RegExp, root: ParentNode = document) =>
  [...root.querySelectorAll<HTMLButtonElement>('button')].find((b) => text.test(b.textContent ?? '') && !b.disabled);

/** Sets a field's value as typing does, so React sees it. */
export function setValue(el: HTMLInputElement | HTMLTextAreaElement, value: string) {
  const proto = el instanceof HTMLTextAreaElement ? HTMLTextAreaElement.prototype : HTMLInputElement.prototype;
  Object.getOwnPropertyDescriptor(proto, 'value')?.set?.call(el, value);
  el.dispatchEvent(new Event('input', { bubbles: true }));
}
