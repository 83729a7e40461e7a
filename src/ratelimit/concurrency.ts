/**
 * The concurrency limiter: at most `limit` requests in flight per key. Each admitted request holds a lease
 * with a TTL, so a holder that crashes without releasing frees its slot when the lease runs out.
 */
import { type Clock, systemClock } from '../core/clock.js';
import { InvalidArgumentError, InvalidOptionError, StoreError } from '../core/errors.js';
import { type Metrics, noopMetrics } from '../core/metrics.js';
import { argument, option } from '../core/validate.js';
import { MAX_LIMIT } from './algorithms.js';
import { createMemoryRateLimitStore } from './memory.js';
import type { RateLimitStore } from './store.js';
import { createStoreGuard } from './store-guard.js';

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
  readonly expiresAt: number;
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

/**
 * Creates a concurrency limiter.
 *
 * @example
 * ```ts
 * const exports = createConcurrencyLimiter({ name: 'export', limit: 2, leaseMs: 60_000 });
 * const slot = await exports.acquire(userId);
 * if (!slot.allowed) return reply(429);
 * try { await runExport(); } finally { await slot.lease?.release(); }
 * ```
 */
export function createConcurrencyLimiter(options: ConcurrencyLimiterOptions): ConcurrencyLimiter {
  if (typeof options !== 'object' || options === null) throw new InvalidOptionError('options are required');
  option.knownKeys('createConcurrencyLimiter', options, [
    'name',
    'limit',
    'leaseMs',
    'store',
    'clock',
    'metrics',
    'onStoreError',
    'storeTimeoutMs',
    'storeRetryAfterMs',
    'maxKeyLength',
  ]);
  const name = option.name('name', options.name, 64);
  const limit = option.integer('limit', options.limit, 1, MAX_LIMIT);
  const leaseMs = option.integer('leaseMs', options.leaseMs, 1, 86_400_000);
  const clock = options.clock ?? systemClock;
  const store = options.store ?? createMemoryRateLimitStore({ clock });
  const onStoreError = option.oneOf('onStoreError', options.onStoreError ?? 'fail-open', [
    'fail-open',
    'fail-closed',
  ]);
  const guard = createStoreGuard(
    clock,
    option.integer('storeTimeoutMs', options.storeTimeoutMs ?? 50, 1, 60_000),
    option.integer('storeRetryAfterMs', options.storeRetryAfterMs ?? 1000, 0, 3_600_000),
  );
  const maxKeyLength = option.integer('maxKeyLength', options.maxKeyLength ?? 256, 1, 65_536);
  const requests = (options.metrics ?? noopMetrics).counter('ratelimit.requests', {
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
        const allowed = onStoreError === 'fail-open';
        return { allowed, limit, inUse: 0, retryAfterMs: allowed ? 0 : 1000, reason: 'store-error' };
      }
      const r = outcome.value;
      count(r.allowed ? 'allowed' : 'rejected');
      if (!r.allowed || r.leaseId === undefined) {
        return { allowed: false, limit, inUse: r.inUse, retryAfterMs: r.retryAfterMs, reason: 'limit' };
      }
      const leaseHandle = { ...handle, leaseId: r.leaseId };
      let expiresAt = r.expiresAtMs ?? r.nowMs + leaseMs;
      const lease: Lease = {
        key,
        leaseId: r.leaseId,
        get expiresAt() {
          return expiresAt;
        },
        async release() {
          const released = await guard.run(() => store.releaseLease(leaseHandle));
          if (!released.ok)
            throw new StoreError(`release of a ${name} lease failed`, { cause: released.error });
          return released.value;
        },
        async extend(extendMs = leaseMs) {
          argument.integer('leaseMs', extendMs, 1, 86_400_000);
          const extended = await guard.run(() => store.extendLease(leaseHandle, extendMs));
          if (!extended.ok)
            throw new StoreError(`extend of a ${name} lease failed`, { cause: extended.error });
          if (extended.value === undefined) return false;
          expiresAt = extended.value;
          return true;
        },
      };
      return { allowed: true, lease, limit, inUse: r.inUse, retryAfterMs: 0, reason: 'ok' };
    },
  };
}
