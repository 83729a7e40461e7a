/**
 * Lua scripts of the Redis revocation store. A user's version and denylist entries share the user's
 * hash tag, so `check` reads both in one script (one round trip, one Cluster slot).
 */
import { reply } from '../../core/redis/reply.js';
import { defineScript, SERVER_TIME } from '../../core/redis/script.js';

/** Denylists one jti until the token expires (plus the store's skew tolerance). */
export const revokeJtiScript = defineScript({
  name: 'auth-revoke-jti',
  summary: "denylists one jti until the token's expiry plus the clock-skew tolerance",
  keys: ['entry: the denylist entry of one jti'],
  args: [
    "now: epoch ms, or REDIS_TIME ('') to read Redis TIME",
    'expiresAtMs: until when the entry must exist',
    'skewMs: clock-skew tolerance added to it',
  ],
  returns: '1 when stored, 0 when already past',
  uses: [SERVER_TIME],
  body: `
local ttl = tonumber(ARGV[2]) + tonumber(ARGV[3]) - now_ms(ARGV[1])
if ttl <= 0 then return 0 end
if redis.call('PTTL', KEYS[1]) < ttl then redis.call('SET', KEYS[1], '1', 'PX', ttl) end
return 1`,
  reply: reply.flag,
});

/**
 * Raises a user's token version to `max(current + 1, now)` (nextUserVersion in store-constants.ts) and
 * keeps it for the longest token lifetime: time-based, so a version bumped after the previous one expired
 * is still above it.
 */
export const bumpVersionScript = defineScript({
  name: 'auth-user-version-bump',
  summary:
    "raises a user's token version to max(current + 1, now) and keeps it for the longest token lifetime",
  keys: ['version: the user token version'],
  args: [
    "now: epoch ms, or REDIS_TIME ('') to read Redis TIME",
    'keepMs: how long the version must outlive (lifetime + tolerances)',
  ],
  returns: 'the new version',
  uses: [SERVER_TIME],
  body: `
local v = math.max(tonumber(redis.call('GET', KEYS[1]) or '0') + 1, now_ms(ARGV[1]))
local keep = math.max(tonumber(ARGV[2]), redis.call('PTTL', KEYS[1]))
redis.call('SET', KEYS[1], fmt(v), 'PX', keep)
return v`,
  reply: reply.integer,
});

/** Reads a user's token version. */
export const getVersionScript = defineScript({
  name: 'auth-user-version-get',
  summary: "reads a user's token version",
  keys: ['version: the user token version'],
  args: [],
  returns: 'the version, 0 when absent',
  body: `return tonumber(redis.call('GET', KEYS[1]) or '0')`,
  reply: reply.integer,
});

/** Reads the denylist entry and the user version in one round trip. */
export const checkScript = defineScript({
  name: 'auth-revocation-check',
  summary: 'reads the denylist entry of a jti and the user version together',
  keys: ['version: the user token version', 'entry: the denylist entry of the jti'],
  args: [],
  returns: '{1 if the jti is denylisted else 0, user version}',
  body: `return {redis.call('EXISTS', KEYS[2]), tonumber(redis.call('GET', KEYS[1]) or '0')}`,
  reply: reply.tuple(reply.flag, reply.integer),
});
