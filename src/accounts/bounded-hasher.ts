/**
 * Bounded concurrency for a {@link PasswordHasher}: at most `maxConcurrent` hashes run at once, the rest
 * wait in a FIFO queue of at most `maxQueued`, and a call that would wait longer than `maxWaitMs` (by the
 * observed hash durations) is refused at once with {@link HashOverloadedError}. A burst of logins then
 * costs bounded memory (each running argon2 call holds its memory cost) and leaves the libuv thread pool
 * (shared with fs, dns and zlib) to the rest of the app, instead of queueing without end inside libuv.
 */
import type { Clock } from '../core/clock.js';
import type { Metrics } from '../core/metrics.js';
import { defineOptions, type OptionSpec, opt, optionError } from '../core/options.js';
import { HashOverloadedError } from './errors.js';
import type { PasswordHasher } from './types.js';

/** The limits of {@link createBoundedHasher}; also the `concurrency` option of the argon2 hasher. */
export interface BoundedHasherLimits {
  /**
   * Calls running at once. Default 4, the size of libuv's default thread pool (`UV_THREADPOOL_SIZE`),
   * where argon2 runs. Peak hashing memory is `maxConcurrent × memoryKiB` (4 × 19 MiB = 76 MiB by
   * default), and the pool is shared with fs, dns.lookup and zlib: raise it only together with
   * `UV_THREADPOOL_SIZE`, and keep it below the pool size if the app also reads files under load.
   * 1..1024.
   */
  readonly maxConcurrent?: number;
  /** Calls waiting for a slot; one more is refused (`queue-full`). Default 64; 0 refuses whenever every slot is busy. 0..100000. */
  readonly maxQueued?: number;
  /**
   * Longest wait a call accepts, ms. A call whose estimated wait (its place in the queue × the observed
   * mean hash duration) is longer is refused at once (`wait`) instead of timing out later. Until one
   * call has completed there is no estimate, and only `maxQueued` applies. Default 2000. 1..3600000.
   */
  readonly maxWaitMs?: number;
}

/** Options of {@link createBoundedHasher}. */
export interface BoundedHasherOptions extends BoundedHasherLimits {
  /** Measures hash durations (for the wait estimate and the histogram). Default the system clock. */
  readonly clock?: Clock;
  /** Receives `accounts.hash.duration`, `accounts.hash.queue` and `accounts.hash.rejected`. Default none. */
  readonly metrics?: Metrics;
}

/** The limit specs, shared with the argon2 hasher's `concurrency` option. @internal */
export const boundedLimitSpecs = {
  maxConcurrent: opt.integer({ default: 4, min: 1, max: 1024 }),
  maxQueued: opt.integer({ default: 64, min: 0, max: 100_000 }),
  maxWaitMs: opt.duration({ default: 2000, max: 3_600_000 }),
};

const parseOptions = defineOptions('createBoundedHasher', {
  ...boundedLimitSpecs,
  clock: opt.clock(),
  metrics: opt.metrics(),
});

const hasherMethods = opt.port<PasswordHasher>(['hash', 'verify', 'needsRehash'], 'required');

/** The wrapped hasher: its three methods and a non-empty `kind`. */
const innerSpec: OptionSpec<PasswordHasher> = {
  parse(value, path, owner) {
    const hasher = hasherMethods.parse(value, path, owner);
    if (typeof hasher.kind !== 'string' || hasher.kind === '') {
      throw optionError(owner, path, 'a PasswordHasher (kind, hash(), verify(), needsRehash())');
    }
    return hasher;
  },
};

/** Weight of the newest duration in the running mean (an exponentially weighted moving average). */
const MEAN_WEIGHT = 0.2;

type Operation = 'hash' | 'verify';

function hasherInstruments(metrics: Metrics) {
  const duration = metrics.histogram('accounts.hash.duration', {
    description: 'time one password hash or verify ran (not counting its wait in the queue)',
    unit: 's',
    labelNames: ['op'],
    buckets: [0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2],
  });
  const queue = metrics.gauge('accounts.hash.queue', {
    description: 'password hash and verify calls waiting for a slot',
    unit: '{call}',
    labelNames: [],
  });
  const rejected = metrics.counter('accounts.hash.rejected', {
    description: 'password hash and verify calls refused by overload, by reason (queue-full, wait)',
    unit: '{call}',
    labelNames: ['reason'],
  });
  const labels = { hash: { op: 'hash' }, verify: { op: 'verify' } } as const;
  const reasons = { 'queue-full': { reason: 'queue-full' }, wait: { reason: 'wait' } } as const;
  return {
    duration: (op: Operation, ms: number) => duration.record(ms / 1000, labels[op]),
    queued: (depth: number) => queue.set(depth),
    rejected: (reason: keyof typeof reasons) => rejected.add(1, reasons[reason]),
  };
}

/** A FIFO of waiters: an array read from a head index, compacted now and then (shift() is O(n)). */
function fifo<T>() {
  let items: T[] = [];
  let head = 0;
  return {
    get size() {
      return items.length - head;
    },
    push: (item: T) => void items.push(item),
    shift(): T | undefined {
      if (head === items.length) return undefined;
      const item = items[head] as T;
      items[head] = undefined as T;
      head += 1;
      if (head === items.length) {
        items = [];
        head = 0;
      } else if (head >= 1024 && head * 2 >= items.length) {
        items = items.slice(head);
        head = 0;
      }
      return item;
    },
  };
}

/**
 * Wraps `inner` so that at most `maxConcurrent` of its `hash`/`verify` calls run at once, later calls wait
 * in order (FIFO), and a call that cannot be served in time is refused at once with
 * {@link HashOverloadedError} (`retryAfterMs`: the estimated time until the calls already waiting have
 * started, i.e. the wait this call would have had; `maxWaitMs` while nothing has completed yet).
 * `needsRehash` and `kind` are the inner hasher's. `close()` resolves once no call is running or waiting
 * (it does not close `inner`, which the caller made).
 *
 * @example
 * ```ts
 * const unbounded = createArgon2Hasher({ concurrency: false });
 * const hasher = createBoundedHasher(unbounded, { maxConcurrent: 2, maxQueued: 32, maxWaitMs: 1000 });
 * ```
 */
export function createBoundedHasher(
  inner: PasswordHasher,
  options: BoundedHasherOptions = {},
): PasswordHasher {
  const hasher = innerSpec.parse(inner, 'inner', 'createBoundedHasher');
  const { maxConcurrent, maxQueued, maxWaitMs, clock, metrics } = parseOptions(options);
  const instruments = hasherInstruments(metrics);
  const waiting = fifo<() => void>();
  const idle: Array<() => void> = [];
  let running = 0;
  let meanMs: number | undefined;

  const observe = (ms: number) => {
    meanMs = meanMs === undefined ? ms : meanMs + MEAN_WEIGHT * (ms - meanMs);
  };

  /** Estimated wait of a call placed behind the `ahead` calls already waiting, or undefined before any sample. */
  const estimateWaitMs = (ahead: number) =>
    meanMs === undefined
      ? undefined
      : Math.ceil((Math.floor(ahead / maxConcurrent) + 1) * Math.max(1, meanMs));

  const refuse = (reason: 'queue-full' | 'wait', retryAfterMs: number, message: string) => {
    instruments.rejected(reason);
    return new HashOverloadedError(
      `the password hasher is overloaded: ${message}`,
      Math.max(1, retryAfterMs),
    );
  };

  /** Throws when the call must be refused instead of queued. */
  const admit = () => {
    const ahead = waiting.size;
    const waitMs = estimateWaitMs(ahead);
    if (ahead >= maxQueued) {
      throw refuse('queue-full', waitMs ?? maxWaitMs, `${ahead} calls are already waiting (maxQueued)`);
    }
    if (waitMs !== undefined && waitMs > maxWaitMs) {
      throw refuse('wait', waitMs, `the estimated wait of ${waitMs} ms is longer than maxWaitMs`);
    }
  };

  const release = () => {
    const next = waiting.shift();
    if (next !== undefined) {
      // The slot passes straight to the next caller: `running` stays, so no newcomer can jump the queue.
      instruments.queued(waiting.size);
      next();
      return;
    }
    running -= 1;
    if (running === 0) for (const done of idle.splice(0)) done();
  };

  const execute = async <T>(op: Operation, task: () => Promise<T>): Promise<T> => {
    const startedMs = clock.now();
    let ok = false;
    try {
      const result = await task();
      ok = true;
      return result;
    } finally {
      const ms = Math.max(0, clock.now() - startedMs);
      instruments.duration(op, ms);
      if (ok) observe(ms);
      release();
    }
  };

  const schedule = async <T>(op: Operation, task: () => Promise<T>): Promise<T> => {
    if (running < maxConcurrent && waiting.size === 0) {
      running += 1;
      return execute(op, task);
    }
    admit();
    await new Promise<void>((resolve) => {
      waiting.push(resolve);
      instruments.queued(waiting.size);
    });
    return execute(op, task);
  };

  return {
    kind: hasher.kind,
    hash: (password) => schedule('hash', () => hasher.hash(password)),
    verify: (hash, password) => schedule('verify', () => hasher.verify(hash, password)),
    needsRehash: (hash) => hasher.needsRehash(hash),
    close: () =>
      running === 0 ? Promise.resolve() : new Promise<void>((resolve) => void idle.push(resolve)),
  };
}
