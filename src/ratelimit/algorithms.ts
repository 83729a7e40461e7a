/**
 * Algorithms as values. Each factory validates its options once and returns a frozen description that
 * both stores execute: the memory store in TypeScript (engine.ts), Redis in Lua (lua/decide.ts).
 */
import { InvalidOptionError } from '../core/errors.js';
import { defineOptions, opt } from '../core/options.js';

/** Largest limit or capacity accepted: keeps every product of the arithmetic exact in doubles. */
export const MAX_LIMIT = 1_000_000_000;
/** Longest window or period accepted: 366 days. */
export const MAX_WINDOW_MS = 366 * 24 * 3600 * 1000;

/**
 * Marks the values this module's factories made. Non-enumerable, so `{ ...algorithm, limit: Infinity }`
 * does not copy it: a hand-built or edited object never reaches a store unvalidated. `Symbol.for`, so the
 * ESM and CJS builds loaded side by side still recognise each other's algorithms.
 */
const MADE_BY_FACTORY = Symbol.for('backend-patterns.ratelimit.algorithm');

/** Freezes a validated algorithm and marks it as made by a factory. */
function branded<A extends Algorithm>(algorithm: A): A {
  Object.defineProperty(algorithm, MADE_BY_FACTORY, { value: true });
  return Object.freeze(algorithm);
}

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

/**
 * Bucket algorithms: virtual scheduling on an exact rational interval. One token comes back every
 * `periodUs / units` microseconds; the engines count time in ticks of `1 / units` µs, so the interval is
 * the integer `periodUs` ticks and no rounding ever makes the rate faster than configured.
 */
export interface BucketAlgorithm extends AlgorithmBase {
  readonly kind: 'token-bucket' | 'gcra' | 'leaky-bucket';
  readonly engine: 'virtual-scheduling';
  /** Tokens the bucket holds (burst size). */
  readonly capacity: number;
  /** Microseconds to earn one token back (or drain one unit): `periodUs / units`, for display only. */
  readonly intervalUs: number;
  /** Numerator of the interval: `units` tokens come back every `periodUs` microseconds (lowest terms). */
  readonly periodUs: number;
  /** Denominator of the interval: tokens earned per `periodUs` (lowest terms). */
  readonly units: number;
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

const windowSpecs = {
  limit: opt.integer({ required: true, min: 1, max: MAX_LIMIT }),
  windowMs: opt.duration({ required: true, min: 1, max: MAX_WINDOW_MS }),
};
const windowParsers = {
  'fixed-window': defineOptions('fixedWindow', windowSpecs),
  'sliding-window-log': defineOptions('slidingWindowLog', windowSpecs),
  'sliding-window-counter': defineOptions('slidingWindowCounter', windowSpecs),
} as const;

function windowAlgorithm(kind: WindowAlgorithm['kind'], options: WindowOptions): WindowAlgorithm {
  const { limit, windowMs } = windowParsers[kind](options);
  if (kind === 'sliding-window-counter' && limit * windowMs > 2 ** 51) {
    throw new InvalidOptionError(
      'slidingWindowCounter: `limit` × `windowMs` is too large for the sliding window counter',
    );
  }
  return branded({ kind, engine: kind, limit, windowMs, quota: limit });
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
  return windowAlgorithm('fixed-window', options);
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
  return windowAlgorithm('sliding-window-log', options);
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
  return windowAlgorithm('sliding-window-counter', options);
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/** Largest value the exact arithmetic may reach: leaves headroom below 2^53 for the sums of the engines. */
const MAX_TICKS = 2 ** 51;

/**
 * A bucket earning `units` tokens every `periodUs` µs. The engines compute `capacity × periodUs` ticks
 * and `nowUs`-relative debts of that size, so that product must stay well inside doubles' exact integers.
 */
function bucket(
  kind: BucketAlgorithm['kind'],
  capacity: number,
  rawPeriodUs: number,
  rawUnits: number,
  shaping: boolean,
): BucketAlgorithm {
  // Decisions are taken at µs resolution at best; a faster rate would be a burst in disguise.
  if (!(rawPeriodUs >= rawUnits))
    throw new InvalidOptionError(`${kind}: refill faster than one token per microsecond`);
  const divisor = gcd(rawPeriodUs, rawUnits);
  const periodUs = rawPeriodUs / divisor;
  const units = rawUnits / divisor;
  if (!Number.isSafeInteger(periodUs) || capacity * periodUs > MAX_TICKS || units * 1000 > MAX_TICKS) {
    throw new InvalidOptionError(
      `${kind}: capacity × refill interval is too large for exact arithmetic (capacity ${capacity}, ` +
        `${units} per ${periodUs} µs)`,
    );
  }
  return branded({
    kind,
    engine: 'virtual-scheduling',
    capacity,
    intervalUs: periodUs / units,
    periodUs,
    units,
    shaping,
    quota: capacity,
    windowMs: Math.ceil((capacity * periodUs) / units / 1000),
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

const parseTokenBucket = defineOptions('tokenBucket', {
  capacity: opt.integer({ required: true, min: 1, max: MAX_LIMIT }),
  refillTokens: opt.integer({ required: true, min: 1, max: MAX_LIMIT }),
  refillIntervalMs: opt.duration({ required: true, min: 1, max: MAX_WINDOW_MS }),
});

/**
 * Token bucket: up to `capacity` at once (the burst), then `refillTokens` per `refillIntervalMs`.
 *
 * @example
 * ```ts
 * tokenBucket({ capacity: 20, refillTokens: 10, refillIntervalMs: 1000 }) // 10/s, bursts of 20
 * ```
 */
export function tokenBucket(options: TokenBucketOptions): BucketAlgorithm {
  const { capacity, refillTokens, refillIntervalMs } = parseTokenBucket(options);
  return bucket('token-bucket', capacity, refillIntervalMs * 1000, refillTokens, false);
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

const parseGcra = defineOptions('gcra', {
  limit: opt.integer({ required: true, min: 1, max: MAX_LIMIT }),
  periodMs: opt.duration({ required: true, min: 1, max: MAX_WINDOW_MS }),
  burst: opt.integer({ default: 0, min: 0, max: MAX_LIMIT - 1 }),
});

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
  const { limit, periodMs, burst } = parseGcra(options);
  return bucket('gcra', burst + 1, periodMs * 1000, limit, false);
}

/** Options of {@link leakyBucket}. */
export interface LeakyBucketOptions {
  /** Units the bucket (queue) holds. */
  readonly capacity: number;
  /** Units leaving the bucket per second: the smooth outflow rate. */
  readonly leakPerSecond: number;
}

const parseLeakyBucket = defineOptions('leakyBucket', {
  capacity: opt.integer({ required: true, min: 1, max: MAX_LIMIT }),
  leakPerSecond: opt.number({ required: true, min: Number.MIN_VALUE, max: 1_000_000 }),
});

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
  const { capacity, leakPerSecond } = parseLeakyBucket(options);
  const [periodUs, units] = leakRate(leakPerSecond);
  return bucket('leaky-bucket', capacity, periodUs, units, true);
}

/**
 * `leakPerSecond` as the exact fraction `units / periodUs` µs: a rate written with up to 6 decimals is
 * exact; any other (1/3) leaks one unit per whole µs rounded up, never faster than asked.
 */
function leakRate(leakPerSecond: number): [periodUs: number, units: number] {
  for (let digits = 0, scale = 1; digits <= 6; digits++, scale *= 10) {
    const units = Math.round(leakPerSecond * scale);
    if (units >= 1 && units / scale === leakPerSecond) return [1_000_000 * scale, units];
  }
  return [Math.ceil(1_000_000 / leakPerSecond), 1];
}

/**
 * True when `value` is an algorithm made by one of this module's factories (and so validated by it).
 * Checking the shape instead would let `{ engine: 'bogus' }` or `{ ...fw, limit: Infinity }` through.
 */
export function isAlgorithm(value: unknown): value is Algorithm {
  return (
    typeof value === 'object' &&
    value !== null &&
    Object.isFrozen(value) &&
    // Own property only: `Object.create(algorithm)` with overrides must not inherit the mark.
    Object.hasOwn(value, MADE_BY_FACTORY)
  );
}

/**
 * `algorithm` with its quota and rate scaled by `share` (0 < share <= 1), for the insurance limiter: the
 * quota (limit or capacity) becomes `max(1, floor(quota × share))`, a bucket's interval per token is
 * stretched by `1 / share` and rounded up, so the result is never more permissive than its share. Built
 * by the same factories' checks, so it runs on the same engines.
 */
export function scaledAlgorithm(algorithm: Algorithm, share: number): Algorithm {
  if (share === 1) return algorithm;
  const scale = (quota: number) => Math.max(1, Math.floor(quota * share));
  if (algorithm.engine !== 'virtual-scheduling') {
    return windowAlgorithm(algorithm.kind, { limit: scale(algorithm.limit), windowMs: algorithm.windowMs });
  }
  const { kind, capacity, periodUs, units, shaping } = algorithm;
  return bucket(kind, scale(capacity), Math.ceil(periodUs / share), units, shaping);
}
