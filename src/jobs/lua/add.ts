/** The add: idempotency, depth limit and overflow policy decided together with the writes. */
import { defineScript, SERVER_TIME } from '../../core/redis/script.js';
import { PRIORITY_FACTOR, QUEUE_FULL_CODE, QUEUE_FULL_MESSAGE, QUEUE_FULL_NAME } from '../constants.js';
import { addReply } from './replies.js';
import { WAKE } from './shared.js';

/** Adds a batch of jobs atomically: with `overflow: 'reject'` over the limit, nothing is written. */
export const addScript = defineScript({
  name: 'jobs-add',
  summary: 'adds a batch of jobs with idempotency, depth limit and overflow policy decided together',
  keys: {
    variadic:
      'ready; age; delayed; dead; wake list; then per job i: its job hash, and its idempotency key ' +
      '(the job hash again when it has none)',
  },
  args: {
    variadic:
      "now (epoch ms or REDIS_TIME ''); maxDepth (0 none); overflow; idempotency window ms; job key prefix; " +
      "job count n; then per job i: [id, type, priority, attempts, delivery 'l'|'o', timeoutMs, backoff JSON, " +
      "delayMs, idempotency key or ''] as JSON, and its payload JSON (kept apart: stored byte for byte)",
  },
  returns: '{rejected 1|0 (1: nothing written), dropped, {id, status}...}',
  constants: { PRIORITY_FACTOR, QUEUE_FULL_NAME, QUEUE_FULL_CODE, QUEUE_FULL_MESSAGE },
  uses: [SERVER_TIME, WAKE],
  body: `
local now = now_ms(ARGV[1])
local maxDepth = tonumber(ARGV[2])
local overflow = ARGV[3]
local n = tonumber(ARGV[6])
local full_error = { name = QUEUE_FULL_NAME, code = QUEUE_FULL_CODE, message = QUEUE_FULL_MESSAGE }
local full_json = cjson.encode(full_error)

-- The value is "<id>|<expiresAtMs>": the PX TTL frees memory, the stored deadline keeps the window
-- exact under the caller's clock.
local function first_job_id(key)
  local v = redis.call('GET', key)
  if not v then return false end
  local sep = string.find(v, '|', 1, true)
  if not sep then return v end
  if tonumber(string.sub(v, sep + 1)) <= now then return false end
  return string.sub(v, 1, sep - 1)
end

local jobs = {}
local fresh = 0
for i = 1, n do
  local job = cjson.decode(ARGV[6 + 2 * i - 1])
  jobs[i] = job
  if job[9] == '' or not first_job_id(KEYS[5 + 2 * i]) then fresh = fresh + 1 end
end
local room = -1
if maxDepth > 0 then
  local depth = redis.call('ZCARD', KEYS[1]) + redis.call('ZCARD', KEYS[3])
  if depth + fresh > maxDepth and overflow == 'reject' then return { 1, 0 } end
  room = math.max(0, maxDepth - depth)
end

-- Drops the head of the queue (ready first, then delayed) to make room; true when one was dropped.
local function drop_oldest()
  local head = redis.call('ZRANGE', KEYS[1], 0, 0)[1]
  if head then
    redis.call('ZREM', KEYS[1], head)
    redis.call('ZREM', KEYS[2], head)
  else
    head = redis.call('ZRANGE', KEYS[3], 0, 0)[1]
    if head then redis.call('ZREM', KEYS[3], head) end
  end
  if not head then return false end
  redis.call('DEL', ARGV[5] .. head)
  return true
end

local out = { 0, 0 }
local dropped, woke = 0, false
for i = 1, n do
  local job = jobs[i]
  local id, idem = job[1], job[9]
  local jobKey, idemKey = KEYS[5 + 2 * i - 1], KEYS[5 + 2 * i]
  local existing = false
  if idem ~= '' then existing = first_job_id(idemKey) end
  if existing then
    out[#out + 1] = { existing, 'duplicate' }
  else
    if idem ~= '' then redis.call('SET', idemKey, id .. '|' .. (now + tonumber(ARGV[4])), 'PX', ARGV[4]) end
    local priority, delay = tonumber(job[3]), tonumber(job[8])
    local readyAt = now + delay
    local dead = false
    if room == 0 then
      if overflow == 'dead-letter' then
        dead = true
      elseif drop_oldest() then
        dropped = dropped + 1
      end
    elseif room > 0 then
      room = room - 1
    end
    local fields = { 't', job[2], 'd', ARGV[6 + 2 * i], 'p', priority, 'a', job[4], 'm', 0,
      'dl', job[5], 'to', job[6], 'b', job[7], 'c', now, 'r', readyAt }
    if idem ~= '' then fields[#fields + 1] = 'k'; fields[#fields + 1] = idem end
    if dead then
      local h = cjson.encode({ { attempt = 0, startedAtMs = now, endedAtMs = now, error = full_error } })
      for _, v in ipairs({ 's', 'dead', 'f', now, 'e', full_json, 'h', h }) do fields[#fields + 1] = v end
      redis.call('HSET', jobKey, unpack(fields))
      redis.call('ZADD', KEYS[4], now, id)
      out[#out + 1] = { id, 'dead' }
    else
      fields[#fields + 1] = 's'
      if delay > 0 then
        fields[#fields + 1] = 'delayed'
        redis.call('HSET', jobKey, unpack(fields))
        redis.call('ZADD', KEYS[3], readyAt, id)
      else
        fields[#fields + 1] = 'ready'
        redis.call('HSET', jobKey, unpack(fields))
        redis.call('ZADD', KEYS[1], priority * PRIORITY_FACTOR + readyAt, id)
        if priority > 0 then redis.call('ZADD', KEYS[2], readyAt, id) end
      end
      woke = true
      out[#out + 1] = { id, 'added' }
    end
  end
end
if woke then wake(KEYS[5]) end
out[2] = dropped
return out
`,
  reply: addReply,
});
