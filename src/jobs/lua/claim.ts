/**
 * The claim: promote due delayed jobs, recover expired leases, then lease the next jobs by priority. The
 * claim function is a chunk because the settle script claims in the same round trip as it completes.
 */
import { defineScript, type LuaChunk, SERVER_TIME } from '../../core/redis/script.js';
import {
  LEASE_EXPIRED_CODE,
  LEASE_EXPIRED_MESSAGE,
  LEASE_EXPIRED_NAME,
  PROMOTE_BATCH,
  STALL_BATCH,
} from '../constants.js';
import { claimReply } from './replies.js';
import { BACKOFF, HISTORY, READY, WAKE } from './shared.js';

/** KEYS of every script that claims, in this order. */
export const QUEUE_KEYS = [
  'ready: ready zset (priority-encoded score)',
  'age: prioritised ready jobs by ready time',
  'delayed: delayed zset by ready time',
  'active: leased jobs by lease deadline',
  'dead: dead zset by death time',
  'paused: the paused flag',
  'wake: the wake list',
] as const;

/** What a claim returns, as the claim and settle headers describe it. */
export const CLAIM_RETURNS =
  '{nextWakeMs or -1, stalledRetried, stalledDead, paused 0|1, {id, token, startedAt, fields}...}';

/**
 * `claim_jobs(K, now, count, leaseMs, tokenPrefix, prefix)`: K = { ready, age, delayed, active, dead,
 * paused, wake } keys; job hashes are prefix .. id and share the queue's hash tag (the script's slot).
 */
const CLAIM: LuaChunk = {
  name: 'jobs-claim',
  constants: { STALL_BATCH, PROMOTE_BATCH, LEASE_EXPIRED_NAME, LEASE_EXPIRED_CODE, LEASE_EXPIRED_MESSAGE },
  uses: [READY, BACKOFF, HISTORY, WAKE],
  source: `
local function promote_due(K, now, prefix)
  local due = redis.call('ZRANGEBYSCORE', K.delayed, '-inf', now, 'WITHSCORES', 'LIMIT', 0, PROMOTE_BATCH)
  if #due == 0 then return end
  local ids = {}
  for i = 1, #due, 2 do
    local id, readyAt = due[i], tonumber(due[i + 1])
    local jobKey = prefix .. id
    make_ready(K.ready, K.age, jobKey, id, tonumber(redis.call('HGET', jobKey, 'p')) or 0, readyAt)
    ids[#ids + 1] = id
  end
  redis.call('ZREM', K.delayed, unpack(ids))
end

local function recover_expired(K, now, prefix)
  local lease_error = { name = LEASE_EXPIRED_NAME, code = LEASE_EXPIRED_CODE, message = LEASE_EXPIRED_MESSAGE }
  local lease_error_json = cjson.encode(lease_error)
  local retried, dead = 0, 0
  local expired = redis.call('ZRANGEBYSCORE', K.active, '-inf', '(' .. now, 'LIMIT', 0, STALL_BATCH)
  for _, id in ipairs(expired) do
    local jobKey = prefix .. id
    redis.call('ZREM', K.active, id)
    local f = redis.call('HMGET', jobKey, 'm', 'a', 'b', 'st', 'p')
    local made, attempts = tonumber(f[1]) or 0, tonumber(f[2]) or 1
    local h = with_history(jobKey, made, tonumber(f[4]) or now, now, lease_error)
    if made >= attempts then
      redis.call('HSET', jobKey, 's', 'dead', 'f', now, 'e', lease_error_json, 'h', h, 'tk', '')
      redis.call('ZADD', K.dead, now, id)
      dead = dead + 1
    else
      redis.call('HSET', jobKey, 'e', lease_error_json, 'h', h)
      local delay = backoff_ms(f[3], made)
      if delay > 0 then
        redis.call('HSET', jobKey, 's', 'delayed', 'r', now + delay, 'tk', '')
        redis.call('ZADD', K.delayed, now + delay, id)
      else
        make_ready(K.ready, K.age, jobKey, id, tonumber(f[5]) or 0, now)
      end
      retried = retried + 1
    end
  end
  return retried, dead
end

local function lease_next(K, now, count, leaseMs, tokenPrefix, prefix, out)
  local claimed = 0
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
  return claimed
end

local function next_wake_ms(K, now)
  local nextAt = nil
  local d = redis.call('ZRANGE', K.delayed, 0, 0, 'WITHSCORES')
  if d[2] then nextAt = tonumber(d[2]) end
  local a = redis.call('ZRANGE', K.active, 0, 0, 'WITHSCORES')
  if a[2] and (nextAt == nil or tonumber(a[2]) < nextAt) then nextAt = tonumber(a[2]) end
  if nextAt then return math.max(0, nextAt - now) end
  return -1
end

local function claim_jobs(K, now, count, leaseMs, tokenPrefix, prefix)
  promote_due(K, now, prefix)
  local retried, dead = recover_expired(K, now, prefix)
  local paused = redis.call('EXISTS', K.paused) == 1
  local out = { -1, retried, dead, paused and 1 or 0 }
  local claimed = 0
  if not paused then claimed = lease_next(K, now, count, leaseMs, tokenPrefix, prefix, out) end
  if claimed < count or paused then out[1] = next_wake_ms(K, now) end
  if retried > 0 then wake(K.wake) end
  return out
end

local function queue_keys()
  return { ready = KEYS[1], age = KEYS[2], delayed = KEYS[3], active = KEYS[4], dead = KEYS[5],
    paused = KEYS[6], wake = KEYS[7] }
end
`,
};

/** The chunks a claiming script uses (the claim itself and the time marker). */
export const CLAIM_CHUNKS = [SERVER_TIME, CLAIM] as const;

/** Claims up to N ready jobs in one step. */
export const claimScript = defineScript({
  name: 'jobs-claim',
  summary: 'promotes due delayed jobs, recovers expired leases, then leases up to N ready jobs',
  keys: QUEUE_KEYS,
  args: [
    "now: epoch ms, or REDIS_TIME ('')",
    'count: max jobs to claim',
    'leaseMs: lease of each claimed job',
    'tokenPrefix: fencing tokens are tokenPrefix:i',
    'jobPrefix: job hash key prefix (job key = jobPrefix .. id)',
  ],
  returns: CLAIM_RETURNS,
  uses: CLAIM_CHUNKS,
  body: `
return claim_jobs(queue_keys(), now_ms(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4], ARGV[5])
`,
  reply: claimReply,
});
