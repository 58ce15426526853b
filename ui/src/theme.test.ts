/// <reference types="node" />
// The light and the dark scheme (styles.css, `prefers-color-scheme`) as a reader gets them: every
// colour token the light scheme defines is redefined for the dark one, and the pairs text is
// drawn with stay readable in both (WCAG contrast: 4.5:1 for text, 3:1 for large or non-text).
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

// Read from disk: the test setup turns CSS imports off (vitest `css: false`), `?raw` included.
const css = readFileSync(resolve(process.cwd(), 'src/styles.css'), 'utf8');

function tokens(block: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of block.matchAll(/--([a-z0-9-]+):\s*([^;]+);/g)) out.set(m[1]!, m[2]!.trim());
  return out;
}

const lightBlock = /:root\s*\{([\s\S]*?)\n\}/.exec(css)?.[1] ?? '';
const darkBlock = /@media \(prefers-color-scheme: dark\)\s*\{\s*:root\s*\{([\s\S]*?)\n {2}\}/.exec(css)?.[1] ?? '';
const light = tokens(lightBlock);
const dark = tokens(darkBlock);

function rgb(value: string): [number, number, number] {
  const hex = /^#([0-9a-f]{6})$/i.exec(value);
  if (hex) {
    const n = parseInt(hex[1]!, 16);
    return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
  }
  throw new Error(`not a #rrggbb colour: ${value}`);
}

function luminance(value: string): number {
  const [r, g, b] = rgb(value).map((c) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

const TONES = ['danger', 'warning', 'info', 'success', 'attention', 'neutral'];
/** [foreground, background, minimum]: body text, secondary text, links and buttons, badges. */
const PAIRS: [string, string, number][] = [
  ['text', 'surface', 7],
  ['text', 'bg', 7],
  ['text-2', 'surface', 4.5],
  ['muted', 'surface', 4.5],
  ['muted', 'surface-2', 4.5],
  ['muted', 'sidebar-bg', 4.5],
  ['text', 'row-selected', 4.5],
  ['accent', 'surface', 4.5],
  ['on-accent', 'accent', 4.5],
  ['on-accent', 'accent-hover', 4.5],
  ['on-accent', 'danger-dot', 3],
  ['text', 'code-bg', 4.5],
  ['focus', 'surface', 3],
  ...TONES.map((t): [string, string, number] => [`${t}-fg`, `${t}-bg`, 4.5]),
];

describe('colour schemes', () => {
  it('finds both schemes in styles.css', () => {
    expect(light.size).toBeGreaterThan(30);
    expect(dark.size).toBeGreaterThan(30);
    expect(darkBlock).toContain('color-scheme: dark');
  });

  it('redefines every colour token of the light scheme in the dark one', () => {
    const colours = [...light].filter(([, v]) => /^(#|rgba?\()/.test(v)).map(([k]) => k);
    expect(colours.length).toBeGreaterThan(30);
    expect(colours.filter((k) => !dark.has(k))).toEqual([]);
  });

  for (const [scheme, table] of [
    ['light', light],
    ['dark', dark],
  ] as const) {
    it.each(PAIRS)(`${scheme}: --%s on --%s reads at %s:1 or better`, (fg, bg, min) => {
      const ratio = contrast(table.get(fg) ?? 'missing', table.get(bg) ?? 'missing');
      expect(ratio).toBeGreaterThanOrEqual(min);
    });
  }
});
