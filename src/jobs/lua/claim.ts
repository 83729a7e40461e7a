import { defineRawScript } from '../../core/redis/script.js';
import { withPrelude } from './shared.js';

/**
 * Lua function shared by the claim script and the settle script (which claims the next jobs in the same
 * round trip as it completes the last ones): promotes due delayed jobs, recovers expired leases (counted
 * as failed attempts, retried with backoff or dead-lettered), pops by priority, then leases each job
 * (at-least-once) or deletes it (at-most-once).
 * K = { ready, age, delayed, active, dead, paused, wake } keys; job hashes are prefix .. id and share
 * the queue's hash tag, so they live in the script's slot.
 * Returns {nextWakeMs or -1, stalledRetried, stalledDead, paused 0|1, {id, token, startedAt, fields}...}.
 */
export const CLAIM_FUNCTION = `
local function claimJobs(K, now, count, leaseMs, tokenPrefix, prefix)
  local LEASE_ERROR = { name = 'LeaseExpired', code = 'ERR_JOB_LEASE_EXPIRED',
    message = 'the lease expired before the attempt finished (worker crashed, blocked or too slow)' }
  local LEASE_ERROR_JSON = cjson.encode(LEASE_ERROR)

  local due = redis.call('ZRANGEBYSCORE', K.delayed, '-inf', now, 'WITHSCORES', 'LIMIT', 0, 1000)
  if #due > 0 then
    local ids = {}
    for i = 1, #due, 2 do
      local id, readyAt = due[i], tonumber(due[i + 1])
      local jobKey = prefix .. id
      makeReady(K.ready, K.age, jobKey, id, tonumber(redis.call('HGET', jobKey, 'p')) or 0, readyAt)
      ids[#ids + 1] = id
    end
    redis.call('ZREM', K.delayed, unpack(ids))
  end

  local retried, dead = 0, 0
  local expired = redis.call('ZRANGEBYSCORE', K.active, '-inf', '(' .. now, 'LIMIT', 0, 100)
  for _, id in ipairs(expired) do
    local jobKey = prefix .. id
    redis.call('ZREM', K.active, id)
    local f = redis.call('HMGET', jobKey, 'm', 'a', 'b', 'st', 'p')
    local made, attempts = tonumber(f[1]) or 0, tonumber(f[2]) or 1
    local h = withHistory(jobKey, made, tonumber(f[4]) or now, now, LEASE_ERROR)
    if made >= attempts then
      redis.call('HSET', jobKey, 's', 'dead', 'f', now, 'e', LEASE_ERROR_JSON, 'h', h, 'tk', '')
      redis.call('ZADD', K.dead, now, id)
      dead = dead + 1
    else
      redis.call('HSET', jobKey, 'e', LEASE_ERROR_JSON, 'h', h)
      local delay = backoffMs(f[3], made)
      if delay > 0 then
        redis.call('HSET', jobKey, 's', 'delayed', 'r', now + delay, 'tk', '')
        redis.call('ZADD', K.delayed, now + delay, id)
      else
        makeReady(K.ready, K.age, jobKey, id, tonumber(f[5]) or 0, now)
      end
      retried = retried + 1
    end
  end

  local paused = redis.call('EXISTS', K.paused) == 1
  local out = { -1, retried, dead, paused and 1 or 0 }
  local claimed = 0
  if not paused then
    local popped = redis.call('ZPOPMIN', K.ready, count)
    for i = 1, #popped, 2 do
      local id = popped[i]
      local jobKey = prefix .. id
      redis.call('HINCRBY', jobKey, 'm', 1)
      local fields = redis.call('HGETALL', jobKey)
      if #fields > 0 then
        local priority, delivery = 0, 'l'
        for j = 1, #fields, 2 do
          if fields[j] == 'p' then priority = tonumber(fields[j + 1]) end
          if fields[j] == 'dl' then delivery = fields[j + 1] end
        end
        if priority > 0 then redis.call('ZREM', K.age, id) end
        local token = ''
        if delivery == 'o' then
          redis.call('DEL', jobKey)
        else
          token = tokenPrefix .. ':' .. claimed
          redis.call('HSET', jobKey, 's', 'active', 'tk', token, 'st', now)
          redis.call('ZADD', K.active, now + leaseMs, id)
        end
        claimed = claimed + 1
        out[#out + 1] = { id, token, now, fields }
      end
    end
    -- Wake the next blocked worker when this one took a full batch and more are ready.
    if #popped / 2 == count and redis.call('ZCARD', K.ready) > 0 then wake(K.wake) end
  end
  if claimed < count or paused then
    local nextAt = nil
    local d = redis.call('ZRANGE', K.delayed, 0, 0, 'WITHSCORES')
    if d[2] then nextAt = tonumber(d[2]) end
    local a = redis.call('ZRANGE', K.active, 0, 0, 'WITHSCORES')
    if a[2] and (nextAt == nil or tonumber(a[2]) < nextAt) then nextAt = tonumber(a[2]) end
    if nextAt then out[1] = math.max(0, nextAt - now) end
  end
  if retried > 0 then wake(K.wake) end
  return out
end
`;

/** Claims up to N ready jobs in one step (see CLAIM_FUNCTION). */
export const claimScript = defineRawScript(
  'jobs-claim-7',
  7,
  withPrelude(
    `
-- KEYS[1] ready zset   KEYS[2] age zset   KEYS[3] delayed zset   KEYS[4] active zset (lease deadlines)
-- KEYS[5] dead zset   KEYS[6] paused flag   KEYS[7] wake list
-- ARGV[1] now ms or -1   ARGV[2] max jobs to claim   ARGV[3] leaseMs   ARGV[4] token prefix
-- ARGV[5] job key prefix
-- returns {nextWakeMs or -1, stalledRetried, stalledDead, paused 0|1, {id, token, startedAt, fields}...}
`,
    `${CLAIM_FUNCTION}
local K = { ready = KEYS[1], age = KEYS[2], delayed = KEYS[3], active = KEYS[4], dead = KEYS[5],
  paused = KEYS[6], wake = KEYS[7] }
return claimJobs(K, nowMs(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4], ARGV[5])
`,
  ),
);
