/**
 * Public types of the RateLimiter: options, policies and results.
 */
import type { Clock } from '../core/clock.js';
import type { Metrics } from '../core/metrics.js';
import type { Algorithm } from './algorithms.js';
import type { RateLimitStore } from './store.js';

/** One limit of a limiter. */
export interface PolicyOptions {
  /** Unique within the limiter; shown in headers (`"per-user";q=10`) and results. `[A-Za-z0-9._-]`. */
  readonly name: string;
  readonly algorithm: Algorithm;
  /**
   * Which key dimension this policy counts by: `'key'` (default, the string passed to `limit`), any name
   * present in the object passed to `limit` (`'account'`, `'ip'`), or `'global'` for one shared counter.
   */
  readonly by?: string;
  /** After this policy denies, block the key for this long (brute-force penalty). Default 0 (off). */
  readonly blockDurationMs?: number;
}

/**
 * What to answer when the store did not (an error, a missed deadline, an open circuit): `'insurance'` (a
 * per-process in-memory limiter at `insurance.share` of every quota), `'fail-open'`, `'fail-closed'`, or
 * the decision of a limiter of your own.
 */
export type StoreErrorPolicy = 'insurance' | 'fail-open' | 'fail-closed' | { readonly fallback: RateLimiter };

/** Options of the insurance limiter (`onStoreError: 'insurance'`). */
export interface InsuranceOptions {
  /**
   * Share of each policy's quota (and a bucket's rate) one process may admit while the store does not
   * answer: `max(1, floor(quota × share))`. A number in (0, 1]; default 0.1. Set it to 1 / processes.
   */
  readonly share?: number;
}

/** Options of `createRateLimiter`. */
export interface RateLimiterOptions {
  /** `[A-Za-z0-9._-]`, part of every key and the `limiter` metric label. */
  readonly name: string;
  /** A single policy named after the limiter. Give this or `policies`. */
  readonly algorithm?: Algorithm;
  /** Several policies decided atomically: all pass and are charged, or nothing is charged. */
  readonly policies?: readonly PolicyOptions[];
  /** Default: a memory store on `clock`. */
  readonly store?: RateLimitStore;
  /** Default: the system clock. */
  readonly clock?: Clock;
  /** Default: no-op. Emits `ratelimit.requests{limiter,outcome,mode}` and `ratelimit.store.duration`. */
  readonly metrics?: Metrics;
  /** Default `'insurance'`. See docs/ratelimit.md, "Failure modes". */
  readonly onStoreError?: StoreErrorPolicy;
  /** Only with `onStoreError: 'insurance'`. Default `{ share: 0.1 }`. */
  readonly insurance?: InsuranceOptions;
  /** Deadline of one store call. Default 50 ms. */
  readonly storeTimeoutMs?: number;
  /**
   * After 3 consecutive store failures (errors, or deadlines in which the store answered nothing at all),
   * skip the store this long, then let one call probe it. Default 1000 ms; 0 disables the circuit.
   */
  readonly storeRetryAfterMs?: number;
  /** `'shadow'` decides and counts but never denies (dark launch). Default `'enforce'`. */
  readonly mode?: 'enforce' | 'shadow';
  /** Longest key accepted, in UTF-16 units. Default 256. */
  readonly maxKeyLength?: number;
  /** Blocked keys remembered locally so they cost no store call. Default 10 000; 0 disables. */
  readonly localBlockCacheSize?: number;
}

/** A key: a string (dimension `key`), or named dimensions such as `{ account, ip }`. */
export type LimitKey = string | Readonly<Record<string, string>>;

/** Options of one `limit` call. */
export interface LimitOptions {
  /** Weight of this request, an integer >= 1. Default 1. */
  readonly cost?: number;
}

/** Why a result came out as it did. */
export type LimitReason = 'ok' | 'limit' | 'blocked' | 'store-error';

/** One policy's figures within a result. */
export interface PolicyResult {
  readonly policy: string;
  /** This policy alone would admit the request. */
  readonly allowed: boolean;
  /** The policy's quota (limit, or bucket capacity). */
  readonly limit: number;
  readonly remaining: number;
  /** Epoch ms when this policy is fully replenished. */
  readonly resetAtMs: number;
  /** The same moment relative to the decision, in ms (what the `t` header parameter needs). */
  readonly resetAfterMs: number;
  readonly retryAfterMs: number;
  /** Quota window for headers, in ms. */
  readonly windowMs: number;
  readonly blocked: boolean;
}

/** The answer to `limit` or `peek`. A denial is a result, never an exception. */
export interface LimitResult {
  /** Go ahead (always true in shadow mode). */
  readonly allowed: boolean;
  /** Quota of the deciding policy. */
  readonly limit: number;
  /** Units left in the deciding policy. */
  readonly remaining: number;
  /** Epoch ms when the deciding policy is fully replenished. */
  readonly resetAtMs: number;
  /** 0 when allowed; otherwise how long until a request of the same cost could pass. */
  readonly retryAfterMs: number;
  /** Leaky bucket: wait this long before doing the work, so outflow stays smooth. Otherwise 0. */
  readonly delayMs: number;
  /** Name of the deciding policy: the denying one with the longest wait, or the one with least remaining. */
  readonly policy: string;
  /** Every policy's figures, in declaration order. Empty for store-error results. */
  readonly policies: readonly PolicyResult[];
  readonly reason: LimitReason;
  /** Shadow mode: the request would have been denied. */
  readonly shadowDenied: boolean;
  /**
   * The store did not decide (an error, a missed deadline, an open circuit): this decision came from
   * `onStoreError` (the insurance limiter, fail-open, fail-closed or the fallback).
   */
  readonly degraded: boolean;
}

/** A rate limiter. */
export interface RateLimiter {
  readonly name: string;
  /** Decides and, if allowed, charges `cost` against every policy. */
  limit(key: LimitKey, options?: LimitOptions): Promise<LimitResult>;
  /** What a request of cost 1 would get now; charges nothing. */
  peek(key: LimitKey): Promise<LimitResult>;
  /** Clears the key's state and penalty blocks in every non-global policy. */
  reset(key: LimitKey): Promise<void>;
}
