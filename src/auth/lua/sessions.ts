/**
 * Lua scripts of the Redis session store. A session is one hash under its own hash tag; a user's index
 * is a sorted set (score = absolute deadline) under the user's tag. Each script touches one slot; the
 * store orders the steps so the index may point at a missing session, never the reverse.
 *
 * Session hash fields: uid, data (JSON), created, last, idle, abs (ms).
 */
import { defineRawScript } from '../../core/redis/script.js';

/** Writes a session hash with a TTL of its nearer deadline. */
export const writeSessionScript = defineRawScript(
  'auth-session-write-1',
  1,
  `-- KEYS[1] session hash
-- ARGV[1] user id, ARGV[2] data JSON, ARGV[3] created ms, ARGV[4] last active ms, ARGV[5] idle ms,
-- ARGV[6] absolute deadline ms, ARGV[7] now ms
local ttl = math.min(tonumber(ARGV[4]) + tonumber(ARGV[5]), tonumber(ARGV[6])) - tonumber(ARGV[7])
if ttl <= 0 then return 0 end
redis.call('HSET', KEYS[1], 'uid', ARGV[1], 'data', ARGV[2], 'created', ARGV[3], 'last', ARGV[4],
  'idle', ARGV[5], 'abs', ARGV[6])
redis.call('PEXPIRE', KEYS[1], ttl)
return 1`,
);

/** Validates a session and slides its idle deadline, or deletes it when expired. */
export const touchSessionScript = defineRawScript(
  'auth-session-touch-1',
  1,
  `-- KEYS[1] session hash
-- ARGV[1] now ms
-- returns {'active', uid, data, created, last, idle, abs} | {'unknown'} | {'idle-timeout'} | {'absolute-timeout'}
local f = redis.call('HMGET', KEYS[1], 'uid', 'data', 'created', 'last', 'idle', 'abs')
if not f[1] then return {'unknown'} end
local now = tonumber(ARGV[1])
local idle = tonumber(f[5])
local abs = tonumber(f[6])
if now >= abs then
  redis.call('DEL', KEYS[1])
  return {'absolute-timeout'}
end
if now - tonumber(f[4]) >= idle then
  redis.call('DEL', KEYS[1])
  return {'idle-timeout'}
end
redis.call('HSET', KEYS[1], 'last', ARGV[1])
redis.call('PEXPIRE', KEYS[1], math.min(now + idle, abs) - now)
return {'active', f[1], f[2], f[3], ARGV[1], f[5], f[6]}`,
);

/** Reads (and optionally deletes) a live session. */
export const takeSessionScript = defineRawScript(
  'auth-session-take-1',
  1,
  `-- KEYS[1] session hash
-- ARGV[1] now ms; ARGV[2] '1' to delete, '0' to only read
-- returns {uid, data, created, last, idle, abs} of a live session (deleted when asked), or {} when absent
-- or expired (an expired one is deleted)
local f = redis.call('HMGET', KEYS[1], 'uid', 'data', 'created', 'last', 'idle', 'abs')
if not f[1] then return {} end
local now = tonumber(ARGV[1])
local expired = now >= tonumber(f[6]) or now - tonumber(f[4]) >= tonumber(f[5])
if expired or ARGV[2] == '1' then redis.call('DEL', KEYS[1]) end
if expired then return {} end
return f`,
);

/** Deletes a session and returns its user id (to update the index). */
export const deleteSessionScript = defineRawScript(
  'auth-session-delete-1',
  1,
  `-- KEYS[1] session hash
-- returns the user id of the deleted session, or '' when absent
local uid = redis.call('HGET', KEYS[1], 'uid')
if not uid then return '' end
redis.call('DEL', KEYS[1])
return uid`,
);

/** Indexes a session under its user and evicts the oldest beyond the cap. */
export const indexAddSessionScript = defineRawScript(
  'auth-session-index-add-1',
  1,
  `-- KEYS[1] user's session index (sorted set, score = absolute deadline ms)
-- ARGV[1] session id, ARGV[2] its absolute deadline ms, ARGV[3] now ms, ARGV[4] max sessions per user
-- returns the ids evicted from the index (oldest deadlines first, never the new one)
local now = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
local excess = redis.call('ZCARD', KEYS[1]) - tonumber(ARGV[4])
local evicted = {}
if excess > 0 then
  for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, excess)) do
    if id ~= ARGV[1] and #evicted < excess then table.insert(evicted, id) end
  end
  for _, id in ipairs(evicted) do redis.call('ZREM', KEYS[1], id) end
end
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
redis.call('PEXPIRE', KEYS[1], math.max(1, tonumber(last[2]) - now))
return evicted`,
);

/** Lists a user's session ids whose absolute deadline is ahead (optionally deleting the index). */
export const indexListScript = defineRawScript(
  'auth-session-index-list-1',
  1,
  `-- KEYS[1] user's session index
-- ARGV[1] now ms; ARGV[2] '1' to also delete the index
-- returns the ids whose absolute deadline is still ahead, oldest first
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', tonumber(ARGV[1]))
local ids = redis.call('ZRANGE', KEYS[1], 0, -1)
if ARGV[2] == '1' then redis.call('DEL', KEYS[1]) end
return ids`,
);

/** Removes ids from a user's session index. */
export const indexRemoveScript = defineRawScript(
  'auth-session-index-remove-1',
  1,
  `-- KEYS[1] user's session index
-- ARGV... ids to remove
if #ARGV == 0 then return 0 end
return redis.call('ZREM', KEYS[1], unpack(ARGV))`,
);
