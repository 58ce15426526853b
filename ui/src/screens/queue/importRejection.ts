/** One problem of a rejected import file, as the backend's message lists it. */
export interface ImportProblem {
  line: number;
  column: number | null;
  field: string;
  message: string;
}

export interface ImportRejection {
  source: string;
  total: number;
  problems: ImportProblem[];
  /** Problems found but not listed (the backend lists at most 100). */
  more: number;
}

const HEAD = /^(.*): nothing imported; (\d+) problems? found:$/;
const ISSUE = /^line (\d+)(?:, column (\d+))?(?:, field `([^`]*)`)?: ([\s\S]*)$/;
const MORE = /^\.\.\. and (\d+) more$/;

/**
 * Reads the backend's rejection text (`ImportRejected`'s Display: a head line, then one line per
 * problem, `SOURCE:line N, column C, field `F`: message`) back into rows. `null` when the text is
 * not a rejection (another invalid input, e.g. an unknown extension).
 */
export function parseImportRejection(message: string): ImportRejection | null {
  const lines = message.split('\n').filter((l) => l.trim() !== '');
  const head = HEAD.exec(lines[0] ?? '');
  if (!head) return null;
  const source = head[1] ?? '';
  const rejection: ImportRejection = { source, total: Number(head[2]), problems: [], more: 0 };
  for (const raw of lines.slice(1)) {
    let text = raw.trim();
    const more = MORE.exec(text);
    if (more) {
      rejection.more = Number(more[1]);
      continue;
    }
    // The source is a path and may hold colons itself: strip it as a known prefix.
    if (text.startsWith(`${source}:`)) text = text.slice(source.length + 1);
    const m = ISSUE.exec(text);
    if (m) {
      rejection.problems.push({
        line: Number(m[1]),
        column: m[2] === undefined ? null : Number(m[2]),
        field: m[3] ?? '',
        message: m[4] ?? '',
      });
    } else {
      // A message that ran over more than one line belongs to the problem before it.
      const last = rejection.problems.at(-1);
      if (last) last.message += `\n${raw}`;
      else rejection.problems.push({ line: 0, column: null, field: '', message: text });
    }
  }
  return rejection;
}
