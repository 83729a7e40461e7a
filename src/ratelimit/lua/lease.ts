/**
 * Concurrency leases: a sorted set of lease ids scored by expiry (ms). A lease id ends in
 * `LEASE_COST_SEPARATOR<cost>`, so the slots in use are summed from the set itself. Expired leases are
 * removed before every count, so a holder that crashed frees its slots when its lease runs out.
 */
import { reply } from '../../core/redis/reply.js';
import { defineScript, type LuaChunk, SERVER_TIME } from '../../core/redis/script.js';
import { LEASE_COST_SEPARATOR, TTL_SLACK_MS } from '../constants.js';

/** `lease_cost(id)`: the cost written at the end of a lease id; `touch(k, nowMs)`: the set's TTL. */
const LEASE_SET: LuaChunk = {
  name: 'lease-set',
  constants: { LEASE_COST_SEPARATOR, TTL_SLACK_MS },
  source: `
local cost_pattern = '%' .. LEASE_COST_SEPARATOR .. '(%d+)$'
local function lease_cost(id) return tonumber(string.match(id, cost_pattern)) end
local function touch(k, nowMs)
  local last = redis.call('ZRANGE', k, -1, -1, 'WITHSCORES')
  redis.call('PEXPIRE', k, fmt(tonumber(last[2]) - nowMs + TTL_SLACK_MS))
end
`,
  uses: [SERVER_TIME],
};

const LEASE_KEY = ['leases: the lease set of one limiter key'];

/** Takes `cost` slots when they are free. */
export const acquireLeaseScript = defineScript({
  name: 'ratelimit-lease-acquire',
  summary: 'drops expired leases, then adds one lease when its cost still fits under the limit',
  keys: LEASE_KEY,
  args: [
    "now: epoch ms, or REDIS_TIME ('')",
    'limit: slots in total',
    'cost: slots this lease takes',
    'leaseMs: lease duration',
    'leaseId: the new lease id, ending in its cost',
  ],
  returns: 'allowed (0|1), nowMs, inUse, then expiresAtMs when allowed or retryAfterMs when denied',
  uses: [SERVER_TIME, LEASE_SET],
  body: `
local nowMs = now_ms(ARGV[1])
local k = KEYS[1]
local limit, cost, leaseMs = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', k, '-inf', nowMs)
local inUse = 0
for _, m in ipairs(redis.call('ZRANGE', k, 0, -1)) do inUse = inUse + lease_cost(m) end
if inUse + cost > limit then
  local first = redis.call('ZRANGE', k, 0, 0, 'WITHSCORES')
  local retry = 0
  if #first > 0 then retry = math.max(0, tonumber(first[2]) - nowMs) end
  return { 0, nowMs, inUse, retry }
end
local expiresAt = nowMs + leaseMs
redis.call('ZADD', k, expiresAt, ARGV[5])
touch(k, nowMs)
return { 1, nowMs, inUse + cost, expiresAt }
`,
  reply: reply.tuple(reply.flag, reply.integer, reply.integer, reply.integer),
});

/** Frees one lease. */
export const releaseLeaseScript = defineScript({
  name: 'ratelimit-lease-release',
  summary: 'removes one lease',
  keys: LEASE_KEY,
  args: ["now: epoch ms, or REDIS_TIME ('')", 'leaseId: the lease to remove'],
  returns: '1 when the lease was held (and is now released), 0 otherwise',
  uses: [SERVER_TIME],
  body: `
local nowMs = now_ms(ARGV[1])
local score = redis.call('ZSCORE', KEYS[1], ARGV[2])
redis.call('ZREM', KEYS[1], ARGV[2])
if score and tonumber(score) > nowMs then return 1 end
return 0
`,
  reply: reply.flag,
});

/** Pushes a held lease's expiry. */
export const extendLeaseScript = defineScript({
  name: 'ratelimit-lease-extend',
  summary: "moves a held lease's expiry to now + leaseMs and the set's TTL with it",
  keys: LEASE_KEY,
  args: ["now: epoch ms, or REDIS_TIME ('')", 'leaseId: the lease to extend', 'leaseMs: new duration'],
  returns: 'the new expiry (epoch ms) when the lease was still held, -1 otherwise',
  uses: [SERVER_TIME, LEASE_SET],
  body: `
local nowMs = now_ms(ARGV[1])
local score = redis.call('ZSCORE', KEYS[1], ARGV[2])
if not score or tonumber(score) <= nowMs then
  if score then redis.call('ZREM', KEYS[1], ARGV[2]) end
  return -1
end
local expiresAt = nowMs + tonumber(ARGV[3])
redis.call('ZADD', KEYS[1], 'XX', expiresAt, ARGV[2])
touch(KEYS[1], nowMs)
return expiresAt
`,
  reply: reply.map(reply.integer, (expiresAtMs) => (expiresAtMs >= 0 ? expiresAtMs : undefined)),
});
