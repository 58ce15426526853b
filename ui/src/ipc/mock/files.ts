// Dev and test only: answers for ../files.ts: the dialog plugin's open and save, and the log folder.
import type { LogFolder } from '../bindings/LogFolder';
import { missing, type Answer, type Answers } from './answer';

export interface FilesMockBackend {
  /** What the native open dialog returns (`null`: cancelled); its options as the plugin gets them. */
  openDialog?: (options: Record<string, unknown>) => Answer<string | null>;
  /** What the native save dialog returns (`null`: cancelled). */
  saveDialog?: (options: Record<string, unknown>) => Answer<string | null>;
  logFolder?: () => Answer<LogFolder>;
  openLogFolder?: () => Answer<LogFolder>;
}

export const fileAnswers: Answers<FilesMockBackend> = {
  'plugin:dialog|open': (b, a, cmd) => b.openDialog?.(a.options as Record<string, unknown>) ?? missing(cmd),
  'plugin:dialog|save': (b, a, cmd) => b.saveDialog?.(a.options as Record<string, unknown>) ?? missing(cmd),
  log_folder: (b, _a, cmd) => b.logFolder?.() ?? missing(cmd),
  log_folder_open: (b, _a, cmd) => b.openLogFolder?.() ?? missing(cmd),
};
