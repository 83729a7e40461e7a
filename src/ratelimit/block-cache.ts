/**
 * The limiter's local cache of penalty blocks: a key blocked by the store is answered from here until its
 * block ends, so a brute-force client costs no store call. Bounded; the oldest insertion goes first.
 */
import type { ResolvedKey } from './keys.js';
import type { LimitResult, PolicyResult } from './types.js';

/** A small bounded map of `policy:key` → blocked-until (epoch ms). `size` 0 disables it. */
export function createBlockCache(size: number) {
  const blocked = new Map<string, number>();
  return {
    get(key: string, nowMs: number): number | undefined {
      const until = blocked.get(key);
      if (until === undefined) return undefined;
      if (until > nowMs) return until;
      blocked.delete(key);
      return undefined;
    },
    set(key: string, untilMs: number): void {
      if (size === 0) return;
      blocked.delete(key);
      blocked.set(key, untilMs);
      if (blocked.size > size) blocked.delete(blocked.keys().next().value as string);
    },
    delete: (key: string) => blocked.delete(key),
  };
}

/** The cache of one limiter. */
export type BlockCache = ReturnType<typeof createBlockCache>;

/** The `blocked` result of a key found in the cache, blocked until `untilMs`. */
function blockedResult(check: ResolvedKey['checks'][number], untilMs: number, nowMs: number): LimitResult {
  const blocked: PolicyResult = {
    policy: check.policy,
    allowed: false,
    limit: check.algorithm.quota,
    remaining: 0,
    resetAtMs: untilMs,
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

/** The cached block of the first blocked check of `resolved`, if any. */
export function cachedBlock(
  cache: BlockCache,
  resolved: ResolvedKey,
  nowMs: number,
): LimitResult | undefined {
  for (const check of resolved.checks) {
    if (check.blockDurationMs === 0) continue;
    const untilMs = cache.get(`${check.policy}:${check.key}`, nowMs);
    if (untilMs !== undefined) return blockedResult(check, untilMs, nowMs);
  }
  return undefined;
}

/** Remembers the keys `result` reports as blocked, until their block ends. */
export function rememberBlocks(
  cache: BlockCache,
  resolved: ResolvedKey,
  result: LimitResult,
  nowMs: number,
): void {
  for (let i = 0; i < result.policies.length; i++) {
    const p = result.policies[i] as PolicyResult;
    const check = resolved.checks[i];
    if (p.blocked && check) cache.set(`${check.policy}:${check.key}`, nowMs + p.retryAfterMs);
  }
}
