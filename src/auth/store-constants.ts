/**
 * Values both the memory stores and the Redis scripts use (injected into Lua through `constants`), so
 * the two adapters cannot disagree on a status string or a starting generation.
 */

/** `RefreshStore.rotate` outcomes, as the Lua script returns them. */
export const ROTATION = {
  ROTATED: 'rotated',
  GRACE: 'grace',
  REUSED: 'reused',
  REVOKED: 'revoked',
  EXPIRED: 'expired',
  UNKNOWN: 'unknown',
} as const;

/** `SessionStore.touch` outcomes, as the Lua script returns them. */
export const SESSION_STATUS = {
  ACTIVE: 'active',
  UNKNOWN_SESSION: 'unknown',
  IDLE_TIMEOUT: 'idle-timeout',
  ABSOLUTE_TIMEOUT: 'absolute-timeout',
} as const;

/** Generation of a family's first token; each rotation adds one. */
export const FIRST_GENERATION = 0;

/**
 * Default padding of the security deadlines a Redis revocation store keeps (denylist entries, user
 * versions). Redis stores a key's expiry as an absolute time of its own clock, so a failover to a replica
 * whose clock is ahead, or an app clock behind Redis, would end them early; one minute covers ordinary
 * drift at the cost of entries living a minute longer.
 */
export const REDIS_CLOCK_SKEW_MS = 60_000;

/**
 * The user version after a bump: the store's time in ms, or one more than the current version when that
 * is larger (two bumps in one millisecond). A version is kept only for the longest token lifetime, so it
 * is forgotten (reads 0) after that; a counter would restart at 1 and reopen tokens issued under the old
 * 1 shortly before it was forgotten. A time-based value is above every earlier version, forgotten or not,
 * as long as the store's clock does not go back by more than the keep time. The Redis script computes the
 * same formula.
 */
export const nextUserVersion = (currentVersion: number, nowMs: number): number =>
  Math.max(currentVersion + 1, Math.floor(nowMs));
