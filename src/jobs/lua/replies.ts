/**
 * Decoders of the job scripts' replies (see core/redis/reply.ts): a reply of an unexpected shape becomes
 * a `StoreError` naming the script and the path, never a cast that fails later somewhere else.
 */
import { type ReplyDecoder, ReplyShapeError, reply } from '../../core/redis/reply.js';

/** A job hash as HGETALL returns it, as a record of field to value (empty when the hash is gone). */
export const jobFields = reply.pairs(reply.string);

/** One claimed job: id, token, startedAt, job hash. */
const claimedJob = reply.tuple(reply.string, reply.string, reply.integer, jobFields);

/** `{nextWakeMs or -1, stalledRetried, stalledDead, paused 0|1, {id, token, startedAt, fields}...}`. */
export const claimReply = reply.headAndRest(
  [reply.integer, reply.integer, reply.integer, reply.flag] as const,
  claimedJob,
);

/** What {@link claimReply} decodes to. */
export type ClaimReply = ReturnType<typeof claimReply>;

/** A claim reply, or `0` when the settle asked for no claim (decoded as null). */
const claimOrNone: ReplyDecoder<ClaimReply | null> = (value, path) => {
  if (value === 0) return null;
  if (!Array.isArray(value)) throw new ReplyShapeError(path, 'claim reply or 0', value);
  return claimReply(value, path);
};

/** `{{applied 1|0 per completion}, claim reply or 0}`. */
export const settleReply = reply.tuple(reply.array(reply.flag), claimOrNone);

/** `{rejected 0|1, dropped, {id, status}...}`. */
export const addReply = reply.headAndRest(
  [reply.flag, reply.integer] as const,
  reply.tuple(reply.string, reply.literal('added', 'duplicate', 'dead')),
);

/** `0` lease lost, `1` retried, `2` dead. */
export const failReply = reply.map(reply.literal(0, 1, 2), (code) =>
  code === 1 ? ('retried' as const) : code === 2 ? ('dead' as const) : ('lost' as const),
);

/** `{ready, delayed, active, dead, paused 0|1}`. */
export const countsReply = reply.tuple(
  reply.integer,
  reply.integer,
  reply.integer,
  reply.integer,
  reply.flag,
);

/** `{{id, fields}...}`. */
export const deadListReply = reply.array(reply.tuple(reply.string, jobFields));
