/**
 * The JSON file flag source. `load` reads and parses the file (size cap, strict UTF-8, JSON, an object
 * with `flags`). `watch` watches the file's directory with `fs.watch` (editors and deploy tools replace a
 * file by renaming a new one over it, which a watch on the file itself would lose) and polls its
 * signature (inode, size, times) as a fallback for filesystems where events do not arrive (network
 * mounts, some containers); a burst of events makes one read after `debounceMs`. A half-written or
 * malformed file is reported as `{ error }` and the watch goes on; the next good write is delivered.
 * Writers should write a temporary file in the same directory and rename it over the config.
 */
import { type FSWatcher, watch } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import type { Clock } from '../core/clock.js';
import { defineOptions, opt } from '../core/options.js';
import { FlagSourceError } from './errors.js';
import { fileSignature, readCapped } from './file-read.js';
import {
  checkFilePath,
  DEFAULT_MAX_BYTES,
  type FlagSourceListener,
  MAX_MAX_BYTES,
  type Outcome,
  parseConfigBytes,
  type ReadConfig,
  toSourceError,
} from './source-kit.js';
import type { FlagConfig, FlagSource } from './types.js';
import { createWatchedSource, startWatchLoop, type WatchHub } from './watch-kit.js';

/** Options of {@link createFileFlagSource}. */
export interface FileFlagSourceOptions {
  /** The JSON file (resolved against the working directory at construction). */
  readonly path: string;
  /** Largest file accepted. Default 5 MiB. */
  readonly maxBytes?: number;
  /** How often the watch compares the file's signature, in case no event arrives. Default 1000 ms. */
  readonly pollIntervalMs?: number;
  /** Wait after a change event before reading, so a burst of events makes one read. Default 50 ms. */
  readonly debounceMs?: number;
  /** Times the polling and the debounce. Default the system clock. */
  readonly clock?: Clock;
}

/** A JSON file {@link FlagSource}. */
export interface FileFlagSource extends FlagSource {
  readonly kind: 'file';
  /** The absolute path read. */
  readonly path: string;
  /** Reads the file; rejects with a {@link FlagSourceError} saying why not (missing, too large, not JSON). */
  load(signal?: AbortSignal): Promise<FlagConfig>;
  /** Watches the file; a new listener first hears the current state, then every change or failure. */
  watch(listener: FlagSourceListener): () => void;
  /** Stops watching and drops the listeners; `load` rejects afterwards. */
  close(): Promise<void>;
}

const parseOptions = defineOptions('createFileFlagSource', {
  path: opt.custom(checkFilePath, { required: true }),
  maxBytes: opt.integer({ default: DEFAULT_MAX_BYTES, min: 2, max: MAX_MAX_BYTES }),
  pollIntervalMs: opt.duration({ default: 1000, min: 10, max: 3_600_000 }),
  debounceMs: opt.integer({ default: 50, min: 0, max: 60_000 }),
  clock: opt.clock(),
});

interface WatchSettings {
  readonly path: string;
  readonly clock: Clock;
  readonly pollIntervalMs: number;
  readonly debounceMs: number;
  readonly read: () => Promise<ReadConfig>;
}

/** Starts one watch of the file (a directory watcher, a polling loop); returns its stop. */
function startFileWatch(s: WatchSettings, hub: WatchHub): () => void {
  const dir = dirname(s.path);
  const base = basename(s.path);
  let pendingRead = false;
  let lastSignature: string | undefined;
  let watcher: FSWatcher | undefined;
  const wake = { now: () => {} };

  const onEvent = (_event: string, filename: string | Buffer | null) => {
    if (filename === null || String(filename) === base) pendingRead = true;
    wake.now();
  };
  const ensureWatcher = () => {
    if (watcher !== undefined) return;
    try {
      const w = watch(dir, { persistent: true }, onEvent);
      w.on('error', () => {
        w.close();
        if (watcher === w) watcher = undefined; // the next attempt watches again; polling covers meanwhile
      });
      watcher = w;
    } catch {
      // The directory is missing or cannot be watched: polling covers it, and each attempt retries.
    }
  };
  const run = async (): Promise<Outcome> => {
    ensureWatcher();
    const signature = await fileSignature(s.path);
    if (!pendingRead && signature === lastSignature) return undefined;
    pendingRead = false;
    lastSignature = signature;
    try {
      return await s.read();
    } catch (error) {
      return { error: toSourceError('file', `${s.path} could not be read`, error) };
    }
  };
  const loop = startWatchLoop({
    source: 'file',
    clock: s.clock,
    settleMs: s.debounceMs,
    run,
    deliver: (outcome) => hub.offer(outcome),
    nextDelayMs: () => s.pollIntervalMs,
  });
  wake.now = () => loop.wake();
  return () => {
    loop.stop();
    watcher?.close();
    watcher = undefined;
  };
}

/**
 * Creates a source reading a JSON file.
 *
 * @example
 * ```ts
 * const source = createFileFlagSource({ path: './flags.json' });
 * const config = await source.load();
 * const stop = source.watch((update) => {
 *   if ('error' in update) console.warn(update.error.message); // the previous config stays in use
 * });
 * ```
 */
export function createFileFlagSource(options: FileFlagSourceOptions): FileFlagSource {
  const o = parseOptions(options);
  const path = resolve(o.path);
  const read = async (signal?: AbortSignal): Promise<ReadConfig> =>
    parseConfigBytes('file', await readCapped('file', path, o.maxBytes, signal), path);
  const settings: WatchSettings = { ...o, path, read: () => read() };
  const source = createWatchedSource({
    kind: 'file',
    load: async (signal) => (await read(signal)).config,
    startWatch: (hub) => startFileWatch(settings, hub),
  });
  return { ...source, path };
}
