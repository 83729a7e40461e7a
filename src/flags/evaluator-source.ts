/**
 * Driving the layers from the source and the snapshot store: the first load under `initTimeoutMs`, the
 * watch (or a refresh loop for a source without one), the snapshot read at start when the source cannot
 * answer, and the coalesced snapshot writes after every changed live config.
 */
import type { Clock } from '../core/clock.js';
import { FlagSourceError } from './errors.js';
import type { LayerState } from './evaluator-layers.js';
import type { SourceStatus } from './evaluator-types.js';
import type { FlagConfig, FlagSource, SnapshotStore } from './types.js';

/** Options of {@link startSource}. */
export interface SourceDriverOptions {
  readonly source: FlagSource | undefined;
  readonly snapshot: SnapshotStore | undefined;
  readonly initTimeoutMs: number;
  readonly refreshIntervalMs: number | undefined;
  readonly clock: Clock;
  readonly layers: LayerState;
}

/** A running driver. */
export interface SourceDriver {
  /** Resolves once live data arrived or the fallback is chosen; never rejects. */
  readonly ready: Promise<SourceStatus>;
  /** Stops the watch, the refresh loop and pending timers; resolves when snapshot writes are done. */
  stop(): Promise<void>;
}

const STOPPED = new Error('stopped');

/** Persists configs one write at a time; a config offered during a write replaces any waiting one. */
function createSnapshotWriter(store: SnapshotStore, layers: LayerState) {
  let pending: FlagConfig | undefined;
  let running: Promise<void> | undefined;
  const run = async () => {
    while (pending !== undefined) {
      const config = pending;
      pending = undefined;
      try {
        await store.write(config);
      } catch (error) {
        layers.snapshotFailed(error);
      }
    }
    running = undefined;
  };
  return {
    offer(config: FlagConfig) {
      pending = config;
      running ??= run();
    },
    idle: () => running ?? Promise.resolve(),
  };
}

/** Reads the snapshot; a failure (thrown, or told by `lastReadError`) is reported and reads as none. */
async function readSnapshot(store: SnapshotStore, layers: LayerState): Promise<FlagConfig | undefined> {
  try {
    const config = await store.read();
    const problem = config === undefined ? store.lastReadError?.() : undefined;
    if (problem !== undefined) layers.snapshotFailed(problem);
    return config;
  } catch (error) {
    layers.snapshotFailed(error);
    return undefined;
  }
}

/** Starts driving `layers`. */
export function startSource(options: SourceDriverOptions): SourceDriver {
  const { source, snapshot, clock, layers } = options;
  const stopper = new AbortController();
  const writer = snapshot === undefined ? undefined : createSnapshotWriter(snapshot, layers);
  let unwatch: (() => void) | undefined;
  let announceLive: () => void = () => {};
  const liveArrived = new Promise<void>((resolve) => {
    announceLive = resolve;
  });

  const offer = (config: unknown) => {
    if (stopper.signal.aborted) return;
    const result = layers.offerLive(config);
    if (!result.applied) return;
    announceLive();
    if (result.persist !== undefined) writer?.offer(result.persist);
  };
  const fail = (error: unknown) => {
    if (!stopper.signal.aborted) layers.sourceFailed(error);
  };
  // Watch deliveries so far: a load that a watch update overtook is out of date, whatever it read.
  let watchUpdates = 0;
  const loadOnce = (from: FlagSource) => {
    const seen = watchUpdates;
    const current = () => watchUpdates === seen;
    return Promise.resolve()
      .then(() => from.load(stopper.signal))
      .then(
        (config) => {
          if (current()) offer(config);
        },
        (error: unknown) => {
          if (current()) fail(error);
        },
      );
  };

  const onUpdate = (update: unknown) => {
    watchUpdates++;
    if (typeof update === 'object' && update !== null && 'config' in update) offer(update.config);
    else if (typeof update === 'object' && update !== null && 'error' in update) fail(update.error);
    else
      fail(
        new FlagSourceError(source?.kind ?? 'source', 'the watch delivered neither a config nor an error'),
      );
  };

  const refreshLoop = async (from: FlagSource, intervalMs: number) => {
    while (!stopper.signal.aborted) {
      try {
        await clock.sleep(intervalMs, stopper.signal);
      } catch {
        return;
      }
      await loadOnce(from);
    }
  };

  const waitForSource = async (from: FlagSource): Promise<void> => {
    try {
      unwatch = from.watch?.(onUpdate);
    } catch (error) {
      fail(error);
    }
    const first = loadOnce(from);
    const timer = new AbortController();
    const timeout = clock.sleep(options.initTimeoutMs, timer.signal).catch(() => {});
    await Promise.race([first, liveArrived, timeout]);
    timer.abort(STOPPED);
    if (from.watch === undefined && options.refreshIntervalMs !== undefined) {
      const intervalMs = options.refreshIntervalMs;
      void first.then(() => refreshLoop(from, intervalMs));
    }
  };

  const start = async (): Promise<SourceStatus> => {
    const snapshotRead = snapshot === undefined ? undefined : readSnapshot(snapshot, layers);
    if (source !== undefined) await waitForSource(source);
    if (!layers.hadLive() && snapshotRead !== undefined && !stopper.signal.aborted) {
      const config = await snapshotRead;
      if (config !== undefined && !layers.hadLive()) layers.offerFallback(config, 'snapshot');
    }
    return layers.status();
  };

  return {
    ready: start().catch(() => layers.status()),
    async stop() {
      stopper.abort(STOPPED);
      try {
        unwatch?.();
      } catch {
        // An unwatch that throws leaves nothing of ours behind: the listener ignores updates from now on.
      }
      await writer?.idle();
    },
  };
}
