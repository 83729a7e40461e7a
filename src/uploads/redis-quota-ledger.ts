/**
 * The shared Lua of the Redis quota store's owner scripts. Every owner script takes the owner's four
 * keys (one hash tag, so one slot):
 *
 * - KEYS[1] `ledger`: hash `used` (stored bytes), `rsv` (bytes of reservations not dropped yet), `n`
 *   (their number), `v` (reserves ever made: the version the sweep index compares), and one field
 *   `f:<uploadId>` -> `<bytes>` or `<bytes>:<attemptId>` per stored file (written by settle, removed by
 *   free; `split_file` reads both). No TTL: the ledger.
 * - KEYS[2] `exp`: zset, member `<bytes>:<uploadId>`, score = expiry (epoch ms). TTL.
 * - KEYS[3] `res`: hash, `<uploadId>` -> `<expiry>:<bytes>:<s|l>:<state>` (`l`: state lost). TTL.
 * - KEYS[4] `gone`: hash, `<uploadId>` -> the `res` entry of an expired reservation a call dropped
 *   lazily, kept for the sweep to return once. It counts for nothing. TTL: at least what `exp` had left
 *   when it was written (the sweep index entry of the owner lives as long), else the grace.
 *
 * Bytes live in both reservation keys and the counters in the ledger, so losing any one reservation key
 * (eviction, a stray DEL) is repaired from the other (`heal`) and never frees bytes still reserved; a
 * reservation whose `res` entry was lost counts until its expiry but can no longer be read, settled or
 * released. Numbers are Lua doubles: exact for integers up to 2^53, which the argument checks guarantee;
 * every number sent back to Redis goes through `fmt` (`%d`), as Redis would write a bare number `%.14g`.
 */
import type { LuaChunk } from '../core/redis/script.js';

/** Extra life of the reservation keys past their newest reservation's TTL, ms (they only collect garbage). */
export const QUOTA_KEY_GRACE_MS = 3_600_000;
/** Members removed per ZREM/HDEL call while dropping expired reservations (Lua's unpack limit is ~8000). */
const DROP_BATCH = 500;

/**
 * Shared functions. `load()` reads the ledger into a table and heals it when the counters disagree with
 * the reservation keys; `drop_expired(L, now)` removes what expired; `save(L)` writes changed counters.
 */
export const QUOTA_LEDGER: LuaChunk = {
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
-- A stored file's record: '<bytes>' (a settle without attempt id) or '<bytes>:<attemptId>'.
local function fmt_file(bytes, attempt)
  if attempt == '' then return fmt(bytes) end
  return fmt(bytes) .. ':' .. attempt
end
local function split_file(v)
  local i = string.find(v, ':', 1, true)
  if not i then return tonumber(v), nil end
  return tonumber(string.sub(v, 1, i - 1)), string.sub(v, i + 1)
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
local function keep_gone(ttl)
  if ttl <= 0 then ttl = QUOTA_KEY_GRACE_MS end
  if redis.call('PTTL', KEYS[4]) < ttl then redis.call('PEXPIRE', KEYS[4], fmt(ttl)) end
end
-- Expired reservations stop counting here; the readable ones move to 'gone' for the sweep to return.
local function drop_expired(L, now)
  local ttl = redis.call('PTTL', KEYS[2])
  local moved = false
  while true do
    local ms = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', fmt(now), 'LIMIT', 0, DROP_BATCH)
    if #ms == 0 then break end
    local ids = {}
    for i = 1, #ms do
      local b, id = split_member(ms[i])
      L.rsv = L.rsv - b
      ids[i] = id
    end
    local vs = redis.call('HMGET', KEYS[3], unpack(ids))
    local kept = {}
    for i = 1, #ids do
      local v = vs[i]
      if v then
        local _, _, flag = split_entry(v)
        if flag == 's' then
          kept[#kept + 1] = ids[i]
          kept[#kept + 1] = v
        end
      end
    end
    if #kept > 0 then
      redis.call('HSET', KEYS[4], unpack(kept))
      moved = true
    end
    redis.call('ZREM', KEYS[2], unpack(ms))
    redis.call('HDEL', KEYS[3], unpack(ids))
    L.n, L.dirty = L.n - #ms, true
  end
  if moved then keep_gone(ttl) end
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
