/**
 * createRateLimiter: parses options, compiles policies, and composes the parts: the store path
 * (limiter-decide.ts), result building (limiter-result.ts), the local block cache (block-cache.ts) and the
 * store guard, and the insurance limiter (insurance.ts). Here: counting outcomes, shadow mode and the
 * `onStoreError` decision. A denial is a result; only bad input throws.
 */
import { InvalidArgumentError, StoreError } from '../core/errors.js';
import { type Metrics, noopMetrics } from '../core/metrics.js';
import { createBlockCache } from './block-cache.js';
import { checkClockAtConstruction } from './clock-check.js';
import { createInsurance, type Insurance } from './insurance.js';
import type { NormalizedPolicy } from './keys.js';
import { createDecisionPath } from './limiter-decide.js';
import { circuitCounter, insuranceCounter } from './limiter-metrics.js';
import {
  compilePolicies,
  insuranceShare,
  type ParsedRateLimiterOptions,
  parseRateLimiterOptions,
} from './limiter-options.js';
import { degradedResult } from './limiter-result.js';
import { createMemoryRateLimitStore } from './memory.js';
import { createStoreGuard } from './store-guard.js';
import type { LimitKey, LimitOptions, LimitResult, RateLimiter, RateLimiterOptions } from './types.js';

/** The cost of a call: an integer in 1..`maxCost` (the smallest quota: more could never pass). */
function costValidator(maxCost: number) {
  return (limitOptions: LimitOptions | undefined): number => {
    if (limitOptions !== undefined && (typeof limitOptions !== 'object' || limitOptions === null)) {
      throw new InvalidArgumentError('`options` must be an object');
    }
    const cost = limitOptions?.cost === undefined ? 1 : limitOptions.cost;
    if (typeof cost !== 'number' || !Number.isSafeInteger(cost) || cost < 1) {
      throw new InvalidArgumentError(`\`cost\` must be an integer >= 1, got ${String(cost)}`);
    }
    if (cost > maxCost) {
      throw new InvalidArgumentError(
        `\`cost\` ${cost} is above what this limiter can ever admit (${maxCost})`,
      );
    }
    return cost;
  };
}

/** The limiter's two instruments, with their label sets built once. */
function limiterMetrics(metrics: Metrics, name: string, mode: ParsedRateLimiterOptions['mode']) {
  const requests = metrics.counter('ratelimit.requests', {
    description: 'rate-limit decisions by outcome',
    unit: '{request}',
    labelNames: ['limiter', 'outcome', 'mode'],
  });
  const storeDuration = metrics.histogram('ratelimit.store.duration', {
    description: 'latency of one rate-limit store call',
    unit: 's',
    labelNames: ['limiter'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1],
  });
  const durationLabels = { limiter: name };
  const outcomeLabels = {
    allowed: { limiter: name, outcome: 'allowed', mode },
    rejected: { limiter: name, outcome: 'rejected', mode },
    error: { limiter: name, outcome: 'error', mode },
  } as const;
  return {
    count: (outcome: 'allowed' | 'rejected' | 'error') => requests.add(1, outcomeLabels[outcome]),
    // No listener, no timing: the no-op recorder costs no performance.now() on the hot path.
    recordDurationMs:
      metrics === noopMetrics ? undefined : (ms: number) => storeDuration.record(ms / 1000, durationLabels),
  };
}

/** What a limiter answers when the store did not: its `onStoreError` decision. */
type FailureHandler = (
  key: LimitKey,
  cost: number,
  limitOptions: LimitOptions | undefined,
  peek: boolean,
) => LimitResult | Promise<LimitResult>;

/** The `onStoreError` decision: the insurance limiter, fail-open, fail-closed, or the fallback's answer. */
function failureHandler(
  o: ParsedRateLimiterOptions,
  first: NormalizedPolicy,
  insurance: Insurance | undefined,
): FailureHandler {
  const policy = o.onStoreError;
  if (insurance) {
    const counted = insuranceCounter(o.metrics, o.name);
    return (key, cost, _limitOptions, peek) => {
      if (peek) return insurance.decide(key, 1, 'peek');
      const result = insurance.decide(key, cost, 'consume');
      counted(result.allowed);
      return result;
    };
  }
  const figures = { name: first.name, quota: first.algorithm.quota };
  return async (key, _cost, limitOptions, peek) => {
    if (typeof policy === 'object') {
      const fallback = peek
        ? await policy.fallback.peek(key)
        : await policy.fallback.limit(key, limitOptions);
      return { ...fallback, degraded: true };
    }
    return degradedResult(policy === 'fail-open', figures, o.clock.now(), o.storeRetryAfterMs);
  };
}

/**
 * Creates a rate limiter.
 *
 * @example
 * ```ts
 * const limiter = createRateLimiter({
 *   name: 'api',
 *   policies: [
 *     { name: 'per-user', algorithm: tokenBucket({ capacity: 20, refillTokens: 10, refillIntervalMs: 1000 }) },
 *     { name: 'global', by: 'global', algorithm: fixedWindow({ limit: 1000, windowMs: 1000 }) },
 *   ],
 * });
 * const { allowed, retryAfterMs } = await limiter.limit(userId);
 * ```
 */
export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const o = parseRateLimiterOptions(options);
  const { name, clock, mode } = o;
  checkClockAtConstruction('createRateLimiter', clock);
  const policies = compilePolicies(o);
  const store = o.store ?? createMemoryRateLimitStore({ clock });
  const guard = createStoreGuard({
    clock,
    timeoutMs: o.storeTimeoutMs,
    retryAfterMs: o.storeRetryAfterMs,
    onStateChange: circuitCounter(o.metrics, name),
  });
  const blockCache = createBlockCache(o.localBlockCacheSize);
  const { count, recordDurationMs } = limiterMetrics(o.metrics, name, mode);
  const validateCost = costValidator(Math.min(...policies.map((p) => p.algorithm.quota)));
  const share = insuranceShare('createRateLimiter', o);
  const insurance =
    o.onStoreError === 'insurance'
      ? createInsurance({ name, policies, share, clock, maxKeyLength: o.maxKeyLength })
      : undefined;
  const onFailure = failureHandler(o, policies[0] as NormalizedPolicy, insurance);
  const { decide, resolveForReset } = createDecisionPath({
    name,
    policies,
    store,
    clock,
    guard,
    blockCache,
    maxKeyLength: o.maxKeyLength,
    recordDurationMs,
  });

  const shadowed = (result: LimitResult): LimitResult =>
    mode === 'shadow' && !result.allowed ? { ...result, allowed: true, shadowDenied: true } : result;
  const settle = (result: LimitResult): LimitResult => {
    count(result.allowed ? 'allowed' : 'rejected');
    return shadowed(result);
  };

  /** A decision's answer: the store's, or the `onStoreError` decision when the store failed. */
  const onStoreFailure = async (key: LimitKey, cost: number, limitOptions: LimitOptions | undefined) => {
    count('error');
    const answer = await onFailure(key, cost, limitOptions, false);
    // An insurance denial is a limit like any other: shadow mode lets it through (and says so).
    return insurance ? shadowed(answer) : answer;
  };
  const answer = (
    result: LimitResult | undefined,
    key: LimitKey,
    cost: number,
    limitOptions: LimitOptions | undefined,
  ): LimitResult | Promise<LimitResult> =>
    result !== undefined ? settle(result) : onStoreFailure(key, cost, limitOptions);

  return {
    name,
    limit(key, limitOptions) {
      // Not an async function: on the store path the decision's own promise carries the answer (no
      // async frame and second promise per call). Bad input still rejects, never throws.
      try {
        const cost = validateCost(limitOptions);
        const pending = decide(key, cost, 'consume');
        if (!(pending instanceof Promise)) return Promise.resolve(answer(pending, key, cost, limitOptions));
        return pending.then((result) => answer(result, key, cost, limitOptions));
      } catch (error) {
        return Promise.reject(error);
      }
    },
    async peek(key) {
      const pending = decide(key, 1, 'peek');
      return (pending instanceof Promise ? await pending : pending) ?? onFailure(key, 1, undefined, true);
    },
    async reset(key) {
      const resolved = resolveForReset(key);
      for (const check of resolved.checks) blockCache.delete(`${check.policy}:${check.key}`);
      await insurance?.reset(key);
      const outcome = await guard.run(() =>
        store.reset({ limiter: name, hashTag: resolved.hashTag, checks: resolved.checks }),
      );
      if (!outcome.ok) throw new StoreError(`reset of limiter ${name} failed`, { cause: outcome.error });
    },
  };
}
