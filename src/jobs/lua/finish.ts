import { defineRawScript } from '../../core/redis/script.js';
import { CLAIM_FUNCTION } from './claim.js';
import { withPrelude } from './shared.js';

/**
 * Completes a batch of attempts (each fenced by its token and unexpired lease, each applied or not on
 * its own), then optionally claims the next jobs for the same worker: one round trip per batch
 * instead of one per job and state change.
 */
export const settleScript = defineRawScript(
  'jobs-settle-variadic',
  'variadic',
  withPrelude(
    `
-- KEYS[1] ready   KEYS[2] age   KEYS[3] delayed   KEYS[4] active   KEYS[5] dead   KEYS[6] paused flag
-- KEYS[7] wake list   KEYS[7 + i] job hash of completion i
-- ARGV[1] now ms or -1   ARGV[2] completions n   ARGV[3] keepCompletedMs (0 deletes the job)
-- ARGV[4] jobs to claim afterwards (0 none)   ARGV[5] leaseMs   ARGV[6] token prefix   ARGV[7] job key prefix
-- ARGV[7 + 4(i-1) + 1..4] id, token, result JSON, charged retries of completion i
-- returns {{1 applied | 0 lease lost, per completion}, claim reply (see claimJobs) or 0}
`,
    `${CLAIM_FUNCTION}
local now = nowMs(ARGV[1])
local n, keepMs = tonumber(ARGV[2]), tonumber(ARGV[3])
local applied = {}
for i = 1, n do
  local b = 7 + 4 * (i - 1)
  local id, token, jobKey = ARGV[b + 1], ARGV[b + 2], KEYS[7 + i]
  if holdsLease(jobKey, KEYS[4], id, token, now) then
    redis.call('ZREM', KEYS[4], id)
    if keepMs <= 0 then
      redis.call('DEL', jobKey)
    else
      redis.call('HSET', jobKey, 's', 'completed', 'rv', ARGV[b + 3], 'f', now, 'tk', '')
      if tonumber(ARGV[b + 4]) > 0 then redis.call('HINCRBY', jobKey, 'm', ARGV[b + 4]) end
      redis.call('PEXPIRE', jobKey, keepMs)
    end
    applied[i] = 1
  else
    applied[i] = 0
  end
end
local claimed = 0
if tonumber(ARGV[4]) > 0 then
  local K = { ready = KEYS[1], age = KEYS[2], delayed = KEYS[3], active = KEYS[4], dead = KEYS[5],
    paused = KEYS[6], wake = KEYS[7] }
  claimed = claimJobs(K, now, tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6], ARGV[7])
end
return { applied, claimed }
`,
  ),
);

/** Records a failed attempt: retry after a delay (budget permitting) or dead-letter. */
export const failScript = defineRawScript(
  'jobs-fail-7',
  7,
  withPrelude(
    `
-- KEYS[1] job hash   KEYS[2] active   KEYS[3] ready   KEYS[4] age   KEYS[5] delayed   KEYS[6] dead
-- KEYS[7] wake list
-- ARGV[1] now ms or -1   ARGV[2] id   ARGV[3] token   ARGV[4] error JSON
-- ARGV[5] retry delay ms, or -1 to dead-letter   ARGV[6] charged retries
-- returns 0 lease lost (nothing changed), 1 retried, 2 dead
`,
    `
local now = nowMs(ARGV[1])
local id = ARGV[2]
if not holdsLease(KEYS[1], KEYS[2], id, ARGV[3], now) then return 0 end
redis.call('ZREM', KEYS[2], id)
local made = redis.call('HINCRBY', KEYS[1], 'm', ARGV[6])
local f = redis.call('HMGET', KEYS[1], 'a', 'st', 'p')
local h = withHistory(KEYS[1], made, tonumber(f[2]) or now, now, cjson.decode(ARGV[4]))
redis.call('HSET', KEYS[1], 'e', ARGV[4], 'h', h, 'tk', '')
local delay = tonumber(ARGV[5])
if delay < 0 or made >= (tonumber(f[1]) or 1) then
  redis.call('HSET', KEYS[1], 's', 'dead', 'f', now)
  redis.call('ZADD', KEYS[6], now, id)
  return 2
end
if delay > 0 then
  redis.call('HSET', KEYS[1], 's', 'delayed', 'r', now + delay)
  redis.call('ZADD', KEYS[5], now + delay, id)
else
  makeReady(KEYS[3], KEYS[4], KEYS[1], id, tonumber(f[3]) or 0, now)
end
wake(KEYS[7])
return 1
`,
  ),
);

/** Puts a leased job back at the front of the queue without charging the attempt (graceful shutdown). */
export const releaseScript = defineRawScript(
  'jobs-release-5',
  5,
  withPrelude(
    `
-- KEYS[1] job hash   KEYS[2] active   KEYS[3] ready   KEYS[4] age   KEYS[5] wake list
-- ARGV[1] now ms or -1   ARGV[2] id   ARGV[3] token
-- returns 1 released, 0 lease lost
`,
    `
local now = nowMs(ARGV[1])
local id = ARGV[2]
if not holdsLease(KEYS[1], KEYS[2], id, ARGV[3], now) then return 0 end
redis.call('ZREM', KEYS[2], id)
local made = redis.call('HINCRBY', KEYS[1], 'm', -1)
if made < 0 then redis.call('HSET', KEYS[1], 'm', 0) end
local f = redis.call('HMGET', KEYS[1], 'p', 'r')
makeReady(KEYS[3], KEYS[4], KEYS[1], id, tonumber(f[1]) or 0, tonumber(f[2]) or now)
wake(KEYS[5])
return 1
`,
  ),
);

/** Extends the leases this worker still holds. */
export const renewScript = defineRawScript(
  'jobs-renew-variadic',
  'variadic',
  withPrelude(
    `
-- KEYS[1] active zset   KEYS[1 + i] job hash of lease i
-- ARGV[1] now ms or -1   ARGV[2] leaseMs   ARGV[3] count n   ARGV[3 + 2i - 1] id i   ARGV[3 + 2i] token i
-- returns {1|0 per lease}: 1 renewed, 0 lost
`,
    `
local now = nowMs(ARGV[1])
local leaseMs = tonumber(ARGV[2])
local out = {}
for i = 1, tonumber(ARGV[3]) do
  local id, token = ARGV[3 + 2 * i - 1], ARGV[3 + 2 * i]
  if holdsLease(KEYS[1 + i], KEYS[1], id, token, now) then
    redis.call('ZADD', KEYS[1], now + leaseMs, id)
    out[i] = 1
  else
    out[i] = 0
  end
end
return out
`,
  ),
);

/** Stores progress, fenced like a result. */
export const progressScript = defineRawScript(
  'jobs-progress-2',
  2,
  withPrelude(
    `
-- KEYS[1] job hash   KEYS[2] active zset
-- ARGV[1] now ms or -1   ARGV[2] id   ARGV[3] token   ARGV[4] progress JSON
-- returns 1 stored, 0 lease lost
`,
    `
local now = nowMs(ARGV[1])
if not holdsLease(KEYS[1], KEYS[2], ARGV[2], ARGV[3], now) then return 0 end
redis.call('HSET', KEYS[1], 'pg', ARGV[4])
return 1
`,
  ),
);
