/**
 * What every flag source shares: turning bytes into a raw {@link FlagConfig} (size cap, strict UTF-8,
 * JSON, "an object with `flags`"; nothing more, the evaluator validates), the fan-out of updates to
 * watchers (each listener first hears the latest state, then changes; an unchanged config is not
 * repeated unless an error came between), and deadlines on the source's clock.
 */
import type { Clock } from '../core/clock.js';
import { InvalidOptionError } from '../core/errors.js';
import { FlagSourceError } from './errors.js';
import type { FlagConfig } from './types.js';

/** The default size cap of a config, 5 MiB. */
export const DEFAULT_MAX_BYTES = 5 * 1024 * 1024;

/** The largest size cap a source accepts, 256 MiB. */
export const MAX_MAX_BYTES = 256 * 1024 * 1024;

/** What a watcher hears: the new config, or why the source could not deliver one (the old one stays). */
export type FlagSourceUpdate = { readonly config: FlagConfig } | { readonly error: Error };

/** A watcher of a {@link FlagSource}. */
export type FlagSourceListener = (update: FlagSourceUpdate) => void;

/** A config read by a source and the key that tells whether it changed (its text, plus an ETag). */
export interface ReadConfig {
  readonly config: FlagConfig;
  readonly key: string;
}

/** What one attempt of a watch loop learnt: a config, an error, or nothing (no change seen). */
export type Outcome = ReadConfig | { readonly error: FlagSourceError } | undefined;

/** The `path` option of the file source and the snapshot store: 1..4096 characters, no NUL byte. */
export function checkFilePath(value: unknown, path: string, owner: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 4096 || value.includes('\0')) {
    throw new InvalidOptionError(
      `${owner}: \`${path}\` must be a file path of 1..4096 characters without NUL`,
    );
  }
  return value;
}

/** True for a non-null, non-array object. */
export const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Why `value` is not a raw config (`undefined` when it is one): an object with an own `flags` object. */
export function configShapeProblem(value: unknown): string | undefined {
  if (!isPlainObject(value)) {
    return `expected a JSON object with \`flags\`, got ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value}`;
  }
  if (!Object.hasOwn(value, 'flags') || !isPlainObject(value.flags)) {
    return 'expected a JSON object with a `flags` object';
  }
  return undefined;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/**
 * Parses a config's text: JSON, then the shape check; `where` (a path, a key) prefixes the message. A leading byte-order mark is dropped (TextDecoder
 * does it for bytes; strings from Redis may still carry one). Throws {@link FlagSourceError}.
 */
export function parseConfigText(source: string, text: string, where?: string): FlagConfig {
  const at = where === undefined ? '' : `${where}: `;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : 'unparseable';
    throw new FlagSourceError(source, `${at}not valid JSON (${reason})`, { cause: error });
  }
  const problem = configShapeProblem(parsed);
  if (problem !== undefined) throw new FlagSourceError(source, `${at}${problem}`);
  return parsed as FlagConfig;
}

/** Decodes strict UTF-8 (invalid sequences are an error, not U+FFFD) and parses the config. */
export function parseConfigBytes(source: string, bytes: Uint8Array, where?: string): ReadConfig {
  let text: string;
  try {
    text = UTF8.decode(bytes);
  } catch (error) {
    throw new FlagSourceError(source, `${where === undefined ? '' : `${where}: `}not valid UTF-8`, {
      cause: error,
    });
  }
  return { config: parseConfigText(source, text, where), key: text };
}

/** The `code` of a Node system error (`ENOENT`), or undefined. */
export function errorCode(error: unknown): string | undefined {
  const code =
    isPlainObject(error) || error instanceof Error ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
}

/** The innermost message of an error chain (what Redis or the network said), for a source error. */
export function rootMessage(error: unknown): string {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error && current.cause instanceof Error; depth++) {
    current = current.cause;
  }
  if (current instanceof Error) return errorCode(current) ?? current.message;
  return String(current);
}

/** Wraps anything thrown into a {@link FlagSourceError} of `source` (kept as is when it already is one). */
export function toSourceError(source: string, what: string, error: unknown): FlagSourceError {
  if (error instanceof FlagSourceError) return error;
  return new FlagSourceError(source, `${what}: ${rootMessage(error)}`, { cause: error });
}

/** Reason for cancelling internal timers: preallocated, because `abort()` without one builds a DOMException. */
export const CANCELLED = new Error('cancelled');

/**
 * Runs `work` under a deadline on `clock` and the caller's `signal`: rejects with a
 * {@link FlagSourceError} (`timed out after N ms`, `aborted`) when either comes first. `work` gets a
 * signal that aborts then, so it can stop; what it cannot stop (a Redis command) finishes unobserved.
 * `where` (a URL, a key) prefixes the messages.
 */
export async function withDeadline<T>(
  source: string,
  clock: Clock,
  timeoutMs: number,
  signal: AbortSignal | undefined,
  work: (signal: AbortSignal) => Promise<T>,
  where?: string,
): Promise<T> {
  const at = where === undefined ? '' : `${where}: `;
  if (signal?.aborted) throw new FlagSourceError(source, `${at}aborted`, { cause: signal.reason });
  const inner = new AbortController();
  const timer = new AbortController();
  let failure: FlagSourceError | undefined;
  const stop = (error: FlagSourceError) => {
    failure ??= error;
    inner.abort(error);
  };
  const onAbort = () => stop(new FlagSourceError(source, `${at}aborted`, { cause: signal?.reason }));
  signal?.addEventListener('abort', onAbort, { once: true });
  clock.sleep(timeoutMs, timer.signal).then(
    () => stop(new FlagSourceError(source, `${at}timed out after ${timeoutMs} ms`)),
    () => {},
  );
  const stopped = new Promise<never>((_, reject) => {
    inner.signal.addEventListener('abort', () => reject(failure), { once: true });
  });
  stopped.catch(() => {}); // settles after the race when the deadline passes late; nobody listens then
  try {
    return await Promise.race([work(inner.signal), stopped]);
  } catch (error) {
    throw failure ?? error;
  } finally {
    timer.abort(CANCELLED);
    signal?.removeEventListener('abort', onAbort);
  }
}
