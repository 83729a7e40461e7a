/**
 * The sweep index of the Redis quota store: which owners may hold expired reservations. Two keys under
 * one fixed hash tag (`{sweep}`, so one slot, on one node of a Cluster):
 *
 * - KEYS[1] `idx`: zset, member = owner, score = a lower bound of the owner's earliest expiry (ms);
 * - KEYS[2] `ver`: hash, owner -> the highest ledger version `v` of a reserve that indexed itself.
 *
 * A reserve runs its owner script first and indexes itself second (`indexAddScript`, `ZADD LT`), because
 * an owner's keys and the index live in different slots. A sweep reads due owners, runs the owner's
 * sweep script (which reports the version it saw and the next expiry), then `indexFixScript` sets the
 * exact next expiry only when no reserve newer than that version has indexed itself meanwhile, and
 * otherwise only lowers the score: an entry is never raised past a reservation it did not see, so two
 * sweepers and concurrent reserves cannot lose one. Settles, releases and lazy drops leave the score low
 * (a wasted visit, fixed by it). Both keys get a TTL past the newest reservation they index.
 */
import { reply } from '../core/redis/reply.js';
import { defineScript, type LuaChunk } from '../core/redis/script.js';
import { QUOTA_KEY_GRACE_MS } from './redis-quota-ledger.js';

const INDEX_KEYS = [
  'idx: zset owner -> lower bound of its earliest expiry ms',
  'ver: hash owner -> highest indexed reserve version',
];

const INDEX_TTL: LuaChunk = {
  name: 'quota-index-ttl',
  constants: { QUOTA_KEY_GRACE_MS },
  source: `
local function fmt(x) return string.format('%d', x) end
local function extend(key, ttl)
  local want = ttl + QUOTA_KEY_GRACE_MS
  if redis.call('PTTL', key) < want then redis.call('PEXPIRE', key, fmt(want)) end
end
`,
};

/** Indexes a new reservation. */
export const indexAddScript = defineScript({
  name: 'uploads-quota-index-add',
  summary: "lowers the owner's index score to the new expiry and records the reserve's version",
  keys: INDEX_KEYS,
  args: ['owner', 'expiry: ms', 'version: the reserve ledger version', 'ttlMs: the reservation ttl'],
  returns: '1',
  uses: [INDEX_TTL],
  body: `
redis.call('ZADD', KEYS[1], 'LT', ARGV[2], ARGV[1])
local seen = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
if tonumber(ARGV[3]) > seen then redis.call('HSET', KEYS[2], ARGV[1], ARGV[3]) end
local ttl = tonumber(ARGV[4])
extend(KEYS[1], ttl)
extend(KEYS[2], ttl)
return 1`,
  reply: reply.ignore,
});

/** Lists owners whose index score is due. */
export const indexDueScript = defineScript({
  name: 'uploads-quota-index-due',
  summary: 'lists owners whose earliest expiry may have passed, lowest score first',
  keys: INDEX_KEYS,
  args: ['nowMs', 'count'],
  returns: 'owners',
  body: `return redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))`,
  reply: reply.array(reply.string),
});

/** Sets an owner's index entry after its sweep. */
export const indexFixScript = defineScript({
  name: 'uploads-quota-index-fix',
  summary: "sets an owner's score to its next expiry (or removes it) unless a newer reserve indexed itself",
  keys: INDEX_KEYS,
  args: ['owner', 'version: the ledger version the sweep saw', 'next: the next expiry ms, or -1 for none'],
  returns: '1',
  body: `
local seen = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
local nextMs = tonumber(ARGV[3])
if seen > tonumber(ARGV[2]) then
  if nextMs >= 0 then redis.call('ZADD', KEYS[1], 'LT', ARGV[3], ARGV[1]) end
elseif nextMs < 0 then
  redis.call('ZREM', KEYS[1], ARGV[1])
  redis.call('HDEL', KEYS[2], ARGV[1])
else
  redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
end
return 1`,
  reply: reply.ignore,
});
