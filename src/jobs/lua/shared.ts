/**
 * Lua helpers prepended to the job scripts. Kept in one place so the score encoding, the backoff
 * formula (same as backoff.ts) and the history format agree across scripts and with the memory backend.
 */

/** Ready jobs score `priority * 2^42 + readyAtMs` (exact in a double up to priority 1000). */
export const LUA_PRELUDE = `
local PRIORITY_FACTOR = 4398046511104
local HISTORY_LIMIT = 20

-- ARGV "now" is the caller's clock in ms, or -1 to use Redis TIME (the default: app clocks may drift).
local function nowMs(arg)
  local n = tonumber(arg)
  if n and n >= 0 then return n end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function backoffMs(raw, attempt)
  local ok, b = pcall(cjson.decode, raw or '')
  if not ok or type(b) ~= 'table' then return 0 end
  if b.type == 'fixed' then return tonumber(b.delayMs) or 0 end
  if b.type == 'exponential' then
    local base = math.min(tonumber(b.maxDelayMs) or 300000, (tonumber(b.delayMs) or 1000) * 2 ^ (attempt - 1))
    return math.floor(base * (1 - (tonumber(b.jitter) or 0.5) * math.random()))
  end
  return 0
end

-- Appends one attempt to the job's history (last HISTORY_LIMIT kept); returns the new JSON.
local function withHistory(jobKey, attempt, startedAt, endedAt, err)
  local raw = redis.call('HGET', jobKey, 'h')
  local h = {}
  if raw then h = cjson.decode(raw) end
  h[#h + 1] = { attempt = attempt, startedAtMs = startedAt, endedAtMs = endedAt, error = err }
  while #h > HISTORY_LIMIT do table.remove(h, 1) end
  return cjson.encode(h)
end

local function makeReady(readyKey, ageKey, jobKey, id, priority, readyAt)
  redis.call('ZADD', readyKey, priority * PRIORITY_FACTOR + readyAt, id)
  if priority > 0 then redis.call('ZADD', ageKey, readyAt, id) end
  redis.call('HSET', jobKey, 's', 'ready', 'r', readyAt, 'tk', '')
end

local function wake(wakeKey)
  if redis.call('LLEN', wakeKey) == 0 then redis.call('RPUSH', wakeKey, '1') end
end

-- The lease held by token on id, if unexpired: the fence of every result.
local function holdsLease(jobKey, activeKey, id, token, now)
  if token == '' then return false end
  if redis.call('HGET', jobKey, 'tk') ~= token then return false end
  local lease = tonumber(redis.call('ZSCORE', activeKey, id))
  return lease ~= nil and lease >= now
end
`;

/** Joins the prelude and a script body; the header (KEYS/ARGV) stays first. */
export const withPrelude = (header: string, body: string) =>
  `${header.trim()}\n${LUA_PRELUDE}\n${body.trim()}\n`;
