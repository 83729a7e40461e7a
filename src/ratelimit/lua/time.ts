/**
 * Lua prelude shared by the rate-limit scripts: the decision time, from ARGV[1] when a test injects a clock,
 * otherwise from Redis `TIME` so every app server agrees whatever its own clock says. Integers are written
 * with `%d` because Lua's default number format (%.14g) would round microsecond timestamps.
 */
export const TIME_PRELUDE = `
local nowMs, nowUs
if ARGV[1] == '' then
  local t = redis.call('TIME')
  nowUs = tonumber(t[1]) * 1000000 + tonumber(t[2])
  nowMs = math.floor(nowUs / 1000)
else
  nowMs = tonumber(ARGV[1])
  nowUs = nowMs * 1000
end
local SLACK_MS = 1000
local function fmt(x) return string.format('%d', x) end
local function ceildiv(a, b) return math.ceil(a / b) end
`;
