import type { IpcError } from '../../ipc';

/** One problem of a rejected import file. */
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

/**
 * The problems of a refused import, from the error's structured list (the backend's `issues` and
 * `total`). `null` when the error is not a refused import (another invalid input, e.g. an unknown
 * extension): its message then speaks for itself.
 */
export function importRejection(e: IpcError, source: string): ImportRejection | null {
  if (e.kind !== 'invalid_input' || e.issues === undefined) return null;
  const total = Math.max(e.total ?? e.issues.length, e.issues.length);
  return {
    source,
    total,
    problems: e.issues.map((i) => ({ line: i.line, column: i.column, field: i.field, message: i.message })),
    more: total - e.issues.length,
  };
}
