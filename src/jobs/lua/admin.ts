import { defineRawScript } from '../../core/redis/script.js';
import { withPrelude } from './shared.js';

/** Pauses or resumes claiming; resuming wakes blocked workers. */
export const pauseScript = defineRawScript(
  'jobs-pause-2',
  2,
  `-- KEYS[1] paused flag   KEYS[2] wake list
-- ARGV[1] '1' pause, '0' resume
if ARGV[1] == '1' then
  redis.call('SET', KEYS[1], '1')
else
  redis.call('DEL', KEYS[1])
  if redis.call('LLEN', KEYS[2]) == 0 then redis.call('RPUSH', KEYS[2], '1') end
end
return 1
`,
);

/** Reads one job hash. */
export const getScript = defineRawScript(
  'jobs-get-1',
  1,
  `-- KEYS[1] job hash
-- returns the hash as a flat field/value list (empty when absent)
return redis.call('HGETALL', KEYS[1])
`,
);

/** Counts jobs by state. */
export const countsScript = defineRawScript(
  'jobs-counts-5',
  5,
  `-- KEYS[1] ready   KEYS[2] delayed   KEYS[3] active   KEYS[4] dead   KEYS[5] paused flag
-- returns {ready, delayed, active, dead, paused 0|1}
return { redis.call('ZCARD', KEYS[1]), redis.call('ZCARD', KEYS[2]), redis.call('ZCARD', KEYS[3]),
  redis.call('ZCARD', KEYS[4]), redis.call('EXISTS', KEYS[5]) }
`,
);

/** Age of the oldest ready job: the heads of three sorted sets, O(log n). */
export const lagScript = defineRawScript(
  'jobs-lag-3',
  3,
  withPrelude(
    `
-- KEYS[1] ready (priority-encoded)   KEYS[2] age (prioritised ready jobs by ready time)   KEYS[3] delayed
-- ARGV[1] now ms or -1
-- returns lag in ms (0 when nothing is ready)
`,
    `
local now = nowMs(ARGV[1])
local oldest = nil
local r = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if r[2] and tonumber(r[2]) < PRIORITY_FACTOR then oldest = tonumber(r[2]) end
local a = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
if a[2] and (oldest == nil or tonumber(a[2]) < oldest) then oldest = tonumber(a[2]) end
-- a due delayed job is ready even before a claim promotes it
local d = redis.call('ZRANGE', KEYS[3], 0, 0, 'WITHSCORES')
if d[2] and tonumber(d[2]) <= now and (oldest == nil or tonumber(d[2]) < oldest) then oldest = tonumber(d[2]) end
if oldest == nil then return 0 end
return math.max(0, now - oldest)
`,
  ),
);

/** Lists dead jobs with their hashes. */
export const listDeadScript = defineRawScript(
  'jobs-list-dead-1',
  1,
  `-- KEYS[1] dead zset
-- ARGV[1] offset   ARGV[2] limit   ARGV[3] job key prefix
-- returns {{id, fields}, ...}
local ids = redis.call('ZRANGE', KEYS[1], ARGV[1], tonumber(ARGV[1]) + tonumber(ARGV[2]) - 1)
local out = {}
for _, id in ipairs(ids) do out[#out + 1] = { id, redis.call('HGETALL', ARGV[3] .. id) } end
return out
`,
);

/** Moves dead jobs back to ready with a fresh budget. */
export const redriveScript = defineRawScript(
  'jobs-redrive-variadic',
  'variadic',
  withPrelude(
    `
-- KEYS[1] dead   KEYS[2] ready   KEYS[3] age   KEYS[4] wake list   KEYS[4 + i] job hash of id i
-- ARGV[1] now ms or -1   ARGV[2..] ids
-- returns the number moved
`,
    `
local now = nowMs(ARGV[1])
local moved = 0
for i = 2, #ARGV do
  local id = ARGV[i]
  local jobKey = KEYS[3 + i]
  if redis.call('ZREM', KEYS[1], id) == 1 then
    redis.call('HSET', jobKey, 'm', 0)
    redis.call('HDEL', jobKey, 'f')
    makeReady(KEYS[2], KEYS[3], jobKey, id, tonumber(redis.call('HGET', jobKey, 'p')) or 0, now)
    moved = moved + 1
  end
end
if moved > 0 then wake(KEYS[4]) end
return moved
`,
  ),
);

/** Deletes up to N dead jobs. */
export const purgeDeadScript = defineRawScript(
  'jobs-purge-dead-1',
  1,
  `-- KEYS[1] dead zset
-- ARGV[1] limit   ARGV[2] job key prefix
-- returns the number deleted
local ids = redis.call('ZRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1)
for _, id in ipairs(ids) do redis.call('DEL', ARGV[2] .. id) end
if #ids > 0 then redis.call('ZREM', KEYS[1], unpack(ids)) end
return #ids
`,
);
