/**
 * The insurance limiter: what `onStoreError: 'insurance'` answers with when the store did not (error,
 * missed deadline, open circuit). A per-process memory store with the limiter's own policies, dimensions
 * and penalties, each algorithm scaled to `share` of its quota and rate (algorithms.ts), decided by the
 * same decision path and engine as the memory store, so it is exact. docs/ratelimit.md, "Failure modes".
 */
import type { Clock } from '../core/clock.js';
import { InvalidOptionError, isBackendPatternsError } from '../core/errors.js';
import { optionError } from '../core/options.js';
import { scaledAlgorithm } from './algorithms.js';
import { createBlockCache } from './block-cache.js';
import type { NormalizedPolicy } from './keys.js';
import { createDecisionPath } from './limiter-decide.js';
import { degradedResult } from './limiter-result.js';
import { createMemoryRateLimitStore } from './memory.js';
import { unguarded } from './store-guard.js';
import type { LimitKey, LimitResult } from './types.js';

/** Default `insurance.share`: a fleet of up to 10 processes stays within the limit during an outage. */
export const DEFAULT_INSURANCE_SHARE = 0.1;

/** `insurance.share`: a number in (0, 1]. */
export function checkShare(value: unknown, path: string, owner: string): number {
  if (typeof value !== 'number' || !(value > 0 && value <= 1)) {
    throw optionError(
      owner,
      path,
      'a number in (0, 1] (the share of each quota one process may admit)',
      value,
    );
  }
  return value;
}

/** The insurance quota of a quota: `max(1, floor(quota × share))` (what the docs' bound uses). */
export const insuranceQuota = (quota: number, share: number): number =>
  share === 1 ? quota : Math.max(1, Math.floor(quota * share));

/** What the insurance limiter of one rate limiter needs. */
export interface InsuranceSetup {
  readonly name: string;
  readonly policies: readonly NormalizedPolicy[];
  readonly share: number;
  readonly clock: Clock;
  readonly maxKeyLength: number;
}

/** The insurance limiter of one rate limiter. */
export interface Insurance {
  /** Decides `cost` units in memory; the result says `degraded: true`. */
  decide(key: LimitKey, cost: number, mode: 'consume' | 'peek'): LimitResult;
  /** Clears the key's insurance state (with the store's, on `reset`). */
  reset(key: LimitKey): Promise<void>;
}

function scaledPolicies(owner: string, policies: readonly NormalizedPolicy[], share: number) {
  return policies.map((p) => {
    try {
      return { ...p, algorithm: scaledAlgorithm(p.algorithm, share) };
    } catch (error) {
      if (!isBackendPatternsError(error, 'ERR_INVALID_OPTION')) throw error;
      throw new InvalidOptionError(
        `${owner}: \`insurance.share\` ${share} cannot scale policy \`${p.name}\`: ${error.message}`,
      );
    }
  });
}

/** Creates the insurance limiter of a rate limiter. */
export function createInsurance(options: InsuranceSetup): Insurance {
  const { name, clock } = options;
  const policies = scaledPolicies('createRateLimiter', options.policies, options.share);
  const store = createMemoryRateLimitStore({ clock });
  const first = policies[0] as NormalizedPolicy;
  const { decide, resolveForReset } = createDecisionPath({
    name,
    policies,
    store,
    clock,
    guard: unguarded, // never used: the memory store answers synchronously
    blockCache: createBlockCache(0), // the memory store keeps the blocks itself
    maxKeyLength: options.maxKeyLength,
    recordDurationMs: undefined,
  });
  return {
    decide(key, cost, mode) {
      const pending = decide(key, cost, mode);
      // The memory store answers synchronously and never malformed; refusing is the safe reading otherwise.
      const result = pending instanceof Promise ? undefined : pending;
      if (result === undefined) {
        return degradedResult(false, { name: first.name, quota: first.algorithm.quota }, clock.now(), 1000);
      }
      return { ...result, degraded: true };
    },
    async reset(key) {
      const resolved = resolveForReset(key);
      await store.reset({ limiter: name, hashTag: resolved.hashTag, checks: resolved.checks });
    },
  };
}
