/**
 * The store path of one rate limiter: resolve the key, answer from the local block cache when it can,
 * ask the store (synchronously for an in-process store; otherwise through the guard's deadline and
 * circuit), time the call, and build the result. `undefined` means the store failed or answered
 * something malformed: the limiter then applies `onStoreError`.
 */
import type { Clock } from '../core/clock.js';
import { argument } from '../core/validate.js';
import { type BlockCache, cachedBlock, rememberBlocks } from './block-cache.js';
import { clockError, isClockReading } from './clock-check.js';
import { createKeyResolver, type NormalizedPolicy, type ResolvedKey, wellFormedKey } from './keys.js';
import { toResult } from './limiter-result.js';
import {
  type DecideRequest,
  type DecideResponse,
  decideIntoOf,
  type PolicyCheck,
  type RateLimitStore,
} from './store.js';
import type { Outcomes, StoreGuard } from './store-guard.js';
import type { LimitKey, LimitResult } from './types.js';

/** What the store path needs of its limiter. */
export interface DecisionPathOptions {
  readonly name: string;
  readonly policies: readonly NormalizedPolicy[];
  readonly store: RateLimitStore;
  readonly clock: Clock;
  readonly guard: StoreGuard;
  readonly blockCache: BlockCache;
  readonly maxKeyLength: number;
  /** Records one store call's duration in ms; undefined when nobody listens (no timing at all). */
  readonly recordDurationMs: ((ms: number) => void) | undefined;
}

/** A decision of `cost` units: charged in `consume` mode, only reported in `peek` mode. */
export type Decide = (
  key: LimitKey,
  cost: number,
  mode: DecideRequest['mode'],
) => LimitResult | undefined | Promise<LimitResult | undefined>;

const WITH_GLOBAL = { includeGlobal: true } as const;
const WITHOUT_GLOBAL = { includeGlobal: false } as const;

/**
 * Reusable check, resolved key and request for one-policy limiters on an in-process store. Safe because
 * `decideSync` answers before the next call starts and keeps nothing of the request but the key string.
 */
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
      check.key = wellFormedKey(argument.key('key', key, maxKeyLength), 'key');
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
 * Builds the store path of one limiter: `decide`, and `resolveForReset`, the keys `reset` clears (every
 * non-global policy's, under the same hash tags `decide` uses).
 */
export function createDecisionPath(options: DecisionPathOptions): {
  readonly decide: Decide;
  readonly resolveForReset: (key: LimitKey) => ResolvedKey;
} {
  const { name, policies, store, clock, guard, blockCache, recordDurationMs } = options;
  // An in-process store answers synchronously and cannot hang: no deadline, no promise round trips.
  const decideSync = store.decideSync?.bind(store);
  const resolve = createKeyResolver(name, policies, options.maxKeyLength, decideSync === undefined);
  const hasPenalties = policies.some((p) => p.blockDurationMs > 0);
  const first = policies[0] as NormalizedPolicy;
  // The hot case, one policy by the plain key on an in-process store, reuses its objects call to call.
  const scratch =
    decideSync && policies.length === 1 && first.by === 'key'
      ? createScratch(name, first, options.maxKeyLength)
      : undefined;

  /** Turns a store answer into a result and remembers blocked keys; undefined for a malformed answer. */
  const finish = (resolved: ResolvedKey, response: DecideResponse): LimitResult | undefined => {
    // Decided at a time that is no time (NaN fails every comparison, which reads as "allowed"): malformed.
    if (!isClockReading(response.nowMs)) return undefined;
    let result: LimitResult;
    try {
      result = toResult(resolved, response);
    } catch {
      return undefined; // a malformed store answer is a store failure
    }
    if (hasPenalties) rememberBlocks(blockCache, resolved, result, clock.now());
    return result;
  };

  const requestOf = (resolved: ResolvedKey, cost: number, mode: DecideRequest['mode']): DecideRequest =>
    scratch?.owns(resolved)
      ? scratch.request(cost, mode)
      : { limiter: name, hashTag: resolved.hashTag, checks: resolved.checks, cost, mode };

  const askSync = (sync: NonNullable<typeof decideSync>, resolved: ResolvedKey, request: DecideRequest) => {
    const startedAt = recordDurationMs ? performance.now() : 0;
    let response: DecideResponse;
    try {
      response = sync(request);
    } catch {
      return undefined;
    }
    recordDurationMs?.(performance.now() - startedAt);
    // An in-process store decides at its clock's reading: a bad one is the `clock` option's fault, so a
    // typed error, not a store failure that fail-open would turn into an allow.
    if (!isClockReading(response.nowMs)) throw clockError('createRateLimiter', response.nowMs);
    return finish(resolved, response);
  };

  const storeDecide = (request: DecideRequest) => store.decide(request);
  // A request holds the checks and hash tag of its resolved key: it finishes its own answer.
  const finishing: Outcomes<DecideRequest, DecideResponse, LimitResult | undefined> = {
    value: (request, response) => finish(request, response),
    error: () => undefined,
  };
  const askGuarded = (resolved: ResolvedKey, request: DecideRequest) => {
    const into = decideIntoOf(store);
    if (!recordDurationMs) {
      // The store answers into the guard, which resolves to the result: no promise, `then` or outcome
      // object between the store and the limiter.
      if (into) return guard.runMapped(into.into, request, finishing);
      return guard
        .runWith(storeDecide, request)
        .then((outcome) => (outcome.ok ? finish(resolved, outcome.value) : undefined));
    }
    const startedAt = performance.now();
    const guarded = into ? guard.runInto(into.into, request) : guard.runWith(storeDecide, request);
    return guarded.then((outcome) => {
      recordDurationMs(performance.now() - startedAt);
      return outcome.ok ? finish(resolved, outcome.value) : undefined;
    });
  };

  const decide: Decide = (key, cost, mode) => {
    const resolved = scratch && typeof key === 'string' ? scratch.fill(key) : resolve(key, WITH_GLOBAL);
    if (hasPenalties && mode === 'consume') {
      const cached = cachedBlock(blockCache, resolved, clock.now());
      if (cached) return cached;
    }
    const request = requestOf(resolved, cost, mode);
    return decideSync ? askSync(decideSync, resolved, request) : askGuarded(resolved, request);
  };
  return { decide, resolveForReset: (key) => resolve(key, WITHOUT_GLOBAL) };
}
