/**
 * Lua scripts of the Redis accounts store's tokens. Every token key of one store (records and pointers)
 * shares one hash tag, so a script can follow a pointer to its record, or a record to its pointer, in one
 * slot. Those keys are built inside the script from a prefix passed in ARGV (as the job scripts do with
 * job hashes); they are in the slot of the declared keys, which Redis Cluster allows.
 *
 * Record hash fields: u (user id), e (email), v (credentials version), i (issued at, ms), x (expires at,
 * ms), o (the pointer's last key part, so consume can find the pointer). Pointer value: the token hash.
 * Decisions compare `x` with the script's time; the key TTLs (`ttlMs + EXPIRED_RETENTION_MS`) only
 * collect garbage, so a manual clock drives this store as it drives the memory one.
 */
import { type ReplyDecoder, ReplyShapeError, reply } from '../../core/redis/reply.js';
import { defineScript, SERVER_TIME } from '../../core/redis/script.js';
import { EXPIRED_RETENTION_MS, TOKEN_STATUS } from '../store-constants.js';
import type { TokenBinding } from '../types.js';

const NOW = "now: epoch ms, or REDIS_TIME ('') to read Redis TIME";

/** Issues a token: drops the user's previous one of the kind, writes the record and the pointer. */
export const issueTokenScript = defineScript({
  name: 'accounts-token-issue',
  summary:
    "deletes the user's outstanding token of the kind, writes the new record and points the user at it",
  keys: ['record: the new token record (hash)', "pointer: the user's outstanding token of the kind"],
  args: [
    NOW,
    'userId: the owner',
    'email: the bound email',
    'credentialsVersion: the bound version',
    'ttlMs: lifetime',
    'recordPrefix: key of a record of this kind = recordPrefix .. hash',
    'tokenHash: the hash of the new token',
    "pointerPart: the pointer key's last part (stored in the record)",
    "payload: opaque data kept with the token ('' for none)",
  ],
  returns: '{1 if a live token was replaced else 0, issuedAtMs}',
  constants: { EXPIRED_RETENTION_MS },
  uses: [SERVER_TIME],
  body: `
local now = now_ms(ARGV[1])
local ttl = tonumber(ARGV[5])
local keep = ttl + EXPIRED_RETENTION_MS
local replaced = 0
local old = redis.call('GET', KEYS[2])
if old then
  local oldKey = ARGV[6] .. old
  local f = redis.call('HMGET', oldKey, 'u', 'x')
  if f[1] == ARGV[2] then
    if now < tonumber(f[2]) then replaced = 1 end
    redis.call('DEL', oldKey)
  end
end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'u', ARGV[2], 'e', ARGV[3], 'v', ARGV[4], 'i', fmt(now), 'x', fmt(now + ttl),
  'o', ARGV[8], 'p', ARGV[9])
redis.call('PEXPIRE', KEYS[1], keep)
redis.call('SET', KEYS[2], ARGV[7], 'PX', keep)
return {replaced, now}`,
  reply: reply.tuple(reply.flag, reply.integer),
});

/** A stored token as the lookup script returns it (the kind comes from the request). */
export interface StoredToken extends TokenBinding {
  readonly issuedAtMs: number;
  readonly expiresAtMs: number;
  readonly payload?: string;
}

/** What the lookup script decodes to. */
export type StoredLookup =
  | { readonly status: typeof TOKEN_STATUS.VALID | typeof TOKEN_STATUS.EXPIRED; readonly token: StoredToken }
  | { readonly status: typeof TOKEN_STATUS.MISSING };

/** A safe integer sent as a decimal string. */
const integerText: ReplyDecoder<number> = reply.map(reply.numeric, (n, path) => {
  if (!Number.isSafeInteger(n)) throw new ReplyShapeError(path, 'integer string', n);
  return n;
});

const storedToken: ReplyDecoder<StoredToken> = reply.map(
  reply.tuple(reply.string, reply.string, integerText, integerText, integerText, reply.string),
  ([userId, email, credentialsVersion, issuedAtMs, expiresAtMs, payload]) => ({
    userId,
    email,
    credentialsVersion,
    issuedAtMs,
    expiresAtMs,
    ...(payload === '' ? {} : { payload }),
  }),
);

const lookupReply: ReplyDecoder<StoredLookup> = reply.map(
  reply.headAndRest(
    [reply.literal(TOKEN_STATUS.VALID, TOKEN_STATUS.EXPIRED, TOKEN_STATUS.MISSING)],
    (value: unknown) => value,
  ),
  ({ head: [status], rest }, path): StoredLookup => {
    if (status === TOKEN_STATUS.MISSING) {
      if (rest.length !== 0) throw new ReplyShapeError(path, 'array(1) for missing', rest);
      return { status };
    }
    return { status, token: storedToken(rest, `${path}[1..]`) };
  },
);

/** Reads a token and, when asked, deletes it and its pointer (if that still points at it). */
export const lookupTokenScript = defineScript({
  name: 'accounts-token-lookup',
  summary:
    'reads a token record; to consume, deletes it and the pointer that still points at it, in one step',
  keys: ['record: the token record (hash)'],
  args: [
    NOW,
    "consume: '1' to delete (get-and-delete), '0' to only read",
    'pointerPrefix: key of a pointer of this kind = pointerPrefix .. the record field o',
    'tokenHash: the hash the record is stored under',
  ],
  returns:
    '{status, userId, email, credentialsVersion, issuedAtMs, expiresAtMs, payload or ""}, or {MISSING}',
  constants: { EXPIRED_RETENTION_MS, ...TOKEN_STATUS },
  uses: [SERVER_TIME],
  body: `
local f = redis.call('HMGET', KEYS[1], 'u', 'e', 'v', 'i', 'x', 'o', 'p')
if not f[1] then return {MISSING} end
local x = tonumber(f[5])
local now = now_ms(ARGV[1])
if ARGV[2] == '1' then
  redis.call('DEL', KEYS[1])
  local pointer = ARGV[3] .. f[6]
  if redis.call('GET', pointer) == ARGV[4] then redis.call('DEL', pointer) end
end
if now >= x + EXPIRED_RETENTION_MS then return {MISSING} end
local status = VALID
if now >= x then status = EXPIRED end
return {status, f[1], f[2], f[3], f[4], f[5], f[7] or ''}`,
  reply: lookupReply,
});

/** Deletes a user's pointers and the records they point at (when still the user's). */
export const revokeTokensScript = defineScript({
  name: 'accounts-token-revoke',
  summary: "deletes a user's outstanding-token pointers and the records they point at",
  keys: { variadic: "pointer of each kind to revoke (the user's outstanding token of that kind)" },
  args: {
    variadic:
      "now (epoch ms, or REDIS_TIME ''), userId, then per pointer its recordPrefix (record key = recordPrefix .. hash)",
  },
  returns: 'how many live (unexpired) tokens were deleted',
  uses: [SERVER_TIME],
  body: `
local now = now_ms(ARGV[1])
local count = 0
for i, pointer in ipairs(KEYS) do
  local hash = redis.call('GET', pointer)
  if hash then
    redis.call('DEL', pointer)
    local record = ARGV[i + 2] .. hash
    local f = redis.call('HMGET', record, 'u', 'x')
    if f[1] == ARGV[2] then
      redis.call('DEL', record)
      if now < tonumber(f[2]) then count = count + 1 end
    end
  end
end
return count`,
  reply: reply.integer,
});
