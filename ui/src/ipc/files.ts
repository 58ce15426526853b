// The OS side of the window: native file dialogs (tauri-plugin-dialog, granted only its open and
// save dialogs) and the log folder. A chosen path is only text the person may still edit; the app's
// own commands open it.
import { useMutation, useQuery } from '@tanstack/react-query';
import { open, save } from '@tauri-apps/plugin-dialog';
import { commands } from './bindings/commands';
import { toIpcError } from './errors';
import type { AuditExportFormat } from './bindings/AuditExportFormat';
import type { LogFolder } from './bindings/LogFolder';

export type { LogFolder };

const EVENT_FILES = [
  { name: 'Event files (NDJSON, JSON, CSV)', extensions: ['ndjson', 'jsonl', 'json', 'csv'] },
  { name: 'All files', extensions: ['*'] },
];

/** The native "open" dialog for an event file; `null` when the person cancels it. */
export async function pickImportFile(): Promise<string | null> {
  try {
    const chosen = await open({ title: 'Import events', multiple: false, directory: false, filters: EVENT_FILES });
    return typeof chosen === 'string' ? chosen : null;
  } catch (cause) {
    throw toIpcError(cause);
  }
}

/** The native "save" dialog for an export, starting at `suggested`; `null` when cancelled. */
export async function pickExportDestination(suggested: string, format: AuditExportFormat): Promise<string | null> {
  const filters =
    format === 'csv' ? [{ name: 'CSV', extensions: ['csv'] }] : [{ name: 'NDJSON (one entry per line)', extensions: ['ndjson'] }];
  try {
    const chosen = await save({ title: 'Export the audit log', defaultPath: suggested || undefined, filters });
    return typeof chosen === 'string' ? chosen : null;
  } catch (cause) {
    throw toIpcError(cause);
  }
}

/** The native "save" dialog for a Data Loader CSV, starting at `suggested`; `null` when cancelled. */
export async function pickLoaderCsvDestination(suggested: string): Promise<string | null> {
  try {
    const chosen = await save({ title: 'Export for Data Loader', defaultPath: suggested || undefined, filters: [{ name: 'CSV', extensions: ['csv'] }] });
    return typeof chosen === 'string' ? chosen : null;
  } catch (cause) {
    throw toIpcError(cause);
  }
}

export const logKeys = { folder: ['log-folder'] as const };

/** Where the log files are, and which there are. */
export function useLogFolder() {
  return useQuery({ queryKey: logKeys.folder, queryFn: () => commands.logFolder(), staleTime: 60_000 });
}

/** Opens the log folder in the OS file manager. */
export function useOpenLogFolder() {
  return useMutation({ mutationFn: () => commands.logFolderOpen() });
}
