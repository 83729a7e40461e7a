/**
 * Lua scripts of the Redis accounts store's cooldowns and mail records. Each key has its own hash tag.
 * Deadlines are stored in the values and compared with the script's time; the key TTLs only collect
 * garbage, so a manual clock drives this store as it drives the memory one.
 *
 * Cooldown value: its end, epoch ms. Mail hash fields: j (the record's fields as JSON, written by the
 * store), at (updated at, ms), x (expires at, ms).
 */
import { type ReplyDecoder, ReplyShapeError, reply } from '../../core/redis/reply.js';
import { defineScript, SERVER_TIME } from '../../core/redis/script.js';
import { checkMailFields, type MailFields } from '../store-input.js';
import type { CooldownReply } from '../types.js';

const NOW = "now: epoch ms, or REDIS_TIME ('') to read Redis TIME";

/** Takes a cooldown when none is running. */
export const acquireCooldownScript = defineScript({
  name: 'accounts-cooldown-acquire',
  summary: 'takes a cooldown (stores its end with a TTL) unless one is running',
  keys: ['cooldown: the end of the running cooldown, epoch ms'],
  args: [NOW, 'cooldownMs: its length'],
  returns: '{1, 0} when taken, {0, ms until the running one ends} otherwise',
  uses: [SERVER_TIME],
  body: `
local now = now_ms(ARGV[1])
local ends = tonumber(redis.call('GET', KEYS[1]) or '0')
if ends > now then return {0, ends - now} end
local length = tonumber(ARGV[2])
redis.call('SET', KEYS[1], fmt(now + length), 'PX', length)
return {1, 0}`,
  reply: reply.map(
    reply.tuple(reply.flag, reply.integer),
    ([acquired, retryAfterMs]): CooldownReply => ({ acquired, retryAfterMs }),
  ),
});

/** Writes (or overwrites) a mail record, stamped with the script's time. */
export const putMailScript = defineScript({
  name: 'accounts-mail-put',
  summary: 'writes a mail record stamped with the store time, expiring after its TTL',
  keys: ['mail: the mail record (hash)'],
  args: [NOW, 'fields: the record fields (JSON)', 'ttlMs: how long it is kept'],
  returns: '1',
  uses: [SERVER_TIME],
  body: `
local now = now_ms(ARGV[1])
local ttl = tonumber(ARGV[3])
redis.call('HSET', KEYS[1], 'j', ARGV[2], 'at', fmt(now), 'x', fmt(now + ttl))
redis.call('PEXPIRE', KEYS[1], ttl)
return 1`,
  reply: reply.ignore,
});

/** The stored fields, checked again on the way out (a key written by something else is a shape error). */
const mailFields: ReplyDecoder<MailFields> = (value, path) => {
  try {
    return checkMailFields(value);
  } catch (error) {
    throw new ReplyShapeError(path, `a mail record (${(error as Error).message})`, value);
  }
};

/** A live mail record: its fields and when it was written. */
export interface StoredMail {
  readonly fields: MailFields;
  readonly updatedAtMs: number;
}

const storedMail: ReplyDecoder<StoredMail | undefined> = (value, path) => {
  if (Array.isArray(value) && value.length === 0) return undefined;
  const [fields, updatedAtMs] = reply.tuple(reply.json(mailFields), reply.numeric)(value, path);
  return { fields, updatedAtMs };
};

/** Reads a mail record that has not expired. */
export const getMailScript = defineScript({
  name: 'accounts-mail-get',
  summary: 'reads a mail record that has not expired',
  keys: ['mail: the mail record (hash)'],
  args: [NOW],
  returns: '{fields (JSON), updatedAtMs}, or {} when absent or expired',
  uses: [SERVER_TIME],
  body: `
local f = redis.call('HMGET', KEYS[1], 'j', 'at', 'x')
if not f[1] then return {} end
if now_ms(ARGV[1]) >= tonumber(f[3]) then return {} end
return {f[1], f[2]}`,
  reply: storedMail,
});
