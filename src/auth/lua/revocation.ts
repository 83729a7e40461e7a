/**
 * Lua scripts of the Redis revocation store. A user's version and denylist entries share the user's
 * hash tag, so `check` reads both in one script (one round trip, one Cluster slot).
 */
import { defineRawScript } from '../../core/redis/script.js';

/** Denylists one jti until the token expires. */
export const revokeJtiScript = defineRawScript(
  'auth-revoke-jti-1',
  1,
  `-- KEYS[1] denylist entry of one jti
-- ARGV[1] ttl ms (until the token's exp)
local ttl = tonumber(ARGV[1])
if ttl <= 0 then return 0 end
if redis.call('PTTL', KEYS[1]) < ttl then redis.call('SET', KEYS[1], '1', 'PX', ttl) end
return 1`,
);

/** Increments a user's token version and keeps it for the longest token lifetime. */
export const bumpVersionScript = defineRawScript(
  'auth-user-version-bump-1',
  1,
  `-- KEYS[1] user token version
-- ARGV[1] keep ms (at least the longest token lifetime)
local v = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[1]))
return v`,
);

/** Reads a user's token version. */
export const getVersionScript = defineRawScript(
  'auth-user-version-get-1',
  1,
  `-- KEYS[1] user token version
-- returns the version, 0 when absent
return tonumber(redis.call('GET', KEYS[1]) or '0')`,
);

/** Reads the denylist entry and the user version in one round trip. */
export const checkScript = defineRawScript(
  'auth-revocation-check-2',
  2,
  `-- KEYS[1] user token version, KEYS[2] denylist entry of the jti
-- returns {1 if the jti is denylisted else 0, user version}
return {redis.call('EXISTS', KEYS[2]), tonumber(redis.call('GET', KEYS[1]) or '0')}`,
);
