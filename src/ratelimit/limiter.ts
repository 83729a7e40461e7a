/**
 * createRateLimiter: validates options and calls, resolves keys, asks the store, and turns store failures
 * into the configured `onStoreError` decision. A denial is a result; only bad input throws.
 */
import { type Clock, systemClock } from '../core/clock.js';
import { InvalidArgumentError, InvalidOptionError, StoreError } from '../core/errors.js';
import { type Metrics, noopMetrics } from '../core/metrics.js';
import { argument, option } from '../core/validate.js';
import { isAlgorithm } from './algorithms.js';
import { createKeyResolver, type NormalizedPolicy, type ResolvedKey } from './keys.js';
import { createMemoryRateLimitStore } from './memory.js';
import type { DecideRequest, DecideResponse, PolicyCheck, RateLimitStore } from './store.js';
import { createStoreGuard } from './store-guard.js';
import type {
  LimitKey,
  LimitOptions,
  LimitResult,
  PolicyOptions,
  PolicyResult,
  RateLimiter,
  RateLimiterOptions,
  StoreErrorPolicy,
} from './types.js';

const OPTION_KEYS = [
  'name',
  'algorithm',
  'policies',
  'store',
  'clock',
  'metrics',
  'onStoreError',
  'storeTimeoutMs',
  'storeRetryAfterMs',
  'mode',
  'maxKeyLength',
  'localBlockCacheSize',
];

function normalizePolicies(options: RateLimiterOptions): NormalizedPolicy[] {
  if ((options.algorithm === undefined) === (options.policies === undefined)) {
    throw new InvalidOptionError('give exactly one of `algorithm` or `policies`');
  }
  const given: readonly PolicyOptions[] = options.policies ?? [
    { name: options.name, algorithm: options.algorithm as NonNullable<RateLimiterOptions['algorithm']> },
  ];
  if (!Array.isArray(given) || given.length === 0 || given.length > 16) {
    throw new InvalidOptionError('`policies` must be an array of 1..16 policies');
  }
  const names = new Set<string>();
  return given.map((p, i) => {
    if (typeof p !== 'object' || p === null)
      throw new InvalidOptionError(`\`policies[${i}]\` must be an object`);
    option.knownKeys(`policies[${i}]`, p, ['name', 'algorithm', 'by', 'blockDurationMs']);
    const name = option.name(`policies[${i}].name`, p.name, 64);
    if (names.has(name)) throw new InvalidOptionError(`duplicate policy name \`${name}\``);
    names.add(name);
    if (!isAlgorithm(p.algorithm)) {
      throw new InvalidOptionError(
        `\`policies[${i}].algorithm\` must come from fixedWindow(), tokenBucket(), ...`,
      );
    }
    return {
      name,
      algorithm: p.algorithm,
      by: option.name(`policies[${i}].by`, p.by ?? 'key', 64),
      blockDurationMs: option.integer(
        `policies[${i}].blockDurationMs`,
        p.blockDurationMs ?? 0,
        0,
        366 * 86_400_000,
      ),
    };
  });
}

function validateStoreErrorPolicy(value: unknown): StoreErrorPolicy {
  if (value === 'fail-open' || value === 'fail-closed') return value;
  if (typeof value === 'object' && value !== null && 'fallback' in value) {
    const fallback = (value as { fallback: unknown }).fallback as RateLimiter | undefined;
    if (fallback && typeof fallback.limit === 'function' && typeof fallback.peek === 'function')
      return { fallback };
  }
  throw new InvalidOptionError(
    "`onStoreError` must be 'fail-open', 'fail-closed' or { fallback: RateLimiter }",
  );
}

/** A small bounded map of key → blocked-until (ms); oldest insertions go first when full. */
function createBlockCache(size: number) {
  const blocked = new Map<string, number>();
  return {
    get(key: string, nowMs: number): number | undefined {
      const until = blocked.get(key);
      if (until === undefined) return undefined;
      if (until > nowMs) return until;
      blocked.delete(key);
      return undefined;
    },
    set(key: string, untilMs: number) {
      if (size === 0) return;
      blocked.delete(key);
      blocked.set(key, untilMs);
      if (blocked.size > size) blocked.delete(blocked.keys().next().value as string);
    },
    delete: (key: string) => blocked.delete(key),
  };
}

/** Reusable check, resolved key and request for one-policy limiters on an in-process store. */
function createScratch(limiter: string, policy: NormalizedPolicy, maxKeyLength: number) {
  const check: { -readonly [K in keyof PolicyCheck]: PolicyCheck[K] } = {
    policy: policy.name,
    key: '',
    algorithm: policy.algorithm,
    blockDurationMs: policy.blockDurationMs,
  };
  const resolved: ResolvedKey = { hashTag: limiter, checks: [check] };
  const request: { -readonly [K in keyof DecideRequest]: DecideRequest[K] } = {
    limiter,
    hashTag: limiter,
    checks: resolved.checks,
    cost: 1,
    mode: 'consume',
  };
  return {
    fill(key: string): ResolvedKey {
      check.key = argument.key('key', key, maxKeyLength);
      return resolved;
    },
    owns: (candidate: ResolvedKey) => candidate === resolved,
    request(cost: number, mode: DecideRequest['mode']): DecideRequest {
      request.cost = cost;
      request.mode = mode;
      return request;
    },
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
  if (typeof options !== 'object' || options === null) throw new InvalidOptionError('options are required');
  option.knownKeys('createRateLimiter', options, OPTION_KEYS);
  const name = option.name('name', options.name, 64);
  const policies = normalizePolicies(options);
  const clock: Clock = options.clock ?? systemClock;
  const store: RateLimitStore = options.store ?? createMemoryRateLimitStore({ clock });
  if (typeof store.decide !== 'function')
    throw new InvalidOptionError('`store` must implement RateLimitStore');
  const metrics: Metrics = options.metrics ?? noopMetrics;
  const onStoreError = validateStoreErrorPolicy(options.onStoreError ?? 'fail-open');
  const storeTimeoutMs = option.integer('storeTimeoutMs', options.storeTimeoutMs ?? 50, 1, 60_000);
  const storeRetryAfterMs = option.integer(
    'storeRetryAfterMs',
    options.storeRetryAfterMs ?? 1000,
    0,
    3_600_000,
  );
  const mode = option.oneOf('mode', options.mode ?? 'enforce', ['enforce', 'shadow']);
  const maxKeyLength = option.integer('maxKeyLength', options.maxKeyLength ?? 256, 1, 65_536);
  const blockCache = createBlockCache(
    option.integer('localBlockCacheSize', options.localBlockCacheSize ?? 10_000, 0),
  );

  const guard = createStoreGuard(clock, storeTimeoutMs, storeRetryAfterMs);
  // An in-process store answers synchronously and cannot hang: no deadline, no promise round trips.
  const decideSync = store.decideSync?.bind(store);
  const resolve = createKeyResolver(name, policies, maxKeyLength, decideSync === undefined);
  const timed = metrics !== noopMetrics;
  const maxCost = Math.min(...policies.map((p) => p.algorithm.quota));
  const firstPolicy = policies[0] as NormalizedPolicy;

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

  const validateCost = (limitOptions: LimitOptions | undefined): number => {
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

  const toResult = (resolved: ResolvedKey, response: DecideResponse): LimitResult => {
    const results: PolicyResult[] = [];
    let allowed = true;
    let delayMs = 0;
    let deciding: PolicyResult | undefined;
    const checks = resolved.checks;
    for (let i = 0; i < checks.length; i++) {
      const check = checks[i] as (typeof checks)[number];
      const d = response.decisions[i];
      if (!d) throw new StoreError('store answered fewer decisions than asked');
      const r: PolicyResult = {
        policy: check.policy,
        allowed: d.allowed,
        limit: check.algorithm.quota,
        remaining: d.remaining,
        resetAt: response.nowMs + d.resetAfterMs,
        resetAfterMs: d.resetAfterMs,
        retryAfterMs: d.retryAfterMs,
        windowMs: check.algorithm.windowMs,
        blocked: d.blocked,
      };
      results.push(r);
      if (d.delayMs > delayMs) delayMs = d.delayMs;
      if (!r.allowed) {
        // The denying policy with the longest wait decides.
        if (allowed || (deciding && r.retryAfterMs > deciding.retryAfterMs)) deciding = r;
        allowed = false;
      } else if (allowed && (!deciding || r.remaining < deciding.remaining)) {
        deciding = r; // among passing policies, the one with least left
      }
    }
    if (!deciding) throw new StoreError('store answered no decisions');
    return {
      allowed,
      limit: deciding.limit,
      remaining: deciding.remaining,
      resetAt: deciding.resetAt,
      retryAfterMs: allowed ? 0 : deciding.retryAfterMs,
      delayMs: allowed ? delayMs : 0,
      policy: deciding.policy,
      policies: results,
      reason: allowed ? 'ok' : deciding.blocked ? 'blocked' : 'limit',
      shadowDenied: false,
      degraded: false,
    };
  };

  const degradedResult = (allowed: boolean): LimitResult => ({
    allowed,
    limit: firstPolicy.algorithm.quota,
    remaining: 0,
    resetAt: clock.now() + storeRetryAfterMs,
    retryAfterMs: allowed ? 0 : Math.max(1, storeRetryAfterMs),
    delayMs: 0,
    policy: firstPolicy.name,
    policies: [],
    reason: 'store-error',
    shadowDenied: false,
    degraded: true,
  });

  const hasPenalties = policies.some((p) => p.blockDurationMs > 0);
  const locallyBlocked = (resolved: ResolvedKey): LimitResult | undefined => {
    if (!hasPenalties) return undefined;
    const nowMs = clock.now();
    for (const check of resolved.checks) {
      if (check.blockDurationMs === 0) continue;
      const untilMs = blockCache.get(`${check.policy}:${check.key}`, nowMs);
      if (untilMs === undefined) continue;
      const blocked: PolicyResult = {
        policy: check.policy,
        allowed: false,
        limit: check.algorithm.quota,
        remaining: 0,
        resetAt: untilMs,
        resetAfterMs: untilMs - nowMs,
        retryAfterMs: untilMs - nowMs,
        windowMs: check.algorithm.windowMs,
        blocked: true,
      };
      return {
        ...blocked,
        delayMs: 0,
        policies: [blocked],
        reason: 'blocked',
        shadowDenied: false,
        degraded: false,
      };
    }
    return undefined;
  };

  const durationLabels = { limiter: name };
  const outcomeLabels = {
    allowed: { limiter: name, outcome: 'allowed', mode },
    rejected: { limiter: name, outcome: 'rejected', mode },
    error: { limiter: name, outcome: 'error', mode },
  } as const;
  const count = (outcome: 'allowed' | 'rejected' | 'error') => requests.add(1, outcomeLabels[outcome]);

  /** Turns a store answer into a result and remembers blocked keys; undefined for a malformed answer. */
  const finish = (resolved: ResolvedKey, response: DecideResponse): LimitResult | undefined => {
    let result: LimitResult;
    try {
      result = toResult(resolved, response);
    } catch {
      return undefined; // a malformed store answer is a store failure
    }
    for (let i = 0; hasPenalties && i < result.policies.length; i++) {
      const p = result.policies[i] as PolicyResult;
      const check = resolved.checks[i];
      if (p.blocked && check) blockCache.set(`${check.policy}:${check.key}`, clock.now() + p.retryAfterMs);
    }
    return result;
  };

  /**
   * One policy on an in-process store, the hot case: the check and the request are reused from call to
   * call instead of allocated, which is safe because `decideSync` answers before the next call starts and
   * keeps nothing of the request but the key string.
   */
  const scratch =
    decideSync && policies.length === 1 && firstPolicy.by === 'key'
      ? createScratch(name, firstPolicy, maxKeyLength)
      : undefined;

  /**
   * The store's decision, or undefined when the store failed (the caller applies `onStoreError`).
   * In-process stores answer synchronously, which spares the promise round trips on the hot path.
   */
  const decide = (
    key: LimitKey,
    cost: number,
    decideMode: 'consume' | 'peek',
  ): LimitResult | undefined | Promise<LimitResult | undefined> => {
    const resolved =
      scratch && typeof key === 'string' ? scratch.fill(key) : resolve(key, { includeGlobal: true });
    const cached = decideMode === 'consume' ? locallyBlocked(resolved) : undefined;
    if (cached) return cached;
    const request = scratch?.owns(resolved)
      ? scratch.request(cost, decideMode)
      : {
          limiter: name,
          hashTag: resolved.hashTag,
          checks: resolved.checks,
          cost,
          mode: decideMode,
        };
    const startedAt = timed ? performance.now() : 0;
    if (decideSync) {
      let response: DecideResponse;
      try {
        response = decideSync(request);
      } catch {
        return undefined;
      }
      if (timed) storeDuration.record((performance.now() - startedAt) / 1000, durationLabels);
      return finish(resolved, response);
    }
    return guard
      .run(() => store.decide(request))
      .then((outcome) => {
        if (timed) storeDuration.record((performance.now() - startedAt) / 1000, durationLabels);
        return outcome.ok ? finish(resolved, outcome.value) : undefined;
      });
  };

  const onFailure = async (key: LimitKey, limitOptions: LimitOptions | undefined, peek: boolean) => {
    if (typeof onStoreError === 'object') {
      const fallback = peek
        ? await onStoreError.fallback.peek(key)
        : await onStoreError.fallback.limit(key, limitOptions);
      return { ...fallback, degraded: true };
    }
    return degradedResult(onStoreError === 'fail-open');
  };

  return {
    name,
    async limit(key, limitOptions) {
      const cost = validateCost(limitOptions);
      const pending = decide(key, cost, 'consume');
      const result = pending instanceof Promise ? await pending : pending;
      if (result === undefined) {
        count('error');
        return onFailure(key, limitOptions, false);
      }
      count(result.allowed ? 'allowed' : 'rejected');
      if (mode === 'shadow' && !result.allowed) return { ...result, allowed: true, shadowDenied: true };
      return result;
    },
    async peek(key) {
      const pending = decide(key, 1, 'peek');
      return (pending instanceof Promise ? await pending : pending) ?? onFailure(key, undefined, true);
    },
    async reset(key) {
      const resolved = resolve(key, { includeGlobal: false });
      for (const check of resolved.checks) blockCache.delete(`${check.policy}:${check.key}`);
      const outcome = await guard.run(() =>
        store.reset({ limiter: name, hashTag: resolved.hashTag, checks: resolved.checks }),
      );
      if (!outcome.ok) throw new StoreError(`reset of limiter ${name} failed`, { cause: outcome.error });
    },
  };
}
