/**
 * The concurrency limiter: at most `limit` requests in flight per key. Each admitted request holds a lease
 * with a TTL, so a holder that crashes without releasing frees its slot when the lease runs out.
 */
import type { Clock } from '../core/clock.js';
import { InvalidArgumentError, StoreError } from '../core/errors.js';
import type { Metrics } from '../core/metrics.js';
import { argument } from '../core/validate.js';
import { MAX_LEASE_MS, parseConcurrencyLimiterOptions } from './limiter-options.js';
import { createMemoryRateLimitStore } from './memory.js';
import type { LeaseHandle, LeaseResponse, RateLimitStore } from './store.js';
import { createStoreGuard, type StoreGuard } from './store-guard.js';

/** Options of {@link createConcurrencyLimiter}. */
export interface ConcurrencyLimiterOptions {
  /** `[A-Za-z0-9._-]`. */
  readonly name: string;
  /** Slots per key. */
  readonly limit: number;
  /** A slot frees itself this long after acquire (or the last extend). Keep it above your request timeout. */
  readonly leaseMs: number;
  readonly store?: RateLimitStore;
  readonly clock?: Clock;
  readonly metrics?: Metrics;
  /** Default `'fail-open'`: a failed store lets the request run without a lease. */
  readonly onStoreError?: 'fail-open' | 'fail-closed';
  /** Default 50 ms. */
  readonly storeTimeoutMs?: number;
  /** Default 1000 ms. */
  readonly storeRetryAfterMs?: number;
  /** Default 256. */
  readonly maxKeyLength?: number;
}

/** A held slot. Release it in a `finally`. */
export interface Lease {
  readonly key: string;
  readonly leaseId: string;
  /** Epoch ms when the slot frees itself unless extended. */
  readonly expiresAtMs: number;
  /** Frees the slot; false when it had already expired or been released. */
  release(): Promise<boolean>;
  /** Pushes the expiry to now + `leaseMs`; false when the lease was already lost. */
  extend(leaseMs?: number): Promise<boolean>;
}

/** Answer to `acquire`. */
export interface AcquireResult {
  readonly allowed: boolean;
  /** Present when allowed and the store answered. */
  readonly lease?: Lease;
  readonly limit: number;
  /** Slots in use after this call. */
  readonly inUse: number;
  /** When denied: until the earliest lease expires (holders usually release sooner). */
  readonly retryAfterMs: number;
  readonly reason: 'ok' | 'limit' | 'store-error';
}

/** Limits requests in flight. */
export interface ConcurrencyLimiter {
  readonly name: string;
  /** Takes `cost` slots (default 1) if free. */
  acquire(key: string, options?: { readonly cost?: number }): Promise<AcquireResult>;
}

/** The held lease of an admitted `acquire`; release and extend go through the guard. */
function createLease(
  store: RateLimitStore,
  guard: StoreGuard,
  handle: LeaseHandle,
  granted: LeaseResponse,
  leaseMs: number,
): Lease {
  let expiresAtMs = granted.expiresAtMs ?? granted.nowMs + leaseMs;
  return {
    key: handle.key,
    leaseId: handle.leaseId,
    get expiresAtMs() {
      return expiresAtMs;
    },
    async release() {
      const released = await guard.run(() => store.releaseLease(handle));
      if (!released.ok)
        throw new StoreError(`release of a ${handle.limiter} lease failed`, { cause: released.error });
      return released.value;
    },
    async extend(extendMs = leaseMs) {
      argument.integer('leaseMs', extendMs, 1, MAX_LEASE_MS);
      const extended = await guard.run(() => store.extendLease(handle, extendMs));
      if (!extended.ok)
        throw new StoreError(`extend of a ${handle.limiter} lease failed`, { cause: extended.error });
      if (extended.value === undefined) return false;
      expiresAtMs = extended.value;
      return true;
    },
  };
}

/**
 * Creates a concurrency limiter.
 *
 * @example
 * ```ts
 * const exports = createConcurrencyLimiter({ name: 'export', limit: 2, leaseMs: 60_000 });
 * const slot = await exports.acquire(userId);
 * if (!slot.allowed) return reply.status(429).send();
 * try { await runExport(); } finally { await slot.lease?.release(); }
 * ```
 */
export function createConcurrencyLimiter(options: ConcurrencyLimiterOptions): ConcurrencyLimiter {
  const o = parseConcurrencyLimiterOptions(options);
  const { name, limit, leaseMs, clock, maxKeyLength } = o;
  const store = o.store ?? createMemoryRateLimitStore({ clock });
  const guard = createStoreGuard(clock, o.storeTimeoutMs, o.storeRetryAfterMs);
  const requests = o.metrics.counter('ratelimit.requests', {
    description: 'rate-limit decisions by outcome',
    unit: '{request}',
    labelNames: ['limiter', 'outcome', 'mode'],
  });
  const count = (outcome: 'allowed' | 'rejected' | 'error') =>
    requests.add(1, { limiter: name, outcome, mode: 'enforce' });

  return {
    name,
    async acquire(key, acquireOptions) {
      argument.key('key', key, maxKeyLength);
      const cost = acquireOptions?.cost === undefined ? 1 : acquireOptions.cost;
      if (typeof cost !== 'number' || !Number.isSafeInteger(cost) || cost < 1 || cost > limit) {
        throw new InvalidArgumentError(`\`cost\` must be an integer in 1..${limit}, got ${String(cost)}`);
      }
      const handle = { limiter: name, hashTag: `${name}:${key}`, key };
      const outcome = await guard.run(() => store.acquireLease({ ...handle, limit, cost, leaseMs }));
      if (!outcome.ok) {
        count('error');
        const allowed = o.onStoreError === 'fail-open';
        return { allowed, limit, inUse: 0, retryAfterMs: allowed ? 0 : 1000, reason: 'store-error' };
      }
      const r = outcome.value;
      count(r.allowed ? 'allowed' : 'rejected');
      if (!r.allowed || r.leaseId === undefined) {
        return { allowed: false, limit, inUse: r.inUse, retryAfterMs: r.retryAfterMs, reason: 'limit' };
      }
      const lease = createLease(store, guard, { ...handle, leaseId: r.leaseId }, r, leaseMs);
      return { allowed: true, lease, limit, inUse: r.inUse, retryAfterMs: 0, reason: 'ok' };
    },
  };
}
