/**
 * Lua scripts of the Redis quota store, one per QuotaStore method on one owner; the keys and the shared
 * functions (`load`, `drop_expired`, `forget`, `save`) are described in redis-quota-ledger.ts.
 */
import { reply } from '../core/redis/reply.js';
import { defineScript } from '../core/redis/script.js';
import { QUOTA_LEDGER } from './redis-quota-ledger.js';

const OWNER_KEYS = [
  'ledger: hash used, rsv, n, v, f:<uploadId> -> <bytes> or <bytes>:<attemptId> (no TTL)',
  'exp: zset <bytes>:<uploadId> scored by expiry ms',
  'res: hash uploadId -> <expiry>:<bytes>:<s|l>:<state>',
  'gone: hash uploadId -> res entry of a lazily dropped reservation, until swept',
];
const NOW = 'nowMs: epoch ms (the caller clock)';

/** Reserves bytes when they fit. */
export const reserveScript = defineScript({
  name: 'uploads-quota-reserve',
  summary:
    'drops expired reservations, then adds one when its id is new (no reservation, no stored file) and fits',
  keys: OWNER_KEYS,
  args: [NOW, 'uploadId', 'bytes', 'limitBytes', 'ttlMs', 'state: opaque text'],
  returns: "{1 | 0, 'ok' | 'duplicate' | 'quota', used, reserved, version of this reserve, expiry ms}",
  uses: [QUOTA_LEDGER],
  body: `
local now, id, bytes, limit, ttl = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local L = load()
drop_expired(L, now)
if redis.call('HEXISTS', KEYS[3], id) == 1 or redis.call('HEXISTS', KEYS[1], 'f:' .. id) == 1 then
  save(L)
  return {0, 'duplicate', L.used, L.rsv, 0, 0}
end
if bytes > limit - L.used - L.rsv then save(L) return {0, 'quota', L.used, L.rsv, 0, 0} end
local x = now + ttl
redis.call('ZADD', KEYS[2], fmt(x), fmt(bytes) .. ':' .. id)
redis.call('HSET', KEYS[3], id, fmt(x) .. ':' .. fmt(bytes) .. ':s:' .. ARGV[6])
L.rsv, L.n, L.dirty = L.rsv + bytes, L.n + 1, true
-- A new reservation of an expired id owns the same objects: its lazily dropped twin is not swept.
redis.call('HDEL', KEYS[4], id)
save(L)
local v = redis.call('HINCRBY', KEYS[1], 'v', 1)
extend(KEYS[2], ttl)
extend(KEYS[3], ttl)
return {1, 'ok', L.used, L.rsv, v, x}`,
  reply: reply.tuple(
    reply.flag,
    reply.literal('ok', 'duplicate', 'quota'),
    reply.integer,
    reply.integer,
    reply.integer,
    reply.integer,
  ),
});

/** Reads one live reservation. */
export const getScript = defineScript({
  name: 'uploads-quota-get',
  summary: 'drops expired reservations, then reads one live reservation',
  keys: OWNER_KEYS,
  args: [NOW, 'uploadId'],
  returns: "{1, expiry, bytes, state} or {0, 0, 0, ''}",
  uses: [QUOTA_LEDGER],
  body: `
local L = load()
drop_expired(L, tonumber(ARGV[1]))
save(L)
local e = live_entry(ARGV[2])
if not e then return {0, 0, 0, ''} end
return {1, e[1], e[2], e[3]}`,
  reply: reply.tuple(reply.flag, reply.integer, reply.integer, reply.string),
});

/** Turns a reservation into stored bytes. */
export const settleScript = defineScript({
  name: 'uploads-quota-settle',
  summary: 'drops expired reservations, then turns one into a stored file of actualBytes (<= its bytes)',
  keys: OWNER_KEYS,
  args: [NOW, 'uploadId', 'actualBytes', "attemptId: recorded with the file, '' for none"],
  returns:
    '{1 settled, or gone but recorded by this attemptId | 0 gone | -1 actualBytes over the reservation, reserved bytes}',
  uses: [QUOTA_LEDGER],
  body: `
local actual, attempt = tonumber(ARGV[3]), ARGV[4]
local L = load()
drop_expired(L, tonumber(ARGV[1]))
local e = live_entry(ARGV[2])
if not e then
  save(L)
  -- Our own earlier commit (its answer was lost): true again, nothing changes.
  local rec = redis.call('HGET', KEYS[1], 'f:' .. ARGV[2])
  if attempt ~= '' and rec and select(2, split_file(rec)) == attempt then return {1, 0} end
  return {0, 0}
end
if actual > e[2] then save(L) return {-1, e[2]} end
forget(L, ARGV[2], e[2])
L.used = L.used + actual
redis.call('HSET', KEYS[1], 'f:' .. ARGV[2], fmt_file(actual, attempt))
save(L)
return {1, e[2]}`,
  reply: reply.tuple(reply.literal(1, 0, -1), reply.integer),
});

/** Drops a reservation. */
export const releaseScript = defineScript({
  name: 'uploads-quota-release',
  summary: 'drops expired reservations, then removes one live reservation',
  keys: OWNER_KEYS,
  args: [NOW, 'uploadId'],
  returns: '1 released | 0 gone',
  uses: [QUOTA_LEDGER],
  body: `
local L = load()
drop_expired(L, tonumber(ARGV[1]))
local e = live_entry(ARGV[2])
if e then forget(L, ARGV[2], e[2]) end
save(L)
if e then return 1 end
return 0`,
  reply: reply.flag,
});

/** Frees one stored file's recorded bytes, once. */
export const freeScript = defineScript({
  name: 'uploads-quota-free',
  summary: "removes a stored file's record and subtracts its bytes from used, never below 0 (no clock)",
  keys: OWNER_KEYS,
  args: ['uploadId'],
  returns: '{used, reserved}',
  uses: [QUOTA_LEDGER],
  body: `
local L = load()
local field = 'f:' .. ARGV[1]
local rec = redis.call('HGET', KEYS[1], field)
if rec then
  redis.call('HDEL', KEYS[1], field)
  local used = math.max(0, L.used - split_file(rec))
  if used ~= L.used then L.used, L.dirty = used, true end
end
save(L)
return {L.used, L.rsv}`,
  reply: reply.tuple(reply.integer, reply.integer),
});

/** Reads the usage. */
export const usageScript = defineScript({
  name: 'uploads-quota-usage',
  summary: 'drops expired reservations, then reads used and reserved bytes',
  keys: OWNER_KEYS,
  args: [NOW],
  returns: '{used, reserved}',
  uses: [QUOTA_LEDGER],
  body: `
local L = load()
drop_expired(L, tonumber(ARGV[1]))
save(L)
return {L.used, L.rsv}`,
  reply: reply.tuple(reply.integer, reply.integer),
});

/** Drops and returns up to `limit` expired reservations of one owner, for the sweep. */
export const sweepOwnerScript = defineScript({
  name: 'uploads-quota-sweep-owner',
  summary:
    'returns up to limit lazily dropped reservations, then removes and returns expired ones, earliest first',
  keys: OWNER_KEYS,
  args: [NOW, 'limit'],
  returns:
    '{version, next expiry (0: gone not empty) or -1, dropped, then uploadId, expiry, bytes, state each}',
  uses: [QUOTA_LEDGER],
  body: `
local L = load()
local limit = tonumber(ARGV[2])
local out = {0, -1, 0}
local function emit(id, e)
  out[#out + 1] = id
  out[#out + 1] = fmt(e[1])
  out[#out + 1] = fmt(e[2])
  out[#out + 1] = e[3]
end
local gone = redis.call('HGETALL', KEYS[4])
local taken = math.min(limit, #gone / 2)
for i = 1, taken do
  local id = gone[2 * i - 1]
  local x, b, _, state = split_entry(gone[2 * i])
  redis.call('HDEL', KEYS[4], id)
  emit(id, {x, b, state})
end
out[3] = taken
if taken < limit then
  local ms = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1], 'WITHSCORES', 'LIMIT', 0, limit - taken)
  out[3] = taken + #ms / 2
  for i = 1, #ms, 2 do
    local b, id = split_member(ms[i])
    local e = live_entry(id)
    forget(L, id, b)
    if e then emit(id, e) end
  end
end
save(L)
out[1] = tonumber(redis.call('HGET', KEYS[1], 'v') or '0')
if redis.call('EXISTS', KEYS[4]) == 1 then
  out[2] = 0
else
  local first = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
  if #first == 2 then out[2] = tonumber(first[2]) end
end
return out`,
  reply: reply.headAndRest([reply.integer, reply.integer, reply.integer], reply.string),
});
