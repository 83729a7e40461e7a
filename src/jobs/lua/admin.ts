/** Scripts of the queue's admin side: pause, reads, counts, lag and the dead-letter queue. */
import { reply } from '../../core/redis/reply.js';
import { defineScript, SERVER_TIME } from '../../core/redis/script.js';
import { PRIORITY_FACTOR } from '../constants.js';
import { countsReply, deadListReply, jobFields } from './replies.js';
import { READY, WAKE } from './shared.js';

/** Pauses or resumes claiming; resuming wakes blocked workers. */
export const pauseScript = defineScript({
  name: 'jobs-pause',
  summary: 'sets or clears the paused flag; resuming wakes blocked workers',
  keys: ['paused: the paused flag', 'wake: the wake list'],
  args: ["paused: '1' pause, '0' resume"],
  returns: '1',
  uses: [WAKE],
  body: `
if ARGV[1] == '1' then
  redis.call('SET', KEYS[1], '1')
else
  redis.call('DEL', KEYS[1])
  wake(KEYS[2])
end
return 1
`,
  reply: reply.literal(1),
});

/** Reads one job hash. */
export const getScript = defineScript({
  name: 'jobs-get',
  summary: 'reads one job hash (no change)',
  keys: ['job: the job hash'],
  args: [],
  returns: 'the hash as a flat field/value list (empty when absent)',
  body: `return redis.call('HGETALL', KEYS[1])`,
  reply: jobFields,
});

/** Counts jobs by state. */
export const countsScript = defineScript({
  name: 'jobs-counts',
  summary: 'counts jobs by state (no change)',
  keys: ['ready', 'delayed', 'active', 'dead', 'paused: the paused flag'],
  args: [],
  returns: '{ready, delayed, active, dead, paused 0|1}',
  body: `
return { redis.call('ZCARD', KEYS[1]), redis.call('ZCARD', KEYS[2]), redis.call('ZCARD', KEYS[3]),
  redis.call('ZCARD', KEYS[4]), redis.call('EXISTS', KEYS[5]) }
`,
  reply: countsReply,
});

/** Age of the oldest ready job: the heads of three sorted sets, O(log n). */
export const lagScript = defineScript({
  name: 'jobs-lag',
  summary: 'reads the age of the oldest job ready to run (no change)',
  keys: [
    'ready: ready zset (priority-encoded)',
    'age: prioritised ready jobs by ready time',
    'delayed: delayed zset',
  ],
  args: ["now: epoch ms, or REDIS_TIME ('')"],
  returns: 'lag in ms (0 when nothing is ready)',
  constants: { PRIORITY_FACTOR },
  uses: [SERVER_TIME],
  body: `
local now = now_ms(ARGV[1])
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
  reply: reply.integer,
});

/** Lists dead jobs with their hashes. */
export const listDeadScript = defineScript({
  name: 'jobs-list-dead',
  summary: 'reads dead jobs, oldest death first (no change)',
  keys: ['dead: dead zset'],
  args: ['offset: first index', 'limit: at most this many', 'jobPrefix: job hash key prefix'],
  returns: '{{id, fields}...}',
  body: `
local ids = redis.call('ZRANGE', KEYS[1], ARGV[1], tonumber(ARGV[1]) + tonumber(ARGV[2]) - 1)
local out = {}
for _, id in ipairs(ids) do out[#out + 1] = { id, redis.call('HGETALL', ARGV[3] .. id) } end
return out
`,
  reply: deadListReply,
});

/** Moves dead jobs back to ready with a fresh budget. */
export const redriveScript = defineScript({
  name: 'jobs-redrive',
  summary: 'moves dead jobs back to ready with a fresh budget',
  keys: { variadic: 'dead; ready; age; wake list; then the job hash of each id' },
  args: { variadic: "now (epoch ms or REDIS_TIME ''); then the ids" },
  returns: 'the number moved',
  uses: [SERVER_TIME, READY, WAKE],
  body: `
local now = now_ms(ARGV[1])
local moved = 0
for i = 2, #ARGV do
  local id = ARGV[i]
  local jobKey = KEYS[3 + i]
  if redis.call('ZREM', KEYS[1], id) == 1 then
    redis.call('HSET', jobKey, 'm', 0)
    redis.call('HDEL', jobKey, 'f')
    make_ready(KEYS[2], KEYS[3], jobKey, id, tonumber(redis.call('HGET', jobKey, 'p')) or 0, now)
    moved = moved + 1
  end
end
if moved > 0 then wake(KEYS[4]) end
return moved
`,
  reply: reply.integer,
});

/** Deletes up to N dead jobs. */
export const purgeDeadScript = defineScript({
  name: 'jobs-purge-dead',
  summary: 'deletes up to N dead jobs',
  keys: ['dead: dead zset'],
  args: ['limit: at most this many', 'jobPrefix: job hash key prefix'],
  returns: 'the number deleted',
  body: `
local ids = redis.call('ZRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1)
for _, id in ipairs(ids) do redis.call('DEL', ARGV[2] .. id) end
if #ids > 0 then redis.call('ZREM', KEYS[1], unpack(ids)) end
return #ids
`,
  reply: reply.integer,
});
