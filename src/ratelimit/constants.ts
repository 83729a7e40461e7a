/**
 * Values the memory store (TypeScript) and the Redis scripts (Lua) must agree on. They are written once,
 * here: the TypeScript side imports them and the scripts receive them through `defineScript`'s
 * `constants`, so the two implementations cannot drift apart on a literal.
 */

/** Spare TTL beyond the moment state stops mattering, so clock jitter never drops live state. */
export const TTL_SLACK_MS = 1000;

/**
 * Short engine codes: the suffix of a Redis state key and the engine argument of `ratelimit-decide`.
 * A state key names its engine, so changing a policy's algorithm starts from fresh state.
 */
export const ENGINE_CODES = {
  'fixed-window': 'fw',
  'sliding-window-counter': 'swc',
  'sliding-window-log': 'log',
  'virtual-scheduling': 'vs',
} as const;

/** The mode argument of one decision in `ratelimit-decide`. */
export const DECIDE_MODES = { consume: 'c', peek: 'p' } as const;

/** Numbers `ratelimit-decide` returns per policy: allowed, remaining, reset, retry, delay, blocked. */
export const DECISION_FIELDS = 6;

/** A lease id ends in `<separator><cost>`, so the scripts sum the slots in use from the ids alone. */
export const LEASE_COST_SEPARATOR = '.';
