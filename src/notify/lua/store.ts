/**
 * Lua scripts of the Redis notify store. Instants that decide behaviour (a claim's end, a digest
 * buffer's end) are stored in the values and compared with the script's time, so a manual clock drives
 * Redis as it drives memory; key TTLs (`GC_GRACE_MS` later) only collect garbage.
 */
import { type ReplyDecoder, ReplyShapeError, reply } from '../../core/redis/reply.js';
import { defineScript, SERVER_TIME } from '../../core/redis/script.js';
import { GC_GRACE_MS, TRANSITIONS_TEXT } from '../constants.js';
import type { ClaimReply } from '../types.js';

const NOW = "now: epoch ms, or REDIS_TIME ('') to read Redis TIME";

/** Sets one preference field. */
export const setPreferenceScript = defineScript({
  name: 'notify-pref-set',
  summary: "sets one opt-out field of a user's preference hash",
  keys: ['prefs: the user preference hash'],
  args: ['field: <channel>:<category>', "value: '1' opted out, '0' opted in"],
  returns: '1',
  body: `redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1`,
  reply: reply.ignore,
});

/** Reads a user's preferences. */
export const getPreferencesScript = defineScript({
  name: 'notify-pref-get',
  summary: "reads a user's preference hash",
  keys: ['prefs: the user preference hash'],
  args: [],
  returns: 'field/value pairs',
  body: `return redis.call('HGETALL', KEYS[1])`,
  reply: reply.pairs(reply.string),
});

/** Adds or replaces a suppression, stamped with the store's time. */
export const suppressScript = defineScript({
  name: 'notify-suppress',
  summary: 'stores a suppression with its reason and the store time',
  keys: ['entry: the suppression of one channel and recipient'],
  args: [NOW, 'reason: bounced | complained | manual'],
  returns: '1',
  uses: [SERVER_TIME],
  body: `redis.call('HSET', KEYS[1], 'reason', ARGV[2], 'at', fmt(now_ms(ARGV[1])))
return 1`,
  reply: reply.ignore,
});

/** Reads a suppression. */
export const getSuppressionScript = defineScript({
  name: 'notify-suppression-get',
  summary: 'reads a suppression',
  keys: ['entry: the suppression of one channel and recipient'],
  args: [],
  returns: '{reason, at} or nils',
  body: `return redis.call('HMGET', KEYS[1], 'reason', 'at')`,
  reply: reply.tuple(reply.nullable(reply.string), reply.nullable(reply.numeric)),
});

/** Deletes a key (a suppression). */
export const deleteScript = defineScript({
  name: 'notify-delete',
  summary: 'deletes one key',
  keys: ['entry: the key to delete'],
  args: [],
  returns: '1 when it existed',
  body: `return redis.call('DEL', KEYS[1])`,
  reply: reply.flag,
});

const claimReply: ReplyDecoder<ClaimReply> = reply.map(reply.array(reply.string), (parts, path) => {
  const [status, value] = parts;
  if (status === 'claimed' || status === 'mismatch') return { status };
  if (status === 'done' && value !== undefined) return { status, resultJson: value };
  const expiresAtMs = Number(value);
  if (status === 'in-progress' && Number.isSafeInteger(expiresAtMs)) return { status, expiresAtMs };
  throw new ReplyShapeError(path, 'a claim reply', parts);
});

/** Claims an idempotency key, or reports its state (done, in progress, or another fingerprint). */
export const claimScript = defineScript({
  name: 'notify-idem-claim',
  summary: 'claims an idempotency key unless a live claim or outcome holds it',
  keys: ['claim: the idempotency hash (f fingerprint, t token, u until, r result)'],
  args: [NOW, 'fingerprint', 'token', 'ttlMs: how long the in-progress claim holds'],
  returns: "{'claimed'} | {'in-progress', until} | {'done', result} | {'mismatch'}",
  constants: { GC_GRACE_MS },
  uses: [SERVER_TIME],
  body: `
local now = now_ms(ARGV[1])
local h = redis.call('HMGET', KEYS[1], 'f', 'u', 'r')
if h[1] and tonumber(h[2]) > now then
  if h[1] ~= ARGV[2] then return {'mismatch'} end
  if h[3] then return {'done', h[3]} end
  return {'in-progress', h[2]}
end
local ttl = tonumber(ARGV[4])
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'f', ARGV[2], 't', ARGV[3], 'u', fmt(now + ttl))
redis.call('PEXPIRE', KEYS[1], ttl + GC_GRACE_MS)
return {'claimed'}`,
  reply: claimReply,
});

/** Stores the outcome of a claim still held by the token (even lapsed, while nobody took it). */
export const completeScript = defineScript({
  name: 'notify-idem-complete',
  summary: 'stores the outcome of a claim still held by its token and keeps it for ttlMs',
  keys: ['claim: the idempotency hash'],
  args: [NOW, 'token', 'result: JSON text', 'ttlMs: how long the outcome is kept'],
  returns: '1 when stored, 0 when the claim is not this token',
  constants: { GC_GRACE_MS },
  uses: [SERVER_TIME],
  body: `
local h = redis.call('HMGET', KEYS[1], 't', 'r')
if h[1] ~= ARGV[2] or h[2] then return 0 end
local ttl = tonumber(ARGV[4])
redis.call('HSET', KEYS[1], 'r', ARGV[3], 'u', fmt(now_ms(ARGV[1]) + ttl))
redis.call('PEXPIRE', KEYS[1], ttl + GC_GRACE_MS)
return 1`,
  reply: reply.flag,
});

/** Deletes a claim still held by the token and not completed. */
export const releaseScript = defineScript({
  name: 'notify-idem-release',
  summary: 'deletes an unfinished claim held by the token',
  keys: ['claim: the idempotency hash'],
  args: ['token'],
  returns: '1 when deleted',
  body: `
local h = redis.call('HMGET', KEYS[1], 't', 'r')
if h[1] ~= ARGV[1] or h[2] then return 0 end
redis.call('DEL', KEYS[1])
return 1`,
  reply: reply.flag,
});

/** Creates a delivery record at `sent` and its provider-id index. */
export const putDeliveryScript = defineScript({
  name: 'notify-delivery-put',
  summary: 'creates a delivery record at sent, with an expiry instant, and indexes its provider id',
  keys: ['record: the delivery hash'],
  args: [NOW, 'fields: JSON of the fixed fields', 'ttlMs'],
  returns: '1',
  constants: { GC_GRACE_MS },
  uses: [SERVER_TIME],
  body: `
local now = now_ms(ARGV[1])
local ttl = tonumber(ARGV[3])
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'j', ARGV[2], 's', 'sent', 'c', fmt(now), 'm', fmt(now), 'x', fmt(now + ttl))
redis.call('PEXPIRE', KEYS[1], ttl + GC_GRACE_MS)
return 1`,
  reply: reply.ignore,
});

/** Sets the provider-id index of a record (its own slot, so its own script). */
export const putIndexScript = defineScript({
  name: 'notify-delivery-index',
  summary: 'maps a provider message id to the notifier message id until the record expires',
  keys: ['index: the provider id index entry'],
  args: ['messageId', 'ttlMs'],
  returns: '1',
  constants: { GC_GRACE_MS },
  body: `redis.call('SET', KEYS[1], ARGV[1], 'PX', tonumber(ARGV[2]) + GC_GRACE_MS)
return 1`,
  reply: reply.ignore,
});

/** Reads the index entry. */
export const getIndexScript = defineScript({
  name: 'notify-delivery-index-get',
  summary: 'reads a provider id index entry',
  keys: ['index: the provider id index entry'],
  args: [],
  returns: 'the message id, or nil',
  body: `return redis.call('GET', KEYS[1])`,
  reply: reply.nullable(reply.string),
});

const RECORD_FIELDS = "{'j', 's', 'c', 'm', 'x', 'reason'}";

/** The reply of a record read: `[outcome, j, s, c, m, reason]`. */
export const recordReply = reply.tuple(
  reply.string,
  reply.nullable(reply.string),
  reply.nullable(reply.string),
  reply.nullable(reply.numeric),
  reply.nullable(reply.numeric),
  reply.nullable(reply.string),
);

/** Reads a live record. */
export const getDeliveryScript = defineScript({
  name: 'notify-delivery-get',
  summary: 'reads a delivery record that has not expired',
  keys: ['record: the delivery hash'],
  args: [NOW],
  returns: "{'found' | 'unknown', fields json, status, created, updated, reason}",
  uses: [SERVER_TIME],
  body: `
local h = redis.call('HMGET', KEYS[1], unpack(${RECORD_FIELDS}))
if not h[1] or tonumber(h[5]) <= now_ms(ARGV[1]) then return {'unknown', false, false, false, false, false} end
return {'found', h[1], h[2], h[3], h[4], h[6]}`,
  reply: recordReply,
});

/** Moves a record along the status machine. */
export const updateDeliveryScript = defineScript({
  name: 'notify-delivery-update',
  summary: 'applies a provider event to a live record when the status machine allows the move',
  keys: ['record: the delivery hash'],
  args: [NOW, 'status: the new status', 'atMs: the event time', "reason: text, or ''"],
  returns: "{'updated' | 'ignored' | 'unknown', fields json, status, created, updated, reason}",
  constants: { TRANSITIONS_TEXT },
  uses: [SERVER_TIME],
  body: `
local h = redis.call('HMGET', KEYS[1], unpack(${RECORD_FIELDS}))
if not h[1] or tonumber(h[5]) <= now_ms(ARGV[1]) then return {'unknown', false, false, false, false, false} end
if not string.find(TRANSITIONS_TEXT, ' ' .. h[2] .. ':' .. ARGV[2] .. ' ', 1, true) then
  return {'ignored', h[1], h[2], h[3], h[4], h[6]}
end
redis.call('HSET', KEYS[1], 's', ARGV[2], 'm', ARGV[3])
local reason = h[6]
if ARGV[4] ~= '' then
  redis.call('HSET', KEYS[1], 'reason', ARGV[4])
  reason = ARGV[4]
end
return {'updated', h[1], ARGV[2], h[3], ARGV[3], reason}`,
  reply: recordReply,
});

/** Appends to a digest buffer, opening it (and reporting `first`) when none is live. */
export const appendDigestScript = defineScript({
  name: 'notify-digest-append',
  summary: 'appends an item to a digest buffer (kept up to maxItems, always counted)',
  keys: ['items: the buffer list', 'meta: the buffer hash (n count, x end)'],
  args: [NOW, 'item: JSON text', 'maxItems', 'ttlMs: lifetime of a new buffer'],
  returns: '{1 if this item opened the buffer else 0, count}',
  constants: { GC_GRACE_MS },
  uses: [SERVER_TIME],
  body: `
local now = now_ms(ARGV[1])
local x = redis.call('HGET', KEYS[2], 'x')
local first = 0
if not x or tonumber(x) <= now then
  local ttl = tonumber(ARGV[4])
  redis.call('DEL', KEYS[1], KEYS[2])
  redis.call('HSET', KEYS[2], 'x', fmt(now + ttl), 'n', 0)
  redis.call('PEXPIRE', KEYS[2], ttl + GC_GRACE_MS)
  first = 1
end
local n = redis.call('HINCRBY', KEYS[2], 'n', 1)
if redis.call('LLEN', KEYS[1]) < tonumber(ARGV[3]) then
  redis.call('RPUSH', KEYS[1], ARGV[2])
  redis.call('PEXPIRE', KEYS[1], redis.call('PTTL', KEYS[2]))
end
return {first, n}`,
  reply: reply.tuple(reply.flag, reply.integer),
});

/** Removes and returns a live digest buffer. */
export const takeDigestScript = defineScript({
  name: 'notify-digest-take',
  summary: 'removes a digest buffer and returns its count and items (nothing when it expired)',
  keys: ['items: the buffer list', 'meta: the buffer hash'],
  args: [NOW],
  returns: '{count, item...}',
  uses: [SERVER_TIME],
  body: `
local h = redis.call('HMGET', KEYS[2], 'x', 'n')
local out = {0}
if h[1] and tonumber(h[1]) > now_ms(ARGV[1]) then
  out = redis.call('LRANGE', KEYS[1], 0, -1)
  table.insert(out, 1, tonumber(h[2]))
end
redis.call('DEL', KEYS[1], KEYS[2])
return out`,
  reply: reply.headAndRest([reply.integer], reply.string),
});

/** Adds to the current reputation bucket. */
export const addReputationScript = defineScript({
  name: 'notify-reputation-add',
  summary: 'adds sends and complaints to the bucket of the current window',
  keys: ['base: the reputation key prefix (one hash tag)'],
  args: [NOW, 'windowMs', 'sent', 'complained'],
  returns: '1',
  constants: { GC_GRACE_MS },
  uses: [SERVER_TIME],
  body: `
local w = tonumber(ARGV[2])
local key = KEYS[1] .. ':' .. w .. ':' .. fmt(math.floor(now_ms(ARGV[1]) / w))
redis.call('HINCRBY', key, 'sent', ARGV[3])
redis.call('HINCRBY', key, 'complained', ARGV[4])
redis.call('PEXPIRE', key, 2 * w + GC_GRACE_MS)
return 1`,
  reply: reply.ignore,
});

/** Reads the current and previous reputation buckets. */
export const reputationScript = defineScript({
  name: 'notify-reputation-read',
  summary: 'sums sends and complaints of the current and the previous window',
  keys: ['base: the reputation key prefix (one hash tag)'],
  args: [NOW, 'windowMs'],
  returns: '{sent, complained}',
  uses: [SERVER_TIME],
  body: `
local w = tonumber(ARGV[2])
local b = math.floor(now_ms(ARGV[1]) / w)
local sent, complained = 0, 0
for i = 0, 1 do
  local h = redis.call('HMGET', KEYS[1] .. ':' .. w .. ':' .. fmt(b - i), 'sent', 'complained')
  sent = sent + tonumber(h[1] or '0')
  complained = complained + tonumber(h[2] or '0')
end
return {sent, complained}`,
  reply: reply.tuple(reply.integer, reply.integer),
});
