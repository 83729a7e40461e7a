/**
 * Backoff between queue-level retries. The same formula runs in TypeScript (thrown errors) and in Lua
 * (expired leases, see lua/shared.ts), with the defaults of ../constants.ts, so both kinds of failure
 * wait alike.
 */
import { BACKOFF_DELAY_MS, BACKOFF_JITTER, BACKOFF_MAX_DELAY_MS } from './constants.js';
import type { BackoffOption, StoredBackoff } from './types.js';

/** The default: exponential from 1 s, capped at 5 min, half of each delay randomised. */
export const DEFAULT_BACKOFF: StoredBackoff = Object.freeze({
  type: 'exponential',
  delayMs: BACKOFF_DELAY_MS,
  maxDelayMs: BACKOFF_MAX_DELAY_MS,
  jitter: BACKOFF_JITTER,
});

const CUSTOM: StoredBackoff = Object.freeze({ type: 'custom' });

/** The stored form of a (validated) backoff option. */
export function storeBackoff(option: BackoffOption | undefined): StoredBackoff {
  if (option === undefined) return DEFAULT_BACKOFF;
  if (option.type === 'custom') return CUSTOM;
  if (option.type === 'fixed') return { type: 'fixed', delayMs: option.delayMs };
  return {
    type: 'exponential',
    delayMs: option.delayMs ?? BACKOFF_DELAY_MS,
    maxDelayMs: option.maxDelayMs ?? BACKOFF_MAX_DELAY_MS,
    jitter: option.jitter ?? BACKOFF_JITTER,
  };
}

/**
 * Delay before retrying after failed attempt number `attempt` (1-based) of a fixed or exponential
 * backoff. `random` returns [0, 1). A `custom` backoff has no delay here: the worker resolves it.
 */
export function backoffDelayMs(
  option: Exclude<StoredBackoff, { type: 'custom' }>,
  attempt: number,
  random: () => number = Math.random,
): number {
  if (option.type === 'fixed') return option.delayMs;
  const base = Math.min(option.maxDelayMs, option.delayMs * 2 ** (attempt - 1));
  return Math.floor(base * (1 - option.jitter * random()));
}

/** A custom backoff's result clamped to a whole number of ms >= 0 (NaN and negatives retry at once). */
export function clampDelayMs(ms: number): number {
  return Number.isFinite(ms) && ms > 0 ? Math.floor(ms) : 0;
}
