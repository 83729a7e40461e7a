/**
 * The decision script. A batch of rate-limit decisions, each over any number of policies and each
 * all-or-nothing, evaluated one after the other at one time. The store batches the decisions issued in
 * the same tick (one round trip, one script call for many decisions); a batch of one is the plain case.
 * It mirrors engine.ts line by line: the contract suite and the differential keep the two in step.
 *
 * State: fw a hash { windowStart -> count }, swc 'windowStart:count:previous', vs 'tatUs' or
 * 'tatUs:frac' (frac in 1/units µs), log a sorted set of 'atMs:cost:seq' scored by atMs plus a total
 * counter (rebuilt from the set when it alone is lost). Every write sets its TTL in the same call.
 */
import { type ReplyDecoder, ReplyShapeError, reply } from '../../core/redis/reply.js';
import { defineScript, type LuaChunk, SERVER_TIME } from '../../core/redis/script.js';
import {
  DECISION_FIELDS,
  ENGINE_CODES,
  HEAD_MAX_POLICIES,
  HEAD_POLICY_SLOTS,
  TTL_SLACK_MS,
} from '../constants.js';

/** `ceildiv(a, b)`: integer division rounding up, as `Math.ceil(a / b)` in engine.ts. */
const CEILDIV: LuaChunk = {
  name: 'ceildiv',
  source: 'local function ceildiv(a, b) return math.ceil(a / b) end',
};

/**
 * The flat reply `[nowMs, then DECISION_FIELDS integers per policy]`, checked in one pass without copying
 * it or building a path per element (this runs once per batch on the hot path): only an element that is
 * not an integer goes through `reply.integer`, which throws the usual shape error naming its path.
 */
const decideReply: ReplyDecoder<readonly number[]> = (value, path) => {
  if (!Array.isArray(value) || value.length === 0 || (value.length - 1) % DECISION_FIELDS !== 0) {
    throw new ReplyShapeError(path, `array(1 + ${DECISION_FIELDS} × policies)`, value);
  }
  for (let i = 0; i < value.length; i++) {
    if (!Number.isSafeInteger(value[i])) reply.integer(value[i], `${path}[${i}]`);
  }
  return value as readonly number[]; // every element was checked above
};

/** A batch of decisions, each all-or-nothing over its policies. */
export const decideScript = defineScript({
  name: 'ratelimit-decide',
  summary: 'decides a batch of rate-limit decisions, charging each one only when all its policies pass',
  keys: {
    variadic:
      'per decision in order, per policy in order: its state key; then, for a sliding log only, its ' +
      'total key; then, when its blockDurationMs > 0 only, its penalty-block key',
  },
  args: {
    variadic:
      "ARGV[1] now: epoch ms, or REDIS_TIME (''); ARGV[2] number of distinct policies p; then per " +
      'policy: engine (ENGINE_FW | ENGINE_SWC | ENGINE_LOG | ENGINE_VS), p1, p2, p3, p4, blockDurationMs ' +
      '(fw, swc, log: p1 = limit, p2 = windowMs, p3 = p4 = 0; vs: p1 = capacity, p2 = periodUs, p3 = ' +
      'units, p4 = shaping 0|1); then the number of decisions m; then per decision: its head ' +
      '((cost * 2 + peek) * HEAD_MAX_POLICIES + n) * HEAD_POLICY_SLOTS + first policy index (0-based), ' +
      'then the indexes of its other n - 1 policies',
  },
  returns:
    'nowMs, then per decision, per policy: remaining * 4 + blocked * 2 + allowed, resetAfterMs, ' +
    'retryAfterMs when denied or delayMs when allowed',
  constants: {
    TTL_SLACK_MS,
    HEAD_POLICY_SLOTS,
    HEAD_MAX_POLICIES,
    STATE_FIELDS: 16,
    ENGINE_FW: ENGINE_CODES['fixed-window'],
    ENGINE_SWC: ENGINE_CODES['sliding-window-counter'],
    ENGINE_LOG: ENGINE_CODES['sliding-window-log'],
    ENGINE_VS: ENGINE_CODES['virtual-scheduling'],
  },
  uses: [SERVER_TIME, CEILDIV],
  body: `
-- One reading of the time for the whole batch (TIME is read once, when ARGV[1] is the marker).
local nowUs = now_us(ARGV[1])
local nowMs = math.floor(nowUs / 1000)
-- The decision being evaluated; the engine functions read these upvalues.
local cost, peek

-- Nothing here allocates per decision (no closures, no result tables): Lua's garbage collector would
-- cost more Redis CPU than the commands. Each engine is a pair: eval_* reads the state and returns
--   allowed, remaining (after charging when allowed), reset (after charging), retry, delay, idle reset
--   (the reset when nothing is charged; false for the log, read lazily), then up to three values its
--   apply_* needs; apply_* charges.
-- A fixed window is a hash with one field, the current window's start: reading is one HGET, charging one
-- HINCRBY (cheaper than rewriting a 'start:count' string); the first charge of a window clears older ones.
local function eval_fw(sk, limit, w)
  local ws = nowMs - (nowMs % w)
  local field = fmt(ws)
  local count = tonumber(redis.call('HGET', sk, field) or '0')
  local untilEnd = ws + w - nowMs
  if count + cost <= limit then
    return true, limit - count - cost, untilEnd, 0, 0, count > 0 and untilEnd or 0, field, count, untilEnd
  end
  return false, limit - count, count > 0 and untilEnd or 0, untilEnd, 0, count > 0 and untilEnd or 0,
    field, count, untilEnd
end

local function apply_fw(sk, field, count, untilEnd)
  -- HINCRBY is the first write, so under maxmemory with noeviction the whole call fails cleanly (a
  -- script that already wrote is let through by Redis, which would leave it half-applied).
  redis.call('HINCRBY', sk, field, cost)
  if count == 0 then
    local fields = redis.call('HKEYS', sk)
    if #fields > 1 then
      for _, old in ipairs(fields) do
        if old ~= field then redis.call('HDEL', sk, old) end
      end
    end
    redis.call('PEXPIRE', sk, fmt(untilEnd + TTL_SLACK_MS))
  end
end

local function swc_reset(c, prev, w, e)
  if c > 0 then return 2 * w - e elseif prev > 0 then return w - e end
  return 0
end

local function eval_swc(sk, limit, w)
  local ws = nowMs - (nowMs % w)
  local e = nowMs - ws
  local count, prev = 0, 0
  local v = redis.call('GET', sk)
  if v then
    local sw, sc, sp = string.match(v, '^(%d+):(%d+):(%d+)$')
    sw = tonumber(sw)
    if sw == ws then count = tonumber(sc); prev = tonumber(sp)
    elseif sw == ws - w then prev = tonumber(sc) end
  end
  local pw = prev * (w - e)
  local allowed = pw + (count + cost) * w <= limit * w
  local after = count
  if allowed then after = count + cost end
  local remaining = math.max(0, math.floor((limit * w - pw) / w) - after)
  local retry = 0
  if not allowed then
    local room = limit - count - cost
    local inThis = w
    if room >= 0 and prev > 0 then inThis = w - math.floor(room * w / prev) end
    if inThis < w then retry = inThis - e
    else
      local nextWait = 0
      if count > 0 then nextWait = math.max(0, w - math.floor((limit - cost) * w / count)) end
      retry = w - e + nextWait
    end
  end
  return allowed, remaining, swc_reset(after, prev, w, e), retry, 0, swc_reset(count, prev, w, e),
    ws, after, prev
end

local function apply_swc(sk, w, ws, after, prev)
  local e = nowMs - ws
  redis.call('SET', sk, fmt(ws) .. ':' .. fmt(after) .. ':' .. fmt(prev), 'PX', fmt(2 * w - e + TTL_SLACK_MS))
end

local function log_cost(member) return tonumber(string.match(member, '^%d+:(%d+):')) end

-- Until the newest live entry leaves the window: the reset when nothing is charged.
local function log_idle_reset(sk, w)
  local newest = redis.call('ZRANGE', sk, -1, -1, 'WITHSCORES')
  if #newest > 0 then return tonumber(newest[2]) + w - nowMs end
  return 0
end

local function eval_log(sk, ak, limit, w)
  local liveAfter = nowMs - w
  local total = 0
  if redis.call('ZCARD', sk) > 0 then
    local stored = redis.call('GET', ak)
    if stored then total = tonumber(stored)
    else
      -- The total was evicted but the log survived: rebuild it from the entries, or admission would
      -- start again from zero while the log still holds a full window.
      for _, m in ipairs(redis.call('ZRANGE', sk, 0, -1)) do total = total + log_cost(m) end
      redis.call('SET', ak, fmt(total), 'PX', fmt(w + TTL_SLACK_MS))
    end
    local old = redis.call('ZRANGEBYSCORE', sk, '-inf', liveAfter)
    if #old > 0 then
      for _, m in ipairs(old) do total = total - log_cost(m) end
      redis.call('ZREMRANGEBYSCORE', sk, '-inf', liveAfter)
      if total > 0 then redis.call('SET', ak, fmt(total), 'KEEPTTL') else redis.call('DEL', ak); total = 0 end
    end
  end
  if total + cost <= limit then return true, limit - total - cost, w, 0, 0, false, total end
  local needed = total + cost - limit
  local oldest = redis.call('ZRANGE', sk, 0, needed - 1, 'WITHSCORES')
  local freed, retry = 0, 0
  for j = 1, #oldest, 2 do
    freed = freed + log_cost(oldest[j])
    if freed >= needed then retry = tonumber(oldest[j + 1]) + w - nowMs; break end
  end
  local idle = log_idle_reset(sk, w)
  return false, limit - total, idle, retry, 0, idle, total
end

local function apply_log(sk, ak, w, total)
  redis.call('ZADD', sk, nowMs, fmt(nowMs) .. ':' .. fmt(cost) .. ':' .. fmt(total))
  redis.call('PEXPIRE', sk, fmt(w + TTL_SLACK_MS))
  redis.call('SET', ak, fmt(total + cost), 'PX', fmt(w + TTL_SLACK_MS))
end

local function eval_vs(sk, capacity, period, units, shaping)
  -- Exact interval period / units µs: the tat is 'tatUs' or 'tatUs:frac' (frac in 1/units µs), debts
  -- are in ticks of 1/units µs, as in engine.ts.
  local baseUs, baseFrac = nowUs, 0
  local v = redis.call('GET', sk)
  if v then
    local tu, tf = string.match(v, '^(%d+):?(%d*)$')
    tu = tonumber(tu)
    if tu and tu >= nowUs then baseUs = tu; baseFrac = tonumber(tf) or 0 end
  end
  local sum = baseFrac + cost * period
  local carry = math.floor(sum / units)
  local newTat = baseUs + carry
  local newFrac = sum - carry * units
  local capTicks = capacity * period
  local baseDebt = (baseUs - nowUs) * units + baseFrac
  local newDebt = (newTat - nowUs) * units + newFrac
  local tickMs = units * 1000
  local idle = ceildiv(baseDebt, tickMs)
  if newDebt <= capTicks then
    local delay = 0
    if shaping == 1 then delay = idle end
    return true, math.floor((capTicks - newDebt) / period), ceildiv(newDebt, tickMs), 0, delay, idle,
      newTat, newFrac, ceildiv(newDebt, tickMs)
  end
  return false, math.floor((capTicks - baseDebt) / period), idle, ceildiv(newDebt - capTicks, tickMs), 0,
    idle, newTat, newFrac, 0
end

local function apply_vs(sk, newTat, newFrac, ttlMs)
  local value = fmt(newTat)
  if newFrac > 0 then value = value .. ':' .. fmt(newFrac) end
  redis.call('SET', sk, value, 'PX', fmt(ttlMs + TTL_SLACK_MS))
end

-- Per policy of the decision being evaluated, STATE_FIELDS each, in one flat table reused by every
-- decision of the batch: engine, state key, total key, block key, p2 (window), block ms, running block, allowed, remaining,
-- reset, retry, delay, idle, a1, a2, a3 (what apply needs).
local P = {}

local function eval_policy(base, engine, sk, ak, p1, p2, p3, p4)
  local ok, rem, reset, retry, delay, idle, a1, a2, a3
  if engine == ENGINE_FW then ok, rem, reset, retry, delay, idle, a1, a2, a3 = eval_fw(sk, p1, p2)
  elseif engine == ENGINE_SWC then ok, rem, reset, retry, delay, idle, a1, a2, a3 = eval_swc(sk, p1, p2)
  elseif engine == ENGINE_LOG then ok, rem, reset, retry, delay, idle, a1 = eval_log(sk, ak, p1, p2)
  else ok, rem, reset, retry, delay, idle, a1, a2, a3 = eval_vs(sk, p1, p2, p3, p4) end
  P[base + 8], P[base + 9], P[base + 10], P[base + 11] = ok, rem, reset, retry
  P[base + 12], P[base + 13], P[base + 14], P[base + 15], P[base + 16] = delay, idle, a1, a2, a3
  return ok
end

local function apply_policy(base)
  local engine, sk = P[base + 1], P[base + 2]
  if engine == ENGINE_FW then apply_fw(sk, P[base + 14], P[base + 15], P[base + 16])
  elseif engine == ENGINE_SWC then apply_swc(sk, P[base + 5], P[base + 14], P[base + 15], P[base + 16])
  elseif engine == ENGINE_LOG then apply_log(sk, P[base + 3], P[base + 5], P[base + 14])
  else apply_vs(sk, P[base + 14], P[base + 15], P[base + 16]) end
end

-- The distinct policies of the batch, parsed once, flat: engine, p1, p2, p3, p4, blockMs from 6 * j.
local POL = {}
local np = tonumber(ARGV[2])
for j = 0, np - 1 do
  local a = 2 + j * 6
  POL[j * 6 + 1] = ARGV[a + 1]
  for f = 2, 6 do POL[j * 6 + f] = tonumber(ARGV[a + f]) end
end

-- Appends one policy's three reply fields.
local function report(base, out, charged, allAllowed, anyBlocked)
  local b = P[base + 7]
  local passed = P[base + 8]
  local blockMs = P[base + 6]
  if not peek and not anyBlocked and not passed and blockMs > 0 then
    b = blockMs
    redis.call('SET', P[base + 4], fmt(nowMs + b), 'PX', fmt(b))
  end
  -- A passing evaluation reports its figures after charging; if nothing was charged (another policy
  -- denied, or a peek), the state as it stands: the cost added back, the idle reset.
  local remaining, reset, retry = P[base + 9], P[base + 10], P[base + 11]
  if passed and not charged then
    remaining = remaining + cost
    reset = P[base + 13]
    if reset == false then reset = log_idle_reset(P[base + 2], P[base + 5]) end
  end
  local o = #out
  if b > 0 then
    out[o + 1] = 2
    out[o + 3] = math.max(b, retry)
  elseif passed then
    out[o + 1] = remaining * 4 + 1
    out[o + 3] = 0
    if allAllowed then out[o + 3] = P[base + 12] end
  else
    out[o + 1] = remaining * 4
    out[o + 3] = retry
  end
  out[o + 2] = math.max(reset, b)
end

-- One decision over its n policies (indexes: first, then n - 1 arguments from ai); all-or-nothing.
local function decide(ki, ai, first, n, out)
  local anyBlocked, allAllowed = false, true
  for i = 1, n do
    local base = (i - 1) * STATE_FIELDS
    local j = first
    if i > 1 then j = tonumber(ARGV[ai]) * 6; ai = ai + 1 end
    local engine, p2, blockMs = POL[j + 1], POL[j + 3], POL[j + 6]
    local sk, ak, bk = KEYS[ki], false, false
    ki = ki + 1
    if engine == ENGINE_LOG then ak = KEYS[ki]; ki = ki + 1 end
    local b = 0
    if blockMs > 0 then
      bk = KEYS[ki]; ki = ki + 1
      local untilMs = redis.call('GET', bk)
      if untilMs and tonumber(untilMs) > nowMs then b = tonumber(untilMs) - nowMs; anyBlocked = true end
    end
    P[base + 1], P[base + 2], P[base + 3], P[base + 4] = engine, sk, ak, bk
    P[base + 5], P[base + 6], P[base + 7] = p2, blockMs, b
    if not eval_policy(base, engine, sk, ak, POL[j + 2], p2, POL[j + 4], POL[j + 5]) then
      allAllowed = false
    end
  end
  if anyBlocked then allAllowed = false end
  local charged = not peek and allAllowed
  if charged then
    for i = 1, n do apply_policy((i - 1) * STATE_FIELDS) end
  end
  for i = 1, n do report((i - 1) * STATE_FIELDS, out, charged, allAllowed, anyBlocked) end
  return ki, ai
end

local out = { nowMs }
local ki, ai = 1, 4 + np * 6
for _ = 1, tonumber(ARGV[3 + np * 6]) do
  local head = tonumber(ARGV[ai])
  ai = ai + 1
  local first = head % HEAD_POLICY_SLOTS
  head = (head - first) / HEAD_POLICY_SLOTS
  local n = head % HEAD_MAX_POLICIES
  head = (head - n) / HEAD_MAX_POLICIES
  peek = head % 2 == 1
  cost = (head - head % 2) / 2
  if peek then cost = 1 end
  ki, ai = decide(ki, ai, first * 6, n, out)
end
return out
`,
  reply: decideReply,
});

/** Clears the keys of one limiter key (state, totals, blocks). */
export const resetScript = defineScript({
  name: 'ratelimit-reset',
  summary: 'deletes the state, total and block keys of one limiter key',
  keys: { variadic: 'the keys to delete (all share one hash tag)' },
  args: [],
  returns: 'the number of keys deleted',
  body: `
if #KEYS == 0 then return 0 end
return redis.call('DEL', unpack(KEYS))
`,
  reply: reply.integer,
});
