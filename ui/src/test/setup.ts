import '@testing-library/jest-dom/vitest';
import { clearMocks } from '../ipc/mock';
import { cleanup } from '@testing-library/react';
import { afterEach } from 'vitest';

// jsdom does no layout: every box is 0x0, so a virtualized list would render no rows. Give
// elements a window-sized box, as the desktop window has (1280x800 in tauri.conf.json).
Object.defineProperty(HTMLElement.prototype, 'clientHeight', { configurable: true, get: () => 600 });
Object.defineProperty(HTMLElement.prototype, 'clientWidth', { configurable: true, get: () => 1000 });
// jsdom has no element scrolling; the virtualizer scrolls rows into view with it.
if (!HTMLElement.prototype.scrollTo) {
  HTMLElement.prototype.scrollTo = function scrollTo(this: HTMLElement, arg?: ScrollToOptions | number) {
    if (typeof arg === 'object' && arg.top !== undefined) this.scrollTop = arg.top;
  } as typeof HTMLElement.prototype.scrollTo;
}

afterEach(() => {
  cleanup();
  clearMocks();
  // The operator's name is remembered in localStorage; each test starts from a fresh machine.
  window.localStorage.clear();
});
