/**
 * Lua scripts of the Redis refresh store. A family is one hash, so rotation with reuse detection is one
 * script on one key: Redis runs scripts one at a time, so of two concurrent refreshes with the same token
 * exactly one rotates and the other can take the grace path once.
 *
 * Family hash fields: uid, gen (current generation), rot (ms of the last rotation), grace (1 = the grace
 * use of the previous generation is spent), rev (1 = revoked), exp (ms, end of life), and one field
 * `t:<token hash>` per token ever issued, holding the generation it was issued at.
 */
import { defineRawScript } from '../../core/redis/script.js';

/** Creates a family hash with its first token and its TTL. */
export const createFamilyScript = defineRawScript(
  'auth-refresh-create-1',
  1,
  `-- KEYS[1] family hash
-- ARGV[1] user id, ARGV[2] first token hash, ARGV[3] now ms, ARGV[4] expires at ms
local ttl = tonumber(ARGV[4]) - tonumber(ARGV[3])
if ttl <= 0 then return 0 end
redis.call('HSET', KEYS[1], 'uid', ARGV[1], 'gen', 0, 'rot', ARGV[3], 'grace', 1, 'rev', 0, 'exp', ARGV[4],
  't:' .. ARGV[2], 0)
redis.call('PEXPIRE', KEYS[1], ttl)
return 1`,
);

/** Rotates, takes the grace path once, or detects reuse and revokes: the whole decision, atomically. */
export const rotateScript = defineRawScript(
  'auth-refresh-rotate-1',
  1,
  `-- KEYS[1] family hash
-- ARGV[1] presented token hash, ARGV[2] next token hash, ARGV[3] now ms, ARGV[4] grace ms
-- returns {status, user id, expires at ms}; status: rotated | grace | reused | revoked | expired | unknown
local f = redis.call('HMGET', KEYS[1], 'uid', 'gen', 'rot', 'grace', 'rev', 'exp')
if not f[1] then return {'unknown'} end
local now = tonumber(ARGV[3])
if now >= tonumber(f[6]) then
  redis.call('DEL', KEYS[1])
  return {'expired'}
end
if f[5] == '1' then return {'revoked'} end
local issuedAt = redis.call('HGET', KEYS[1], 't:' .. ARGV[1])
if not issuedAt then return {'unknown'} end
local gen = tonumber(f[2])
local g = tonumber(issuedAt)
if g == gen then
  redis.call('HSET', KEYS[1], 'gen', gen + 1, 'rot', ARGV[3], 'grace', 0, 't:' .. ARGV[2], gen + 1)
  return {'rotated', f[1], f[6]}
end
if g == gen - 1 and now - tonumber(f[3]) < tonumber(ARGV[4]) and f[4] == '0' then
  redis.call('HSET', KEYS[1], 'grace', 1, 't:' .. ARGV[2], gen)
  return {'grace', f[1], f[6]}
end
redis.call('HSET', KEYS[1], 'rev', 1)
return {'reused', f[1]}`,
);

/** Revokes a live family (optionally only for a holder of one of its tokens). */
export const revokeFamilyScript = defineRawScript(
  'auth-refresh-revoke-1',
  1,
  `-- KEYS[1] family hash
-- ARGV[1] now ms, ARGV[2] token hash the caller must hold ('' = none required)
-- returns 1 when a live family was revoked, else 0
local f = redis.call('HMGET', KEYS[1], 'rev', 'exp')
if not f[1] then return 0 end
if tonumber(ARGV[1]) >= tonumber(f[2]) then
  redis.call('DEL', KEYS[1])
  return 0
end
if f[1] == '1' then return 0 end
if ARGV[2] ~= '' and redis.call('HEXISTS', KEYS[1], 't:' .. ARGV[2]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'rev', 1)
return 1`,
);

/** Adds a family id to its user's set and stretches the set's TTL. */
export const indexAddScript = defineRawScript(
  'auth-user-index-add-1',
  1,
  `-- KEYS[1] set of a user's family ids
-- ARGV[1] member, ARGV[2] ttl ms (the set lives as long as its longest-lived member)
redis.call('SADD', KEYS[1], ARGV[1])
local ttl = tonumber(ARGV[2])
if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
return 1`,
);

/** Lists a user's family ids. */
export const indexMembersScript = defineRawScript(
  'auth-user-index-members-1',
  1,
  `-- KEYS[1] set of a user's family ids
-- returns the members
return redis.call('SMEMBERS', KEYS[1])`,
);
