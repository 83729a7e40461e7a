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
import { DECIDE_MODES, DECISION_FIELDS, ENGINE_CODES, TTL_SLACK_MS } from '../constants.js';

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
      "ARGV[1] now: epoch ms, or REDIS_TIME (''); ARGV[2] number of decisions m; then per decision: " +
      'mode (MODE_CONSUME | MODE_PEEK), cost (>= 1), number of policies n, and per policy: engine ' +
      '(ENGINE_FW | ENGINE_SWC | ENGINE_LOG | ENGINE_VS), p1, p2, p3, p4, blockDurationMs (fw, swc, log: ' +
      'p1 = limit, p2 = windowMs, p3 = p4 = 0; vs: p1 = capacity, p2 = periodUs, p3 = units, ' +
      'p4 = shaping 0|1)',
  },
  returns:
    'nowMs, then per decision, per policy: allowed (0|1), remaining, resetAfterMs, retryAfterMs, ' +
    'delayMs, blocked (0|1)',
  constants: {
    TTL_SLACK_MS,
    ENGINE_FW: ENGINE_CODES['fixed-window'],
    ENGINE_SWC: ENGINE_CODES['sliding-window-counter'],
    ENGINE_LOG: ENGINE_CODES['sliding-window-log'],
    ENGINE_VS: ENGINE_CODES['virtual-scheduling'],
    MODE_CONSUME: DECIDE_MODES.consume,
    MODE_PEEK: DECIDE_MODES.peek,
  },
  uses: [SERVER_TIME, CEILDIV],
  body: `
-- One reading of the time for the whole batch (TIME is read once, when ARGV[1] is the marker).
local nowUs = now_us(ARGV[1])
local nowMs = math.floor(nowUs / 1000)
-- The decision being evaluated; the engine functions read these upvalues.
local cost, mode

local function fixed_window(sk, limit, w)
  -- A hash with one field, the current window's start: reading is one HGET and charging one HINCRBY,
  -- cheaper than rewriting a 'start:count' string. The first charge of a window clears older windows.
  local ws = nowMs - (nowMs % w)
  local field = fmt(ws)
  local count = tonumber(redis.call('HGET', sk, field) or '0')
  local allowed = count + cost <= limit
  local after = count
  if allowed then after = count + cost end
  local untilEnd = ws + w - nowMs
  local reset = 0
  if after > 0 then reset = untilEnd end
  local retry = 0
  if not allowed then retry = untilEnd end
  local idle = 0
  if count > 0 then idle = untilEnd end
  return { allowed, limit - after, reset, retry, 0, function()
    -- HINCRBY is the first write, so under maxmemory with noeviction the whole call fails cleanly (a
    -- script that already wrote is let through by Redis, which would leave it half-applied).
    redis.call('HINCRBY', sk, field, cost)
    if count == 0 then
      for _, old in ipairs(redis.call('HKEYS', sk)) do
        if old ~= field then redis.call('HDEL', sk, old) end
      end
      redis.call('PEXPIRE', sk, fmt(untilEnd + TTL_SLACK_MS))
    end
  end, idle }
end

local function sliding_counter(sk, limit, w)
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
  local function reset_of(c)
    if c > 0 then return 2 * w - e elseif prev > 0 then return w - e end
    return 0
  end
  return { allowed, remaining, reset_of(after), retry, 0, function()
    redis.call('SET', sk, fmt(ws) .. ':' .. fmt(after) .. ':' .. fmt(prev), 'PX', fmt(2 * w - e + TTL_SLACK_MS))
  end, reset_of(count) }
end

local function sliding_log(sk, ak, limit, w)
  local liveAfter = nowMs - w
  local total = 0
  if redis.call('ZCARD', sk) > 0 then
    local stored = redis.call('GET', ak)
    if stored then total = tonumber(stored)
    else
      -- The total was evicted but the log survived: rebuild it from the entries, or admission would
      -- start again from zero while the log still holds a full window.
      for _, m in ipairs(redis.call('ZRANGE', sk, 0, -1)) do total = total + tonumber(string.match(m, '^%d+:(%d+):')) end
      redis.call('SET', ak, fmt(total), 'PX', fmt(w + TTL_SLACK_MS))
    end
  end
  local old = redis.call('ZRANGEBYSCORE', sk, '-inf', liveAfter)
  if #old > 0 then
    for _, m in ipairs(old) do total = total - tonumber(string.match(m, '^%d+:(%d+):')) end
    redis.call('ZREMRANGEBYSCORE', sk, '-inf', liveAfter)
    if total > 0 then redis.call('SET', ak, fmt(total), 'KEEPTTL') else redis.call('DEL', ak); total = 0 end
  end
  local allowed = total + cost <= limit
  local retry = 0
  if not allowed then
    local needed = total + cost - limit
    local oldest = redis.call('ZRANGE', sk, 0, needed - 1, 'WITHSCORES')
    local freed = 0
    for j = 1, #oldest, 2 do
      freed = freed + tonumber(string.match(oldest[j], '^%d+:(%d+):'))
      if freed >= needed then retry = tonumber(oldest[j + 1]) + w - nowMs; break end
    end
  end
  local after = total
  if allowed then after = total + cost end
  -- Until the newest live entry leaves the window: the reset when nothing is charged (read lazily, as
  -- an admitted and charged request, the common case, never needs it).
  local function idle_reset()
    local newest = redis.call('ZRANGE', sk, -1, -1, 'WITHSCORES')
    if #newest > 0 then return tonumber(newest[2]) + w - nowMs end
    return 0
  end
  local reset = w
  if not allowed then reset = idle_reset() end
  return { allowed, limit - after, reset, retry, 0, function()
    redis.call('ZADD', sk, nowMs, fmt(nowMs) .. ':' .. fmt(cost) .. ':' .. fmt(total))
    redis.call('PEXPIRE', sk, fmt(w + TTL_SLACK_MS))
    redis.call('SET', ak, fmt(after), 'PX', fmt(w + TTL_SLACK_MS))
  end, idle_reset }
end

local function virtual_scheduling(sk, capacity, period, units, shaping)
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
  local allowed = newDebt <= capTicks
  local debt = baseDebt
  if allowed then debt = newDebt end
  local tickMs = units * 1000
  local retry = 0
  if not allowed then retry = ceildiv(newDebt - capTicks, tickMs) end
  local delay = 0
  if allowed and shaping == 1 then delay = ceildiv(baseDebt, tickMs) end
  return { allowed, math.floor((capTicks - debt) / period), ceildiv(debt, tickMs), retry, delay, function()
    local value = fmt(newTat)
    if newFrac > 0 then value = value .. ':' .. fmt(newFrac) end
    redis.call('SET', sk, value, 'PX', fmt(ceildiv(newDebt, tickMs) + TTL_SLACK_MS))
  end, ceildiv(baseDebt, tickMs) }
end

local function decide(ki, ai, out)
  local n = tonumber(ARGV[ai + 2])
  local evals, blocks, blockKeys, blockMss = {}, {}, {}, {}
  local anyBlocked, allAllowed = false, true
  ai = ai + 3
  for i = 1, n do
    local engine, p1, p2, p3 = ARGV[ai], tonumber(ARGV[ai + 1]), tonumber(ARGV[ai + 2]), tonumber(ARGV[ai + 3])
    local p4, blockMs = tonumber(ARGV[ai + 4]), tonumber(ARGV[ai + 5])
    ai = ai + 6
    local sk, ak, bk = KEYS[ki], nil, nil
    ki = ki + 1
    if engine == ENGINE_LOG then ak = KEYS[ki]; ki = ki + 1 end
    if blockMs > 0 then bk = KEYS[ki]; ki = ki + 1 end
    blockKeys[i] = bk
    blockMss[i] = blockMs
    local b = 0
    if blockMs > 0 then
      local untilMs = redis.call('GET', bk)
      if untilMs and tonumber(untilMs) > nowMs then b = tonumber(untilMs) - nowMs end
    end
    blocks[i] = b
    if b > 0 then anyBlocked = true end
    local r
    if engine == ENGINE_FW then r = fixed_window(sk, p1, p2)
    elseif engine == ENGINE_SWC then r = sliding_counter(sk, p1, p2)
    elseif engine == ENGINE_LOG then r = sliding_log(sk, ak, p1, p2)
    else r = virtual_scheduling(sk, p1, p2, p3, p4) end
    evals[i] = r
    if not r[1] then allAllowed = false end
  end
  if anyBlocked then allAllowed = false end
  local charged = mode == MODE_CONSUME and allAllowed
  if charged then
    for i = 1, n do evals[i][6]() end
  end
  for i = 1, n do
    local r = evals[i]
    local b = blocks[i]
    if mode == MODE_CONSUME and not anyBlocked and not r[1] and blockMss[i] > 0 then
      b = blockMss[i]
      redis.call('SET', blockKeys[i], fmt(nowMs + b), 'PX', fmt(b))
    end
    local allowed, remaining, retry, reset = 0, 0, r[4], r[3]
    if r[1] and b == 0 then allowed = 1 end
    -- A passing evaluation reports its figures after charging; if nothing was charged (another policy
    -- denied, or a peek), the state as it stands: the cost added back, the idle reset (r[7]).
    if r[1] and not charged then
      reset = r[7]
      if type(reset) == 'function' then reset = reset() end
    end
    if b == 0 then
      remaining = r[2]
      if r[1] and not charged then remaining = r[2] + cost end
    else retry = math.max(b, r[4]) end
    local delay = 0
    if allAllowed then delay = r[5] end
    local blocked = 0
    if b > 0 then blocked = 1 end
    out[#out + 1] = allowed
    out[#out + 1] = remaining
    out[#out + 1] = math.max(reset, b)
    out[#out + 1] = retry
    out[#out + 1] = delay
    out[#out + 1] = blocked
  end
  return ki, ai
end

local out = { nowMs }
local ki, ai = 1, 3
for _ = 1, tonumber(ARGV[2]) do
  mode = ARGV[ai]
  cost = tonumber(ARGV[ai + 1])
  if mode == MODE_PEEK then cost = 1 end
  ki, ai = decide(ki, ai, out)
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
