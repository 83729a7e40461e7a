import { defineRawScript } from '../../core/redis/script.js';
import { TIME_PRELUDE } from './time.js';

/*
 * Concurrency leases: a sorted set of lease ids scored by expiry (ms). A lease id ends in `.<cost>`, so the
 * slots in use are summed from the set itself. Expired leases are removed before every count, so a holder
 * that crashed frees its slots when its lease runs out.
 */

/**
 * KEYS[1] lease set
 * ARGV[1] now in ms or '' (Redis TIME); ARGV[2] limit; ARGV[3] cost; ARGV[4] leaseMs; ARGV[5] lease id
 * Returns { allowed (0|1), nowMs, inUse, expiresAtMs | retryAfterMs }
 */
export const acquireLeaseScript = defineRawScript(
  'ratelimit-lease-acquire-1',
  1,
  `${TIME_PRELUDE}
local k = KEYS[1]
local limit, cost, leaseMs = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', k, '-inf', nowMs)
local inUse = 0
for _, m in ipairs(redis.call('ZRANGE', k, 0, -1)) do inUse = inUse + tonumber(string.match(m, '%.(%d+)$')) end
if inUse + cost > limit then
  local first = redis.call('ZRANGE', k, 0, 0, 'WITHSCORES')
  local retry = 0
  if #first > 0 then retry = math.max(0, tonumber(first[2]) - nowMs) end
  return { 0, nowMs, inUse, retry }
end
local expiresAt = nowMs + leaseMs
redis.call('ZADD', k, expiresAt, ARGV[5])
local last = redis.call('ZRANGE', k, -1, -1, 'WITHSCORES')
redis.call('PEXPIRE', k, fmt(tonumber(last[2]) - nowMs + SLACK_MS))
return { 1, nowMs, inUse + cost, expiresAt }
`,
);

/**
 * KEYS[1] lease set
 * ARGV[1] now in ms or ''; ARGV[2] lease id
 * Returns 1 when the lease was held (and is now released), 0 otherwise.
 */
export const releaseLeaseScript = defineRawScript(
  'ratelimit-lease-release-1',
  1,
  `${TIME_PRELUDE}
local score = redis.call('ZSCORE', KEYS[1], ARGV[2])
redis.call('ZREM', KEYS[1], ARGV[2])
if score and tonumber(score) > nowMs then return 1 end
return 0
`,
);

/**
 * KEYS[1] lease set
 * ARGV[1] now in ms or ''; ARGV[2] lease id; ARGV[3] leaseMs
 * Returns the new expiry (ms) when the lease was still held, -1 otherwise.
 */
export const extendLeaseScript = defineRawScript(
  'ratelimit-lease-extend-1',
  1,
  `${TIME_PRELUDE}
local score = redis.call('ZSCORE', KEYS[1], ARGV[2])
if not score or tonumber(score) <= nowMs then
  if score then redis.call('ZREM', KEYS[1], ARGV[2]) end
  return -1
end
local expiresAt = nowMs + tonumber(ARGV[3])
redis.call('ZADD', KEYS[1], 'XX', expiresAt, ARGV[2])
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
redis.call('PEXPIRE', KEYS[1], fmt(tonumber(last[2]) - nowMs + SLACK_MS))
return expiresAt
`,
);
