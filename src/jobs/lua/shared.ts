/**
 * Lua chunks shared by the job scripts: the ready-score encoding, the backoff formula, the history
 * format, the wake list and the lease fence. Their constants come from ../constants.ts, the file the
 * memory backend reads too, so the two backends score, back off and trim history alike.
 */
import type { LuaChunk } from '../../core/redis/script.js';
import {
  BACKOFF_DELAY_MS,
  BACKOFF_JITTER,
  BACKOFF_MAX_DELAY_MS,
  HISTORY_LIMIT,
  PRIORITY_FACTOR,
} from '../constants.js';

/** `make_ready(readyKey, ageKey, jobKey, id, priority, readyAt)`: queues a job by priority, then age. */
export const READY: LuaChunk = {
  name: 'jobs-ready',
  constants: { PRIORITY_FACTOR },
  source: `
local function make_ready(readyKey, ageKey, jobKey, id, priority, readyAt)
  redis.call('ZADD', readyKey, priority * PRIORITY_FACTOR + readyAt, id)
  if priority > 0 then redis.call('ZADD', ageKey, readyAt, id) end
  redis.call('HSET', jobKey, 's', 'ready', 'r', readyAt, 'tk', '')
end
`,
};

/** `backoff_ms(raw, attempt)`: the delay of a stored backoff (same formula as backoff.ts). */
export const BACKOFF: LuaChunk = {
  name: 'jobs-backoff',
  constants: { BACKOFF_DELAY_MS, BACKOFF_MAX_DELAY_MS, BACKOFF_JITTER },
  source: `
local function backoff_ms(raw, attempt)
  local ok, b = pcall(cjson.decode, raw or '')
  if not ok or type(b) ~= 'table' then return 0 end
  if b.type == 'fixed' then return tonumber(b.delayMs) or 0 end
  if b.type == 'exponential' then
    local base = math.min(tonumber(b.maxDelayMs) or BACKOFF_MAX_DELAY_MS,
      (tonumber(b.delayMs) or BACKOFF_DELAY_MS) * 2 ^ (attempt - 1))
    return math.floor(base * (1 - (tonumber(b.jitter) or BACKOFF_JITTER) * math.random()))
  end
  return 0
end
`,
};

/** `with_history(jobKey, attempt, startedAt, endedAt, err)`: the history JSON with one more attempt. */
export const HISTORY: LuaChunk = {
  name: 'jobs-history',
  constants: { HISTORY_LIMIT },
  source: `
local function with_history(jobKey, attempt, startedAt, endedAt, err)
  local raw = redis.call('HGET', jobKey, 'h')
  local h = {}
  if raw then h = cjson.decode(raw) end
  h[#h + 1] = { attempt = attempt, startedAtMs = startedAt, endedAtMs = endedAt, error = err }
  while #h > HISTORY_LIMIT do table.remove(h, 1) end
  return cjson.encode(h)
end
`,
};

/** `wake(wakeKey)`: leaves one marker in the wake list, which unblocks one BLPOP per process. */
export const WAKE: LuaChunk = {
  name: 'jobs-wake',
  source: `
local function wake(wakeKey)
  if redis.call('LLEN', wakeKey) == 0 then redis.call('RPUSH', wakeKey, '1') end
end
`,
};

/** `holds_lease(jobKey, activeKey, id, token, now)`: the fence of every result (token and unexpired lease). */
export const LEASE: LuaChunk = {
  name: 'jobs-lease',
  source: `
local function holds_lease(jobKey, activeKey, id, token, now)
  if token == '' then return false end
  if redis.call('HGET', jobKey, 'tk') ~= token then return false end
  local lease = tonumber(redis.call('ZSCORE', activeKey, id))
  return lease ~= nil and lease >= now
end
`,
};
