/**
 * The in-memory flag source: a config held in the process, replaced with `set` (tests, bootstrap data,
 * an app that receives configs some other way). `set` copies the config, so later changes to the
 * caller's object do not leak in, and notifies every watcher.
 */
import { InvalidArgumentError } from '../core/errors.js';
import { FlagSourceError } from './errors.js';
import { configShapeProblem, type FlagSourceListener } from './source-kit.js';
import type { FlagConfig, FlagSource } from './types.js';
import { createWatchHub } from './watch-kit.js';

/** An in-memory {@link FlagSource}. */
export interface MemoryFlagSource extends FlagSource {
  readonly kind: 'memory';
  /** The current config; rejects with a {@link FlagSourceError} before the first `set` or after `fail`. */
  load(signal?: AbortSignal): Promise<FlagConfig>;
  /** Calls back with every `set` and `fail`; a new listener first hears the current state. */
  watch(listener: FlagSourceListener): () => void;
  /**
   * Replaces the config (a structured copy) and notifies watchers. Throws `InvalidArgumentError` when it
   * is not an object with a `flags` object or cannot be copied (a function inside); nothing changes then.
   */
  set(config: FlagConfig): void;
  /**
   * Makes the source fail, as a source that is down: `load` rejects and watchers hear
   * `{ error }` (a {@link FlagSourceError} with `reason`), until the next `set`.
   */
  fail(reason?: string): void;
  /** Drops the watchers; `load` rejects afterwards. */
  close(): Promise<void>;
}

function copyConfig(config: unknown): FlagConfig {
  const problem = configShapeProblem(config);
  if (problem !== undefined) throw new InvalidArgumentError(`MemoryFlagSource.set: ${problem}`);
  try {
    return structuredClone(config) as FlagConfig;
  } catch (error) {
    throw new InvalidArgumentError('MemoryFlagSource.set: the config holds a value that cannot be copied', {
      cause: error,
    });
  }
}

/**
 * Creates an in-memory source, holding `config` when given.
 *
 * @example
 * ```ts
 * const source = createMemoryFlagSource({
 *   flags: { checkout: { type: 'boolean', variations: { on: true, off: false }, enabled: true, offVariation: 'off', fallthrough: { variation: 'on' } } },
 * });
 * source.set({ flags: {} }); // watchers hear the new config
 * ```
 */
export function createMemoryFlagSource(config?: FlagConfig): MemoryFlagSource {
  let current: FlagConfig | FlagSourceError = new FlagSourceError('memory', 'no config has been set');
  let closed = false;
  let changes = 0;
  const hub = createWatchHub({ onActive() {}, onIdle() {} });
  const publish = (next: FlagConfig | FlagSourceError) => {
    current = next;
    changes += 1;
    hub.offer(next instanceof FlagSourceError ? { error: next } : { config: next, key: String(changes) });
  };
  if (config !== undefined) publish(copyConfig(config));

  return {
    kind: 'memory',
    async load() {
      if (closed) throw new FlagSourceError('memory', 'the source is closed');
      if (current instanceof FlagSourceError) throw current;
      return current;
    },
    watch(listener) {
      if (closed) return () => {};
      return hub.add(listener);
    },
    set(next) {
      publish(copyConfig(next));
    },
    fail(reason = 'the source is down') {
      publish(new FlagSourceError('memory', reason));
    },
    async close() {
      closed = true;
      hub.clear();
    },
  };
}
