// Dev and test only: answers for the commands of ../imports.ts.
import type { Format } from '../bindings/Format';
import type { ImportOutcome } from '../bindings/ImportOutcome';
import { missing, type Answer, type Answers } from './answer';

export interface ImportsMockBackend {
  importEvents?: (path: string, format: Format | null, taskId: string) => Answer<ImportOutcome>;
}

export const importAnswers: Answers<ImportsMockBackend> = {
  events_import: (b, a, cmd) =>
    b.importEvents?.(a.path as string, (a.format ?? null) as Format | null, a.taskId as string) ?? missing(cmd),
};
