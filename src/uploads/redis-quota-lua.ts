/**
 * Lua scripts of the Redis quota store, one per QuotaStore method on one owner. Every script takes the
 * owner's three keys (one hash tag, so one slot):
 *
 * - KEYS[1] `ledger`: hash `used` (stored bytes), `rsv` (bytes of reservations not dropped yet), `n`
 *   (their number), `v` (reserves ever made: the version the sweep index compares). No TTL: the ledger.
 * - KEYS[2] `exp`: zset, member `<bytes>:<uploadId>`, score = expiry (epoch ms). TTL.
 * - KEYS[3] `res`: hash, `<uploadId>` -> `<expiry>:<bytes>:<s|l>:<state>` (`l`: state lost). TTL.
 *
 * Bytes live in both reservation keys and the counters in the ledger, so losing any one reservation key
 * (eviction, a stray DEL) is repaired from the other (`heal`) and never frees bytes still reserved; a
 * reservation whose `res` entry was lost counts until its expiry but can no longer be read, settled or
 * released. Numbers are Lua doubles: exact for integers up to 2^53, which the argument checks guarantee;
 * every number sent back to Redis goes through `fmt` (`%d`), as Redis would write a bare number `%.14g`.
 */
import { reply } from '../core/redis/reply.js';
import { defineScript, type LuaChunk } from '../core/redis/script.js';

/** Extra life of the reservation keys past their newest reservation's TTL, ms (they only collect garbage). */
export const QUOTA_KEY_GRACE_MS = 3_600_000;
/** Members removed per ZREM/HDEL call while dropping expired reservations (Lua's unpack limit is ~8000). */
const DROP_BATCH = 500;

const OWNER_KEYS = [
  'ledger: hash used, rsv, n, v (no TTL)',
  'exp: zset <bytes>:<uploadId> scored by expiry ms',
  'res: hash uploadId -> <expiry>:<bytes>:<s|l>:<state>',
];
const NOW = 'nowMs: epoch ms (the caller clock)';

/**
 * Shared functions. `load()` reads the ledger into a table and heals it when the counters disagree with
 * the reservation keys; `drop_expired(L, now)` removes what expired; `save(L)` writes changed counters.
 */
const QUOTA_LEDGER: LuaChunk = {
  name: 'quota-ledger',
  constants: { QUOTA_KEY_GRACE_MS, DROP_BATCH },
  source: `
local function fmt(x) return string.format('%d', x) end
local function split_member(m)
  local i = string.find(m, ':', 1, true)
  return tonumber(string.sub(m, 1, i - 1)), string.sub(m, i + 1)
end
local function split_entry(v)
  local a = string.find(v, ':', 1, true)
  local b = string.find(v, ':', a + 1, true)
  local c = string.find(v, ':', b + 1, true)
  return tonumber(string.sub(v, 1, a - 1)), tonumber(string.sub(v, a + 1, b - 1)),
    string.sub(v, b + 1, c - 1), string.sub(v, c + 1)
end
local function extend(key, ttl)
  local want = ttl + QUOTA_KEY_GRACE_MS
  if redis.call('PTTL', key) < want then redis.call('PEXPIRE', key, fmt(want)) end
end
local function heal(L)
  local byId = {}
  local ms = redis.call('ZRANGE', KEYS[2], 0, -1, 'WITHSCORES')
  for i = 1, #ms, 2 do
    local bytes, id = split_member(ms[i])
    byId[id] = {tonumber(ms[i + 1]), bytes, false, false}
  end
  local rs = redis.call('HGETALL', KEYS[3])
  for i = 1, #rs, 2 do
    local x, b = split_entry(rs[i + 1])
    local e = byId[rs[i]]
    if e then e[3] = true else byId[rs[i]] = {x, b, true, true} end
  end
  local rsv, n = 0, 0
  for id, e in pairs(byId) do
    if e[4] then redis.call('ZADD', KEYS[2], fmt(e[1]), fmt(e[2]) .. ':' .. id)
    elseif not e[3] then redis.call('HSET', KEYS[3], id, fmt(e[1]) .. ':' .. fmt(e[2]) .. ':l:') end
    rsv = rsv + e[2]
    n = n + 1
  end
  local t2, t3 = redis.call('PTTL', KEYS[2]), redis.call('PTTL', KEYS[3])
  if t2 == -1 and t3 > 0 then redis.call('PEXPIRE', KEYS[2], fmt(t3)) end
  if t3 == -1 and t2 > 0 then redis.call('PEXPIRE', KEYS[3], fmt(t2)) end
  L.rsv, L.n, L.dirty = rsv, n, true
end
local function load()
  local h = redis.call('HMGET', KEYS[1], 'used', 'rsv', 'n')
  local L = {used = tonumber(h[1] or '0'), rsv = tonumber(h[2] or '0'), n = tonumber(h[3] or '0'), dirty = false}
  if L.n ~= redis.call('ZCARD', KEYS[2]) or L.n ~= redis.call('HLEN', KEYS[3]) then heal(L) end
  return L
end
local function drop_expired(L, now)
  while true do
    local ms = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', fmt(now), 'LIMIT', 0, DROP_BATCH)
    if #ms == 0 then return end
    local ids = {}
    for i = 1, #ms do
      local b, id = split_member(ms[i])
      L.rsv = L.rsv - b
      ids[i] = id
    end
    redis.call('ZREM', KEYS[2], unpack(ms))
    redis.call('HDEL', KEYS[3], unpack(ids))
    L.n, L.dirty = L.n - #ms, true
  end
end
local function forget(L, id, bytes)
  redis.call('ZREM', KEYS[2], fmt(bytes) .. ':' .. id)
  redis.call('HDEL', KEYS[3], id)
  L.rsv, L.n, L.dirty = L.rsv - bytes, L.n - 1, true
end
local function save(L)
  if L.dirty then redis.call('HSET', KEYS[1], 'used', fmt(L.used), 'rsv', fmt(L.rsv), 'n', fmt(L.n)) end
end
local function live_entry(id)
  local v = redis.call('HGET', KEYS[3], id)
  if not v then return nil end
  local x, b, flag, state = split_entry(v)
  if flag ~= 's' then return nil end
  return {x, b, state}
end
`,
};

/** Reserves bytes when they fit. */
export const reserveScript = defineScript({
  name: 'uploads-quota-reserve',
  summary: 'drops expired reservations, then adds one when its id is new and its bytes fit the limit',
  keys: OWNER_KEYS,
  args: [NOW, 'uploadId', 'bytes', 'limitBytes', 'ttlMs', 'state: opaque text'],
  returns: "{1 | 0, 'ok' | 'duplicate' | 'quota', used, reserved, version of this reserve, expiry ms}",
  uses: [QUOTA_LEDGER],
  body: `
local now, id, bytes, limit, ttl = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local L = load()
drop_expired(L, now)
if redis.call('HEXISTS', KEYS[3], id) == 1 then save(L) return {0, 'duplicate', L.used, L.rsv, 0, 0} end
if bytes > limit - L.used - L.rsv then save(L) return {0, 'quota', L.used, L.rsv, 0, 0} end
local x = now + ttl
redis.call('ZADD', KEYS[2], fmt(x), fmt(bytes) .. ':' .. id)
redis.call('HSET', KEYS[3], id, fmt(x) .. ':' .. fmt(bytes) .. ':s:' .. ARGV[6])
L.rsv, L.n, L.dirty = L.rsv + bytes, L.n + 1, true
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
  summary: 'drops expired reservations, then removes one and adds actualBytes (<= its bytes) to used',
  keys: OWNER_KEYS,
  args: [NOW, 'uploadId', 'actualBytes'],
  returns: '{1 settled | 0 gone | -1 actualBytes over the reservation, reserved bytes}',
  uses: [QUOTA_LEDGER],
  body: `
local actual = tonumber(ARGV[3])
local L = load()
drop_expired(L, tonumber(ARGV[1]))
local e = live_entry(ARGV[2])
if not e then save(L) return {0, 0} end
if actual > e[2] then save(L) return {-1, e[2]} end
forget(L, ARGV[2], e[2])
L.used = L.used + actual
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

/** Subtracts freed bytes from used. */
export const freeScript = defineScript({
  name: 'uploads-quota-free',
  summary: 'subtracts bytes from used, never below 0 (no clock: expired reservations are not dropped)',
  keys: OWNER_KEYS,
  args: ['bytes'],
  returns: '{used, reserved}',
  uses: [QUOTA_LEDGER],
  body: `
local L = load()
local used = math.max(0, L.used - tonumber(ARGV[1]))
if used ~= L.used then L.used, L.dirty = used, true end
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
  summary: 'removes up to limit expired reservations of one owner, earliest first, and returns them',
  keys: OWNER_KEYS,
  args: [NOW, 'limit'],
  returns: '{version, next expiry or -1, dropped, then uploadId, expiry, bytes, state per readable one}',
  uses: [QUOTA_LEDGER],
  body: `
local L = load()
local ms = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1], 'WITHSCORES', 'LIMIT', 0, tonumber(ARGV[2]))
local out = {0, -1, #ms / 2}
for i = 1, #ms, 2 do
  local b, id = split_member(ms[i])
  local e = live_entry(id)
  forget(L, id, b)
  if e then
    out[#out + 1] = id
    out[#out + 1] = fmt(e[1])
    out[#out + 1] = fmt(e[2])
    out[#out + 1] = e[3]
  end
end
save(L)
out[1] = tonumber(redis.call('HGET', KEYS[1], 'v') or '0')
local first = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
if #first == 2 then out[2] = tonumber(first[2]) end
return out`,
  reply: reply.headAndRest([reply.integer, reply.integer, reply.integer], reply.string),
});
