import { defineRawScript } from '../../core/redis/script.js';
import { withPrelude } from './shared.js';

/** Adds a batch of jobs atomically: idempotency, depth limit and overflow policy decided together. */
export const addScript = defineRawScript(
  'jobs-add-variadic',
  'variadic',
  withPrelude(
    `
-- KEYS[1] ready zset   KEYS[2] age zset   KEYS[3] delayed zset   KEYS[4] dead zset   KEYS[5] wake list
-- KEYS[5 + 2i - 1] job hash of job i   KEYS[5 + 2i] idempotency key of job i (the job hash when none)
-- ARGV[1] now ms or -1   ARGV[2] maxDepth (0 none)   ARGV[3] overflow   ARGV[4] idempotency window ms
-- ARGV[5] job key prefix   ARGV[6] job count n
-- ARGV[6 + 2i - 1] job i as JSON [id, type, priority, attempts, delivery 'l'|'o', timeoutMs, backoff JSON,
--   delayMs, idempotency key or '']   ARGV[6 + 2i] job i's payload JSON (kept apart: stored byte for byte)
-- returns {-1} when rejected (nothing written), else {0, dropped, id1, status1, ...}
`,
    `
local now = nowMs(ARGV[1])
local maxDepth = tonumber(ARGV[2])
local overflow = ARGV[3]
local n = tonumber(ARGV[6])
local FULL = cjson.encode({ name = 'QueueFullError', code = 'ERR_QUEUE_FULL', message = 'queue full' })

-- The value is "<id>|<expiresAtMs>": the PX TTL frees memory, the stored deadline keeps the window
-- exact under the caller's clock.
local function firstJobId(key)
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
  if job[9] == '' or not firstJobId(KEYS[5 + 2 * i]) then fresh = fresh + 1 end
end
local room = -1
if maxDepth > 0 then
  local depth = redis.call('ZCARD', KEYS[1]) + redis.call('ZCARD', KEYS[3])
  if depth + fresh > maxDepth and overflow == 'reject' then return { -1 } end
  room = math.max(0, maxDepth - depth)
end

local out = { 0, 0 }
local dropped, woke = 0, false
for i = 1, n do
  local job = jobs[i]
  local id, idem = job[1], job[9]
  local jobKey, idemKey = KEYS[5 + 2 * i - 1], KEYS[5 + 2 * i]
  local existing = false
  if idem ~= '' then existing = firstJobId(idemKey) end
  if existing then
    out[#out + 1] = existing
    out[#out + 1] = 'duplicate'
  else
    if idem ~= '' then redis.call('SET', idemKey, id .. '|' .. (now + tonumber(ARGV[4])), 'PX', ARGV[4]) end
    local priority, delay = tonumber(job[3]), tonumber(job[8])
    local readyAt = now + delay
    local dead = false
    if room == 0 then
      if overflow == 'dead-letter' then
        dead = true
      else
        local head = redis.call('ZRANGE', KEYS[1], 0, 0)[1]
        if head then
          redis.call('ZREM', KEYS[1], head)
          redis.call('ZREM', KEYS[2], head)
        else
          head = redis.call('ZRANGE', KEYS[3], 0, 0)[1]
          if head then redis.call('ZREM', KEYS[3], head) end
        end
        if head then
          redis.call('DEL', ARGV[5] .. head)
          dropped = dropped + 1
        end
      end
    elseif room > 0 then
      room = room - 1
    end
    local fields = { 't', job[2], 'd', ARGV[6 + 2 * i], 'p', priority, 'a', job[4], 'm', 0,
      'dl', job[5], 'to', job[6], 'b', job[7], 'c', now, 'r', readyAt }
    if idem ~= '' then fields[#fields + 1] = 'k'; fields[#fields + 1] = idem end
    if dead then
      local h = cjson.encode({ { attempt = 0, startedAtMs = now, endedAtMs = now, error = cjson.decode(FULL) } })
      for _, v in ipairs({ 's', 'dead', 'f', now, 'e', FULL, 'h', h }) do fields[#fields + 1] = v end
      redis.call('HSET', jobKey, unpack(fields))
      redis.call('ZADD', KEYS[4], now, id)
      out[#out + 1] = id
      out[#out + 1] = 'dead'
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
      out[#out + 1] = id
      out[#out + 1] = 'added'
    end
  end
end
if woke then wake(KEYS[5]) end
out[2] = dropped
return out
`,
  ),
);
