/**
 * Backoff between queue-level retries. The same formula runs in TypeScript (thrown errors) and in Lua
 * (expired leases, see lua/shared.ts), so both kinds of failure wait alike.
 */
import type { BackoffOption, StoredBackoff } from './types.js';

/** The default: exponential from 1 s, capped at 5 min, half of each delay randomised. */
export const DEFAULT_BACKOFF: StoredBackoff = Object.freeze({
  type: 'exponential',
  delayMs: 1000,
  maxDelayMs: 300_000,
  jitter: 0.5,
});

/** The stored form of a (validated) backoff option. */
export function storeBackoff(option: BackoffOption | undefined): StoredBackoff {
  if (option === undefined) return DEFAULT_BACKOFF;
  if (typeof option === 'function') return { type: 'custom' };
  if (option.type === 'fixed') return { type: 'fixed', delayMs: option.delayMs };
  return {
    type: 'exponential',
    delayMs: option.delayMs ?? 1000,
    maxDelayMs: option.maxDelayMs ?? 300_000,
    jitter: option.jitter ?? 0.5,
  };
}

/**
 * Delay before retrying after failed attempt number `attempt` (1-based). `random` returns [0, 1).
 * A custom function's result is clamped to a finite value >= 0.
 */
export function backoffDelayMs(
  option: BackoffOption | StoredBackoff,
  attempt: number,
  error: unknown,
  random: () => number = Math.random,
): number {
  if (typeof option === 'function') {
    const ms = option(attempt, error);
    return Number.isFinite(ms) && ms > 0 ? Math.floor(ms) : 0;
  }
  if (option.type === 'custom') return 0;
  if (option.type === 'fixed') return option.delayMs;
  const base = Math.min(option.maxDelayMs ?? 300_000, (option.delayMs ?? 1000) * 2 ** (attempt - 1));
  return Math.floor(base * (1 - (option.jitter ?? 0.5) * random()));
}
