/**
 * The concurrency limiter: at most `limit` requests in flight per key. Each admitted request holds a lease
 * with a TTL, so a holder that crashes without releasing frees its slot when the lease runs out. The store
 * is guarded like the rate limiter's (store-guard.ts); when it does not answer, the default insurance is a
 * per-process memory store of `max(1, floor(limit × share))` slots per key, whose leases stay in it.
 */
import type { Clock } from '../core/clock.js';
import { InvalidArgumentError, StoreError } from '../core/errors.js';
import type { Metrics } from '../core/metrics.js';
import { argument } from '../core/validate.js';
import { insuranceQuota } from './insurance.js';
import { circuitCounter, insuranceCounter } from './limiter-metrics.js';
import { insuranceShare, MAX_LEASE_MS, parseConcurrencyLimiterOptions } from './limiter-options.js';
import { createMemoryRateLimitStore } from './memory.js';
import type { LeaseHandle, LeaseRequest, LeaseResponse, RateLimitStore } from './store.js';
import { createStoreGuard, type StoreGuard, unguarded } from './store-guard.js';
import type { InsuranceOptions } from './types.js';

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
  /**
   * When the store does not answer: `'insurance'` (default) takes a lease in a per-process memory store of
   * `max(1, floor(limit × insurance.share))` slots per key; `'fail-open'` lets the request run without a
   * lease; `'fail-closed'` refuses it.
   */
  readonly onStoreError?: 'insurance' | 'fail-open' | 'fail-closed';
  /** Only with `onStoreError: 'insurance'`. Default `{ share: 0.1 }`. */
  readonly insurance?: InsuranceOptions;
  /** Default 50 ms. */
  readonly storeTimeoutMs?: number;
  /** Circuit open time after 3 consecutive failures. Default 1000 ms; 0 disables the circuit. */
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
  /** The store did not decide: the insurance store, fail-open or fail-closed did. */
  readonly degraded: boolean;
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

/** The answer of a store (`degraded` false) or of the insurance store (true) to one lease request. */
function leaseAnswer(
  store: RateLimitStore,
  guard: StoreGuard,
  request: LeaseRequest,
  r: LeaseResponse,
  degraded: boolean,
): AcquireResult {
  const { limit, leaseMs } = request;
  if (!r.allowed || r.leaseId === undefined) {
    return { allowed: false, limit, inUse: r.inUse, retryAfterMs: r.retryAfterMs, reason: 'limit', degraded };
  }
  const handle = { limiter: request.limiter, hashTag: request.hashTag, key: request.key, leaseId: r.leaseId };
  const lease = createLease(store, guard, handle, r, leaseMs);
  return { allowed: true, lease, limit, inUse: r.inUse, retryAfterMs: 0, reason: 'ok', degraded };
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
  const guard = createStoreGuard({
    clock,
    timeoutMs: o.storeTimeoutMs,
    retryAfterMs: o.storeRetryAfterMs,
    onStateChange: circuitCounter(o.metrics, name),
  });
  const share = insuranceShare('createConcurrencyLimiter', o);
  // Insurance leases live and end in this store: release and extend never go to the real one.
  const insurance = o.onStoreError === 'insurance' ? createMemoryRateLimitStore({ clock }) : undefined;
  const insuranceLimit = insuranceQuota(limit, share);
  const countInsurance = insuranceCounter(o.metrics, name);
  const requests = o.metrics.counter('ratelimit.requests', {
    description: 'rate-limit decisions by outcome',
    unit: '{request}',
    labelNames: ['limiter', 'outcome', 'mode'],
  });
  const count = (outcome: 'allowed' | 'rejected' | 'error') =>
    requests.add(1, { limiter: name, outcome, mode: 'enforce' });

  /** The answer when the store did not give one. */
  const unanswered = async (request: LeaseRequest): Promise<AcquireResult> => {
    count('error');
    if (insurance) {
      const insured = { ...request, limit: insuranceLimit };
      // A cost above the insurance slots can never pass there: a denial, not an invalid argument.
      const r =
        request.cost > insuranceLimit
          ? { allowed: false, nowMs: clock.now(), inUse: 0, retryAfterMs: leaseMs }
          : await insurance.acquireLease(insured);
      countInsurance(r.allowed);
      return leaseAnswer(insurance, unguarded, insured, r, true);
    }
    const allowed = o.onStoreError === 'fail-open';
    const retryAfterMs = allowed ? 0 : 1000;
    return { allowed, limit, inUse: 0, retryAfterMs, reason: 'store-error', degraded: true };
  };

  return {
    name,
    async acquire(key, acquireOptions) {
      argument.key('key', key, maxKeyLength);
      const cost = acquireOptions?.cost === undefined ? 1 : acquireOptions.cost;
      if (typeof cost !== 'number' || !Number.isSafeInteger(cost) || cost < 1 || cost > limit) {
        throw new InvalidArgumentError(`\`cost\` must be an integer in 1..${limit}, got ${String(cost)}`);
      }
      const request: LeaseRequest = { limiter: name, hashTag: `${name}:${key}`, key, limit, cost, leaseMs };
      const outcome = await guard.run(() => store.acquireLease(request));
      if (!outcome.ok) return unanswered(request);
      count(outcome.value.allowed ? 'allowed' : 'rejected');
      return leaseAnswer(store, guard, request, outcome.value, false);
    },
  };
}
