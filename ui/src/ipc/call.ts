import { invoke, type InvokeArgs } from '@tauri-apps/api/core';
import { toIpcError } from './errors';

/** Invokes a Rust command; a failure rejects with an `IpcError` (`{kind, message}`). */
export async function call<T>(command: string, args?: InvokeArgs): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (cause) {
    throw toIpcError(cause);
  }
}
