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

/**
 * A decision of `ratelimit-decide` is one number, its head: `((cost × 2 + peek) × HEAD_MAX_POLICIES +
 * policies) × HEAD_POLICY_SLOTS + first policy index`, then one index per further policy. Arguments cost
 * Redis more CPU than the commands (each is parsed, interned and converted), so a decision sends one
 * number and the batch lists each distinct policy's parameters once.
 */
export const HEAD_POLICY_SLOTS = 16_384;
/** Most policies one decision may have (the limiter allows 16). */
export const HEAD_MAX_POLICIES = 32;

/**
 * Numbers `ratelimit-decide` returns per policy: `remaining × 4 + blocked × 2 + allowed`, resetAfterMs,
 * and retryAfterMs when denied or delayMs when allowed (never both non-zero).
 */
export const DECISION_FIELDS = 3;

/** A lease id ends in `<separator><cost>`, so the scripts sum the slots in use from the ids alone. */
export const LEASE_COST_SEPARATOR = '.';
