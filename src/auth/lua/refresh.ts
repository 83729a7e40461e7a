/**
 * Lua scripts of the Redis refresh store. A family is one hash, so rotation with reuse detection is one
 * script on one key: Redis runs scripts one at a time, so of two concurrent refreshes with the same token
 * exactly one rotates and the other can take the grace path once.
 *
 * Family hash fields: uid, gen (current generation), rot (ms of the last rotation), grace (1 = the grace
 * use of the previous generation is spent), rev (1 = revoked), exp (ms, end of life), and one field
 * `t:<token hash>` per token ever issued, holding the generation it was issued at.
 */
import { type ReplyDecoder, ReplyShapeError, reply } from '../../core/redis/reply.js';
import { defineScript, SERVER_TIME } from '../../core/redis/script.js';
import { FIRST_GENERATION, ROTATION } from '../store-constants.js';
import type { RefreshRotation } from '../types.js';

const TIME_ARG = "now: epoch ms, or REDIS_TIME ('') to read Redis TIME";

/** Creates a family hash with its first token and its TTL. */
export const createFamilyScript = defineScript({
  name: 'auth-refresh-create',
  summary: 'creates a family hash with its first token, expiring at the end of its lifetime',
  keys: ['family: the family hash'],
  args: ['userId: the owner', 'tokenHash: hash of the first token', TIME_ARG, 'expiresAtMs: end of life'],
  returns: '1 when created, 0 when the lifetime is already over',
  constants: { FIRST_GENERATION },
  uses: [SERVER_TIME],
  body: `
local now = now_ms(ARGV[3])
local ttl = tonumber(ARGV[4]) - now
if ttl <= 0 then return 0 end
redis.call('HSET', KEYS[1], 'uid', ARGV[1], 'gen', FIRST_GENERATION, 'rot', fmt(now), 'grace', 1, 'rev', 0,
  'exp', ARGV[4], 't:' .. ARGV[2], FIRST_GENERATION)
redis.call('PEXPIRE', KEYS[1], ttl)
return 1`,
  reply: reply.flag,
});

const rotationStatus = reply.literal(
  ROTATION.ROTATED,
  ROTATION.GRACE,
  ROTATION.REUSED,
  ROTATION.REVOKED,
  ROTATION.EXPIRED,
  ROTATION.UNKNOWN,
);

/** `{status, userId?, expiresAtMs?}` as a {@link RefreshRotation}; a field missing for its status is a shape error. */
const rotationReply: ReplyDecoder<RefreshRotation> = reply.map(
  reply.headAndRest([rotationStatus], reply.string),
  ({ head: [status], rest }, path) => {
    const want = status === 'rotated' || status === 'grace' ? 2 : status === 'reused' ? 1 : 0;
    if (rest.length !== want) throw new ReplyShapeError(path, `array(${want + 1}) for ${status}`, rest);
    if (status === 'rotated' || status === 'grace') {
      return { status, userId: rest[0] as string, expiresAtMs: reply.numeric(rest[1], `${path}[2]`) };
    }
    if (status === 'reused') return { status, userId: rest[0] as string };
    return { status };
  },
);

/** Rotates, takes the grace path once, or detects reuse and revokes: the whole decision, atomically. */
export const rotateScript = defineScript({
  name: 'auth-refresh-rotate',
  summary: 'rotates a family, takes the grace path once, or detects reuse and revokes the family',
  keys: ['family: the family hash'],
  args: [
    'presentedHash: hash of the presented token',
    'nextHash: hash of the token to issue',
    TIME_ARG,
    'graceMs: grace window',
  ],
  returns: '{status, userId, expiresAtMs} (rotated, grace), {status, userId} (reused), {status} otherwise',
  constants: { ...ROTATION },
  uses: [SERVER_TIME],
  body: `
local f = redis.call('HMGET', KEYS[1], 'uid', 'gen', 'rot', 'grace', 'rev', 'exp')
if not f[1] then return {UNKNOWN} end
local now = now_ms(ARGV[3])
if now >= tonumber(f[6]) then
  redis.call('DEL', KEYS[1])
  return {EXPIRED}
end
if f[5] == '1' then return {REVOKED} end
local issuedAt = redis.call('HGET', KEYS[1], 't:' .. ARGV[1])
if not issuedAt then return {UNKNOWN} end
local gen = tonumber(f[2])
local g = tonumber(issuedAt)
if g == gen then
  redis.call('HSET', KEYS[1], 'gen', gen + 1, 'rot', fmt(now), 'grace', 0, 't:' .. ARGV[2], gen + 1)
  return {ROTATED, f[1], f[6]}
end
if g == gen - 1 and now - tonumber(f[3]) < tonumber(ARGV[4]) and f[4] == '0' then
  redis.call('HSET', KEYS[1], 'grace', 1, 't:' .. ARGV[2], gen)
  return {GRACE, f[1], f[6]}
end
redis.call('HSET', KEYS[1], 'rev', 1)
return {REUSED, f[1]}`,
  reply: rotationReply,
});

/** Revokes a live family (optionally only for a holder of one of its tokens). */
export const revokeFamilyScript = defineScript({
  name: 'auth-refresh-revoke',
  summary: 'revokes a live family, optionally only for a holder of one of its tokens',
  keys: ['family: the family hash'],
  args: [TIME_ARG, "tokenHash: a token the caller must hold ('' = none required)"],
  returns: '1 when a live family was revoked, else 0',
  uses: [SERVER_TIME],
  body: `
local f = redis.call('HMGET', KEYS[1], 'rev', 'exp')
if not f[1] then return 0 end
if now_ms(ARGV[1]) >= tonumber(f[2]) then
  redis.call('DEL', KEYS[1])
  return 0
end
if f[1] == '1' then return 0 end
if ARGV[2] ~= '' and redis.call('HEXISTS', KEYS[1], 't:' .. ARGV[2]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'rev', 1)
return 1`,
  reply: reply.flag,
});

/** Adds a family id to its user's set and stretches the set's TTL. */
export const indexAddScript = defineScript({
  name: 'auth-refresh-index-add',
  summary: "adds a family id to its user's set; the set lives as long as its longest-lived member",
  keys: ["families: the set of a user's family ids"],
  args: ['familyId: the member', TIME_ARG, 'expiresAtMs: end of life of the member'],
  returns: '1',
  uses: [SERVER_TIME],
  body: `
redis.call('SADD', KEYS[1], ARGV[1])
local ttl = tonumber(ARGV[3]) - now_ms(ARGV[2])
if ttl > 0 and redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
return 1`,
  reply: reply.ignore,
});

/** Lists a user's family ids. */
export const indexMembersScript = defineScript({
  name: 'auth-refresh-index-members',
  summary: "lists a user's family ids",
  keys: ["families: the set of a user's family ids"],
  args: [],
  returns: 'the family ids',
  body: `return redis.call('SMEMBERS', KEYS[1])`,
  reply: reply.array(reply.string),
});
