/**
 * The RateLimitStore port: where decisions are made atomically. The limiter validates input, picks keys
 * and handles failures; a store only evaluates and applies. Memory (memory.ts) and Redis (redis.ts)
 * implement it; `rateLimitStoreContract` in backend-patterns/testing checks any implementation.
 */
import type { Algorithm } from './algorithms.js';

/** One policy's part of a decision. */
export interface PolicyCheck {
  /** Policy name, unique within the limiter. */
  readonly policy: string;
  /** What this policy counts by: the key's value for its dimension (user id, IP), or `*` for a global policy. */
  readonly key: string;
  readonly algorithm: Algorithm;
  /** After a denial by this policy, block the key this long (0 = no penalty). */
  readonly blockDurationMs: number;
}

/** A decision request: all checks pass and are charged together, or nothing is charged. */
export interface DecideRequest {
  /** Limiter name. */
  readonly limiter: string;
  /** Redis Cluster hash tag shared by every key of this request. */
  readonly hashTag: string;
  readonly checks: readonly PolicyCheck[];
  /** Units to charge (>= 1). */
  readonly cost: number;
  /** `consume` charges when all pass; `peek` reports without changing anything. */
  readonly mode: 'consume' | 'peek';
}

/** One policy's answer. */
export interface PolicyDecision {
  readonly allowed: boolean;
  readonly remaining: number;
  readonly resetAfterMs: number;
  readonly retryAfterMs: number;
  readonly delayMs: number;
  /** A penalty block is running for this key (now or as a result of this denial). */
  readonly blocked: boolean;
}

/** A store's answer: the time it decided at (its own clock) and one decision per check, in order. */
export interface DecideResponse {
  readonly nowMs: number;
  readonly decisions: readonly PolicyDecision[];
}

/** Request to clear the state and blocks of some keys. */
export interface ResetRequest {
  readonly limiter: string;
  readonly hashTag: string;
  readonly checks: readonly PolicyCheck[];
}

/** Request for a concurrency slot. */
export interface LeaseRequest {
  readonly limiter: string;
  readonly hashTag: string;
  readonly key: string;
  /** Slots in total. */
  readonly limit: number;
  /** Slots this holder takes (>= 1). */
  readonly cost: number;
  /** The slot frees itself after this long unless extended. */
  readonly leaseMs: number;
}

/** Answer to a lease request. */
export interface LeaseResponse {
  readonly allowed: boolean;
  readonly nowMs: number;
  /** Opaque lease id when allowed. */
  readonly leaseId?: string;
  /** When the lease expires (epoch ms), when allowed. */
  readonly expiresAtMs?: number;
  /** Slots in use after this request. */
  readonly inUse: number;
  /** When denied: until the earliest held lease expires (an upper bound; holders may release sooner). */
  readonly retryAfterMs: number;
}

/** Identifies one held lease. */
export interface LeaseHandle {
  readonly limiter: string;
  readonly hashTag: string;
  readonly key: string;
  readonly leaseId: string;
}

/**
 * Storage of rate-limit state. Every method is atomic with respect to the keys it touches. Time belongs to
 * the store: it takes `clock?` at construction (a Redis store without one reads Redis `TIME`), and no
 * method takes the current time.
 */
export interface RateLimitStore {
  /** What backs the store: `'memory'`, `'redis'`, or your adapter's name. */
  readonly kind: string;
  /** Releases what the store itself made (timers, subscriptions); never a client you passed in. */
  close?(): Promise<void>;
  /**
   * Optional, for in-process stores only: the same as `decide`, answered synchronously. Limiters use it when
   * present and then skip the per-call deadline, which an in-process store cannot need.
   */
  decideSync?(request: DecideRequest): DecideResponse;
  /** Evaluates all checks; charges all of them only if all pass (and `mode` is `consume`). */
  decide(request: DecideRequest): Promise<DecideResponse>;
  /** Clears state and blocks of the given checks' keys. */
  reset(request: ResetRequest): Promise<void>;
  /** Takes `cost` concurrency slots if free. */
  acquireLease(request: LeaseRequest): Promise<LeaseResponse>;
  /** Frees a lease; false when it was not held (expired or already released). */
  releaseLease(handle: LeaseHandle): Promise<boolean>;
  /** Pushes a held lease's expiry to now + `leaseMs`; the new expiry, or undefined if it was no longer held. */
  extendLease(handle: LeaseHandle, leaseMs: number): Promise<number | undefined>;
}

/** Where a call that returns no promise answers: one of the two, once (later answers are ignored). */
export interface AnswerSink<T> {
  resolve(value: T): void;
  reject(error: unknown): void;
}

/**
 * Internal, not exported by the package: a store's `decide` that answers into a sink instead of returning
 * a promise (the Redis store's batcher), saving a promise and its closures per decision. A limiter uses it
 * only while the store's `decide` is still `decide` here (a wrapped or replaced `decide` wins). Stored
 * under {@link DECIDE_INTO}, non-enumerable, so a spread copy of the store does not carry it.
 */
export interface DecideInto {
  readonly decide: RateLimitStore['decide'];
  readonly into: (request: DecideRequest, sink: AnswerSink<DecideResponse>) => void;
}

/** The key of a store's {@link DecideInto}. */
// Symbol.for: one key even when the ESM and the CommonJS builds are both loaded.
export const DECIDE_INTO: unique symbol = Symbol.for('backend-patterns.ratelimit.decideInto');

/** The store's {@link DecideInto}, while its `decide` is the one it belongs to. */
export function decideIntoOf(store: RateLimitStore): DecideInto | undefined {
  const into = (store as { readonly [DECIDE_INTO]?: DecideInto })[DECIDE_INTO];
  return into !== undefined && into.decide === store.decide ? into : undefined;
}
