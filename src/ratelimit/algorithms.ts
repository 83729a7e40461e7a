/**
 * Algorithms as values. Each factory validates its options once and returns a frozen description that
 * both stores execute: the memory store in TypeScript (engine.ts), Redis in Lua (lua/decide.ts).
 */
import { InvalidOptionError } from '../core/errors.js';
import { option } from '../core/validate.js';

/** Largest limit or capacity accepted: keeps every product of the arithmetic exact in doubles. */
export const MAX_LIMIT = 1_000_000_000;
/** Longest window or period accepted: 366 days. */
export const MAX_WINDOW_MS = 366 * 24 * 3600 * 1000;

/** Engine codes shared by the TypeScript and Lua implementations. */
export type EngineKind =
  | 'fixed-window'
  | 'sliding-window-log'
  | 'sliding-window-counter'
  | 'virtual-scheduling';

interface AlgorithmBase {
  /** Public name of the algorithm. */
  readonly kind:
    | 'fixed-window'
    | 'sliding-window-log'
    | 'sliding-window-counter'
    | 'token-bucket'
    | 'gcra'
    | 'leaky-bucket';
  /** How the stores execute it. */
  readonly engine: EngineKind;
  /** Largest cost one request may ever have (the limit or the bucket capacity). */
  readonly quota: number;
  /** Window of the quota for `RateLimit-Policy` (for buckets: time to refill from empty). */
  readonly windowMs: number;
}

/** Counting algorithms over a window of `windowMs`. */
export interface WindowAlgorithm extends AlgorithmBase {
  readonly kind: 'fixed-window' | 'sliding-window-log' | 'sliding-window-counter';
  readonly engine: 'fixed-window' | 'sliding-window-log' | 'sliding-window-counter';
  readonly limit: number;
}

/** Bucket algorithms: virtual scheduling in integer microseconds. */
export interface BucketAlgorithm extends AlgorithmBase {
  readonly kind: 'token-bucket' | 'gcra' | 'leaky-bucket';
  readonly engine: 'virtual-scheduling';
  /** Tokens the bucket holds (burst size). */
  readonly capacity: number;
  /** Microseconds to earn one token back (or drain one unit). */
  readonly intervalUs: number;
  /** Leaky bucket: admitted requests wait for their turn (`delayMs`) instead of going at once. */
  readonly shaping: boolean;
}

/** Any rate-limit algorithm. */
export type Algorithm = WindowAlgorithm | BucketAlgorithm;

/** Options of the window algorithms. */
export interface WindowOptions {
  /** Requests (cost units) allowed per window. */
  readonly limit: number;
  /** Window length in milliseconds. */
  readonly windowMs: number;
}

function windowAlgorithm(
  kind: WindowAlgorithm['kind'],
  what: string,
  options: WindowOptions,
): WindowAlgorithm {
  if (typeof options !== 'object' || options === null) throw new InvalidOptionError(`${what} needs options`);
  option.knownKeys(what, options, ['limit', 'windowMs']);
  const limit = option.integer('limit', options.limit, 1, MAX_LIMIT);
  const windowMs = option.integer('windowMs', options.windowMs, 1, MAX_WINDOW_MS);
  if (kind === 'sliding-window-counter' && limit * windowMs > 2 ** 51) {
    throw new InvalidOptionError('`limit` × `windowMs` is too large for the sliding window counter');
  }
  return Object.freeze({ kind, engine: kind, limit, windowMs, quota: limit });
}

/**
 * Fixed window: at most `limit` per clock-aligned window of `windowMs`. Cheapest; allows up to twice the
 * limit across a window edge.
 *
 * @example
 * ```ts
 * fixedWindow({ limit: 1000, windowMs: 24 * 3600_000 }) // 1000 per day
 * ```
 */
export function fixedWindow(options: WindowOptions): WindowAlgorithm {
  return windowAlgorithm('fixed-window', 'fixedWindow', options);
}

/**
 * Sliding window log: exactly at most `limit` in every window of `windowMs`, however it is placed.
 * Keeps one entry per admitted request.
 *
 * @example
 * ```ts
 * slidingWindowLog({ limit: 5, windowMs: 60_000 }) // 5 login attempts in any minute
 * ```
 */
export function slidingWindowLog(options: WindowOptions): WindowAlgorithm {
  return windowAlgorithm('sliding-window-log', 'slidingWindowLog', options);
}

/**
 * Sliding window counter: two counters, the previous window's weighted by how much of it still overlaps.
 * Approximate, smooths the fixed-window edge, never more than `limit` in one aligned window.
 *
 * @example
 * ```ts
 * slidingWindowCounter({ limit: 100, windowMs: 60_000 })
 * ```
 */
export function slidingWindowCounter(options: WindowOptions): WindowAlgorithm {
  return windowAlgorithm('sliding-window-counter', 'slidingWindowCounter', options);
}

function bucket(
  kind: BucketAlgorithm['kind'],
  capacity: number,
  intervalUs: number,
  shaping: boolean,
): BucketAlgorithm {
  if (!(intervalUs >= 1))
    throw new InvalidOptionError(`${kind}: refill faster than one token per microsecond`);
  if (capacity * intervalUs > 2 ** 51)
    throw new InvalidOptionError(`${kind}: capacity × refill interval is too large`);
  return Object.freeze({
    kind,
    engine: 'virtual-scheduling',
    capacity,
    intervalUs,
    shaping,
    quota: capacity,
    windowMs: Math.ceil((capacity * intervalUs) / 1000),
  });
}

/** Options of {@link tokenBucket}. */
export interface TokenBucketOptions {
  /** Tokens the bucket holds: the burst allowance. */
  readonly capacity: number;
  /** Tokens added every `refillIntervalMs` (continuously, pro rata). */
  readonly refillTokens: number;
  /** Milliseconds in which `refillTokens` are added. */
  readonly refillIntervalMs: number;
}

/**
 * Token bucket: up to `capacity` at once (the burst), then `refillTokens` per `refillIntervalMs`.
 *
 * @example
 * ```ts
 * tokenBucket({ capacity: 20, refillTokens: 10, refillIntervalMs: 1000 }) // 10/s, bursts of 20
 * ```
 */
export function tokenBucket(options: TokenBucketOptions): BucketAlgorithm {
  if (typeof options !== 'object' || options === null)
    throw new InvalidOptionError('tokenBucket needs options');
  option.knownKeys('tokenBucket', options, ['capacity', 'refillTokens', 'refillIntervalMs']);
  const capacity = option.integer('capacity', options.capacity, 1, MAX_LIMIT);
  const refillTokens = option.integer('refillTokens', options.refillTokens, 1, MAX_LIMIT);
  const refillIntervalMs = option.integer('refillIntervalMs', options.refillIntervalMs, 1, MAX_WINDOW_MS);
  return bucket('token-bucket', capacity, Math.floor((refillIntervalMs * 1000) / refillTokens), false);
}

/** Options of {@link gcra}. */
export interface GcraOptions {
  /** Requests per `periodMs` at the steady rate. */
  readonly limit: number;
  /** Period of the rate, in milliseconds. */
  readonly periodMs: number;
  /** Extra requests tolerated at once above the steady rate (default 0: evenly spaced). */
  readonly burst?: number;
}

/**
 * GCRA (generic cell rate algorithm): a steady `limit` per `periodMs` with a tolerance of `burst` extra
 * requests. One timestamp of state per key.
 *
 * @example
 * ```ts
 * gcra({ limit: 100, periodMs: 60_000, burst: 10 })
 * ```
 */
export function gcra(options: GcraOptions): BucketAlgorithm {
  if (typeof options !== 'object' || options === null) throw new InvalidOptionError('gcra needs options');
  option.knownKeys('gcra', options, ['limit', 'periodMs', 'burst']);
  const limit = option.integer('limit', options.limit, 1, MAX_LIMIT);
  const periodMs = option.integer('periodMs', options.periodMs, 1, MAX_WINDOW_MS);
  const burst = option.integer('burst', options.burst ?? 0, 0, MAX_LIMIT - 1);
  return bucket('gcra', burst + 1, Math.floor((periodMs * 1000) / limit), false);
}

/** Options of {@link leakyBucket}. */
export interface LeakyBucketOptions {
  /** Units the bucket (queue) holds. */
  readonly capacity: number;
  /** Units leaving the bucket per second: the smooth outflow rate. */
  readonly leakPerSecond: number;
}

/**
 * Leaky bucket as a queue: admits while the queue has room and gives each admitted request a `delayMs`
 * so that work leaves at `leakPerSecond`, smoothly.
 *
 * @example
 * ```ts
 * const r = await limiter.limit(key); if (r.allowed) { await sleep(r.delayMs); await callDownstream(); }
 * ```
 */
export function leakyBucket(options: LeakyBucketOptions): BucketAlgorithm {
  if (typeof options !== 'object' || options === null)
    throw new InvalidOptionError('leakyBucket needs options');
  option.knownKeys('leakyBucket', options, ['capacity', 'leakPerSecond']);
  const capacity = option.integer('capacity', options.capacity, 1, MAX_LIMIT);
  const leakPerSecond = option.number('leakPerSecond', options.leakPerSecond, Number.MIN_VALUE, 1_000_000);
  return bucket('leaky-bucket', capacity, Math.floor(1_000_000 / leakPerSecond), true);
}

/** True when `value` is an algorithm made by one of this module's factories. */
export function isAlgorithm(value: unknown): value is Algorithm {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Algorithm).engine === 'string' &&
    typeof (value as Algorithm).quota === 'number'
  );
}
