/**
 * Lua scripts of the Redis session store. A session is one hash under its own hash tag; a user's index
 * is a sorted set (score = absolute deadline) under the user's tag. Each script touches one slot; the
 * store orders the steps so the index may point at a missing session, never the reverse.
 *
 * Session hash fields: uid, data (JSON), created, last, idle, abs (ms).
 */
import { type ReplyDecoder, ReplyShapeError, reply } from '../../core/redis/reply.js';
import { defineScript, SERVER_TIME } from '../../core/redis/script.js';
import { SESSION_STATUS } from '../store-constants.js';
import type { SessionRecord } from '../types.js';

const TIME_ARG = "now: epoch ms, or REDIS_TIME ('') to read Redis TIME";

/** A session's fields without its id, as the scripts return them. */
export type SessionFields = Omit<SessionRecord, 'id'>;

const dataObject: ReplyDecoder<Readonly<Record<string, unknown>>> = (value, path) => {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ReplyShapeError(path, 'JSON object', value);
  }
  return value as Record<string, unknown>;
};

/** `{uid, data, created, last, idle, abs}` of a session hash. */
const sessionFields: ReplyDecoder<SessionFields> = reply.map(
  reply.tuple(
    reply.string,
    reply.json(dataObject),
    reply.numeric,
    reply.numeric,
    reply.numeric,
    reply.numeric,
  ),
  ([userId, data, createdAtMs, lastActiveAtMs, idleTimeoutMs, absoluteExpiresAtMs]) => ({
    userId,
    data,
    createdAtMs,
    lastActiveAtMs,
    idleTimeoutMs,
    absoluteExpiresAtMs,
  }),
);

const FIELDS = "'uid', 'data', 'created', 'last', 'idle', 'abs'";

/** Writes a session hash with a TTL of its nearer deadline. */
export const writeSessionScript = defineScript({
  name: 'auth-session-write',
  summary: 'writes a session hash expiring at its nearer deadline (idle or absolute)',
  keys: ['session: the session hash'],
  args: [
    'userId: the owner',
    'data: application data (JSON)',
    'createdAtMs: creation time',
    'lastActiveAtMs: last activity',
    'idleTimeoutMs: inactivity limit',
    'absoluteExpiresAtMs: absolute deadline',
    TIME_ARG,
  ],
  returns: '1 when written, 0 when already past a deadline',
  uses: [SERVER_TIME],
  body: `
local ttl = math.min(tonumber(ARGV[4]) + tonumber(ARGV[5]), tonumber(ARGV[6])) - now_ms(ARGV[7])
if ttl <= 0 then return 0 end
redis.call('HSET', KEYS[1], 'uid', ARGV[1], 'data', ARGV[2], 'created', ARGV[3], 'last', ARGV[4],
  'idle', ARGV[5], 'abs', ARGV[6])
redis.call('PEXPIRE', KEYS[1], ttl)
return 1`,
  reply: reply.ignore,
});

/** What `touch` decodes to: a status, and the fields when active. */
export type TouchReply =
  | { readonly status: typeof SESSION_STATUS.ACTIVE; readonly fields: SessionFields }
  | { readonly status: Exclude<(typeof SESSION_STATUS)[keyof typeof SESSION_STATUS], 'active'> };

const touchReplyChecked: ReplyDecoder<TouchReply> = reply.map(
  reply.headAndRest(
    [
      reply.literal(
        SESSION_STATUS.ACTIVE,
        SESSION_STATUS.UNKNOWN_SESSION,
        SESSION_STATUS.IDLE_TIMEOUT,
        SESSION_STATUS.ABSOLUTE_TIMEOUT,
      ),
    ],
    (value: unknown) => value,
  ),
  ({ head: [status], rest }, path): TouchReply => {
    if (status === SESSION_STATUS.ACTIVE) return { status, fields: sessionFields(rest, `${path}[1..]`) };
    if (rest.length !== 0) throw new ReplyShapeError(path, `array(1) for ${status}`, rest);
    return { status };
  },
);

const isNumeric = (value: unknown) =>
  typeof value === 'string' && Number.isFinite(Number(value)) && value !== '';

/**
 * The touch reply, decoded once per session validation (the hot path): the common active reply is
 * checked in one pass without intermediate arrays; anything else goes through the composed decoder,
 * which also names what is wrong.
 */
const touchReply: ReplyDecoder<TouchReply> = (value, path) => {
  if (Array.isArray(value) && value.length === 7 && value[0] === SESSION_STATUS.ACTIVE) {
    const [, userId, dataJson, created, last, idle, abs] = value as unknown[];
    if (typeof userId === 'string' && typeof dataJson === 'string' && isNumeric(created) && isNumeric(last)) {
      if (isNumeric(idle) && isNumeric(abs)) {
        let data: unknown;
        try {
          data = JSON.parse(dataJson);
        } catch {
          data = undefined;
        }
        if (typeof data === 'object' && data !== null && !Array.isArray(data)) {
          const fields: SessionFields = {
            userId,
            data: data as Record<string, unknown>,
            createdAtMs: Number(created),
            lastActiveAtMs: Number(last),
            idleTimeoutMs: Number(idle),
            absoluteExpiresAtMs: Number(abs),
          };
          return { status: SESSION_STATUS.ACTIVE, fields };
        }
      }
    }
  }
  return touchReplyChecked(value, path);
};

/** Validates a session and slides its idle deadline, or deletes it when expired. */
export const touchSessionScript = defineScript({
  name: 'auth-session-touch',
  summary: 'validates a session and slides its idle deadline, or deletes it when expired',
  keys: ['session: the session hash'],
  args: [TIME_ARG],
  returns: '{ACTIVE, uid, data, created, last, idle, abs} or {status} (unknown, idle or absolute timeout)',
  constants: { ...SESSION_STATUS },
  uses: [SERVER_TIME],
  body: `
local f = redis.call('HMGET', KEYS[1], ${FIELDS})
if not f[1] then return {UNKNOWN_SESSION} end
local now = now_ms(ARGV[1])
local idle = tonumber(f[5])
local abs = tonumber(f[6])
if now >= abs then
  redis.call('DEL', KEYS[1])
  return {ABSOLUTE_TIMEOUT}
end
if now - tonumber(f[4]) >= idle then
  redis.call('DEL', KEYS[1])
  return {IDLE_TIMEOUT}
end
redis.call('HSET', KEYS[1], 'last', fmt(now))
redis.call('PEXPIRE', KEYS[1], math.min(now + idle, abs) - now)
return {ACTIVE, f[1], f[2], f[3], fmt(now), f[5], f[6]}`,
  reply: touchReply,
});

/** Reads (and optionally deletes) a live session. */
export const takeSessionScript = defineScript({
  name: 'auth-session-take',
  summary: 'reads a live session and deletes it when asked; an expired one is deleted',
  keys: ['session: the session hash'],
  args: [TIME_ARG, "remove: '1' to delete, '0' to only read"],
  returns: '{uid, data, created, last, idle, abs} of a live session, or {} when absent or expired',
  uses: [SERVER_TIME],
  body: `
local f = redis.call('HMGET', KEYS[1], ${FIELDS})
if not f[1] then return {} end
local now = now_ms(ARGV[1])
local expired = now >= tonumber(f[6]) or now - tonumber(f[4]) >= tonumber(f[5])
if expired or ARGV[2] == '1' then redis.call('DEL', KEYS[1]) end
if expired then return {} end
return f`,
  reply: (value, path) =>
    Array.isArray(value) && value.length === 0 ? undefined : sessionFields(value, path),
});

/** Deletes a session and returns its user id (to update the index). */
export const deleteSessionScript = defineScript({
  name: 'auth-session-delete',
  summary: 'deletes a session hash',
  keys: ['session: the session hash'],
  args: [],
  returns: "the user id of the deleted session, or '' when absent",
  body: `
local uid = redis.call('HGET', KEYS[1], 'uid')
if not uid then return '' end
redis.call('DEL', KEYS[1])
return uid`,
  reply: reply.map(reply.string, (uid) => (uid === '' ? undefined : uid)),
});

/** Indexes a session under its user and evicts the oldest beyond the cap. */
export const indexAddSessionScript = defineScript({
  name: 'auth-session-index-add',
  summary: 'indexes a session under its user and evicts the oldest beyond the cap',
  keys: ["index: the user's session index (sorted set, score = absolute deadline ms)"],
  args: [
    'sessionId: the new session',
    'absoluteExpiresAtMs: its absolute deadline',
    TIME_ARG,
    'maxPerUser: the cap',
  ],
  returns: 'the ids evicted from the index (oldest deadlines first, never the new one)',
  uses: [SERVER_TIME],
  body: `
local now = now_ms(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
local excess = redis.call('ZCARD', KEYS[1]) - tonumber(ARGV[4])
local evicted = {}
if excess > 0 then
  for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, excess)) do
    if id ~= ARGV[1] and #evicted < excess then table.insert(evicted, id) end
  end
  for _, id in ipairs(evicted) do redis.call('ZREM', KEYS[1], id) end
end
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
redis.call('PEXPIRE', KEYS[1], math.max(1, tonumber(last[2]) - now))
return evicted`,
  reply: reply.array(reply.string),
});

/** Lists a user's session ids whose absolute deadline is ahead, or takes every id and deletes the index. */
export const indexListScript = defineScript({
  name: 'auth-session-index-list',
  summary: "lists a user's live session ids, or (drain) returns every id and deletes the index",
  keys: ["index: the user's session index"],
  args: [TIME_ARG, "drain: '1' to return every id and delete the index, '0' to list the live ones"],
  returns: 'session ids, oldest first',
  uses: [SERVER_TIME],
  body: `
if ARGV[2] == '1' then
  local all = redis.call('ZRANGE', KEYS[1], 0, -1)
  redis.call('DEL', KEYS[1])
  return all
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now_ms(ARGV[1]))
return redis.call('ZRANGE', KEYS[1], 0, -1)`,
  reply: reply.array(reply.string),
});

/** Removes ids from a user's session index. */
export const indexRemoveScript = defineScript({
  name: 'auth-session-index-remove',
  summary: "removes ids from a user's session index",
  keys: ["index: the user's session index"],
  args: { variadic: 'the ids to remove' },
  returns: 'how many were removed',
  body: `
if #ARGV == 0 then return 0 end
return redis.call('ZREM', KEYS[1], unpack(ARGV))`,
  reply: reply.integer,
});
