// Dev and test only: what every mock answer module shares. A module answers its feature's
// commands as a table, command name to answer, so each command is answered in one place.

/** A value, or a promise of one, as a backend function may return. */
export type Answer<T> = T | Promise<T>;

/** One call's arguments, by the Rust parameter names in camelCase. */
export type Args = Record<string, unknown>;

/** Each command of a feature, answered from that feature's part of the mock backend. */
export type Answers<B> = Record<string, (backend: B, args: Args, cmd: string) => unknown>;

/** A rejection as a failing Rust command sends it. */
export const reject = (kind: string, message: string) => Promise.reject({ kind, message });

/** The answer of a command the test did not provide for. */
export const missing = (cmd: string) => reject('internal', `the mock has no ${cmd} answer`);

export const noLane = (laneId: unknown) =>
  reject('not_found', `no lane \`${String(laneId)}\`; import its contract with \`lanes import FILE.yaml\``);
