/**
 * The watching machinery the sources share: a hub that fans updates out to listeners, and a loop that
 * runs one attempt (read a file, poll a URL, GET a key), hands its outcome to the hub, then sleeps on
 * the source's clock until the next attempt is due or something wakes it (a file event, a Redis message).
 */
import type { Clock } from '../core/clock.js';
import { FlagSourceError } from './errors.js';
import {
  CANCELLED,
  type FlagSourceListener,
  type FlagSourceUpdate,
  type Outcome,
  toSourceError,
} from './source-kit.js';
import type { FlagConfig, FlagSource } from './types.js';

/** Fans updates out to listeners; the first listener starts the watch, the last one to leave stops it. */
export interface WatchHub {
  /** Adds a listener; it hears the latest state (when there is one) on the next microtask, then changes. */
  add(listener: FlagSourceListener): () => void;
  /** Delivers an outcome: errors always, a config unless it has the key of the config delivered last. */
  offer(outcome: Outcome): void;
  /** Forgets the latest state (the watch stopped, what it knew may be stale). */
  reset(): void;
  /** Drops every listener without calling `onIdle` (the source is closing and stops its watch itself). */
  clear(): void;
}

interface Latest {
  readonly update: FlagSourceUpdate;
  /** The config's change key; undefined for an error. */
  readonly key: string | undefined;
}

/** Creates a hub; `onActive` runs when the first listener arrives, `onIdle` when the last one leaves. */
export function createWatchHub(hooks: { onActive(): void; onIdle(): void }): WatchHub {
  const listeners = new Set<{ readonly listener: FlagSourceListener }>();
  let latest: Latest | undefined;

  const deliver = (entry: { readonly listener: FlagSourceListener }, update: FlagSourceUpdate) => {
    try {
      entry.listener(update);
    } catch {
      // A throwing listener is the listener's bug; the source and the other listeners keep going.
    }
  };
  const emit = (update: FlagSourceUpdate) => {
    for (const entry of [...listeners]) deliver(entry, update);
  };

  return {
    add(listener) {
      const entry = { listener };
      listeners.add(entry);
      if (listeners.size === 1) hooks.onActive();
      const current = latest;
      if (current !== undefined) {
        queueMicrotask(() => {
          if (listeners.has(entry) && latest === current) deliver(entry, current.update);
        });
      }
      return () => {
        if (!listeners.delete(entry)) return;
        if (listeners.size === 0) hooks.onIdle();
      };
    },
    offer(outcome) {
      if (outcome === undefined) return;
      if ('error' in outcome) {
        latest = { update: { error: outcome.error }, key: undefined };
      } else {
        if (latest?.key === outcome.key) return;
        latest = { update: { config: outcome.config }, key: outcome.key };
      }
      emit(latest.update);
    },
    reset() {
      latest = undefined;
    },
    clear() {
      listeners.clear();
    },
  };
}

/** A running watch loop. */
export interface WatchLoop {
  /** Runs the next attempt now (after `settleMs`); wakes during an attempt or a settle coalesce. */
  wake(): void;
  /** Stops the loop; an attempt in flight finishes, but its outcome is not delivered. */
  stop(): void;
}

/** What {@link startWatchLoop} needs. */
export interface WatchLoopOptions {
  /** The source's kind, for an error `run` did not expect. */
  readonly source: string;
  readonly clock: Clock;
  /** One attempt; should not throw (what it throws is delivered as an error). */
  run(): Promise<Outcome>;
  /** Where outcomes go (the hub). */
  deliver(outcome: Outcome): void;
  /** The pause before the next attempt, after `failures` failed attempts in a row (0 after a success). */
  nextDelayMs(failures: number): number;
  /** Pause after a wake before the attempt, so a burst of events makes one attempt. Default 0. */
  readonly settleMs?: number;
}

/** Starts a loop whose first attempt runs at once. */
export function startWatchLoop(o: WatchLoopOptions): WatchLoop {
  let stopped = false;
  let woken = false;
  let interrupt: ((why: 'wake' | 'stop') => void) | undefined;
  let timer: AbortController | undefined;

  const pause = async (ms: number, wakeable: boolean) => {
    const current = new AbortController();
    timer = current;
    const cut = new Promise<void>((resolve) => {
      interrupt = (why) => {
        if (why === 'stop' || wakeable) resolve();
      };
    });
    await Promise.race([o.clock.sleep(ms, current.signal).catch(() => {}), cut]);
    interrupt = undefined;
    current.abort(CANCELLED);
  };

  const loop = async () => {
    let failures = 0;
    while (!stopped) {
      woken = false;
      const outcome: Outcome = await o.run().catch((error: unknown) => ({
        error: toSourceError(o.source, 'watch attempt failed', error),
      }));
      if (stopped) return;
      o.deliver(outcome);
      failures = outcome !== undefined && 'error' in outcome ? failures + 1 : 0;
      if (!woken) await pause(o.nextDelayMs(failures), true);
      if (!stopped && woken && (o.settleMs ?? 0) > 0) await pause(o.settleMs ?? 0, false);
    }
  };
  loop().catch(() => {});

  return {
    wake() {
      if (stopped) return;
      woken = true;
      interrupt?.('wake');
    },
    stop() {
      stopped = true;
      timer?.abort(CANCELLED); // at once, so no sleeper outlives the loop
      interrupt?.('stop');
    },
  };
}

/**
 * Exponential backoff: `baseMs` after a success, `baseMs * 2^failures` after failures, at most `maxMs`;
 * `jitter` (0..1) of it taken off at random, so many processes do not retry in step.
 */
export function backoffMs(
  failures: number,
  baseMs: number,
  maxMs: number,
  random: () => number,
  jitter = 0,
): number {
  const raw =
    failures === 0 ? baseMs : Math.min(Math.max(maxMs, baseMs), baseMs * 2 ** Math.min(failures, 30));
  return Math.max(1, Math.floor(raw * (1 - jitter * random())));
}

/** What a watched source supplies to {@link createWatchedSource}. */
export interface WatchedSourceParts<K extends string> {
  /** The source's kind (`file`, `http`, `redis`), also the prefix of its errors. */
  readonly kind: K;
  /** Reads the current config once. */
  load(signal?: AbortSignal): Promise<FlagConfig>;
  /** Starts watching, delivering into `hub`; returns how to stop. Runs when the first listener arrives. */
  startWatch(hub: WatchHub): () => void;
}

/** A source built by {@link createWatchedSource}. */
export interface WatchedSource<K extends string> extends FlagSource {
  readonly kind: K;
  load(signal?: AbortSignal): Promise<FlagConfig>;
  watch(listener: FlagSourceListener): () => void;
  close(): Promise<void>;
}

/**
 * The part every watched source shares: a hub whose first listener starts the watch and whose last one
 * stops it, `load` and `watch` refused after `close`, and `close` stopping the watch (never a client the
 * user passed in).
 */
export function createWatchedSource<K extends string>(parts: WatchedSourceParts<K>): WatchedSource<K> {
  let closed = false;
  let stopWatch: (() => void) | undefined;
  const hub: WatchHub = createWatchHub({
    onActive() {
      stopWatch = parts.startWatch(hub);
    },
    onIdle() {
      stopWatch?.();
      stopWatch = undefined;
      hub.reset();
    },
  });
  return {
    kind: parts.kind,
    async load(signal) {
      if (closed) throw new FlagSourceError(parts.kind, 'the source is closed');
      return parts.load(signal);
    },
    watch(listener) {
      if (closed) return () => {};
      return hub.add(listener);
    },
    async close() {
      closed = true;
      hub.clear();
      stopWatch?.();
      stopWatch = undefined;
    },
  };
}
