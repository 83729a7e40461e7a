/**
 * backend-patterns/notify/redis — the Redis {@link NotifyStore}. Pass an ioredis `Redis` or `Cluster` you
 * built; it is typed structurally (only `evalsha` and `eval`), so this file never imports ioredis. Every
 * state change is one Lua script; keys of one step share a hash tag (`<prefix>:notify:{<tag>}:...`), and
 * user ids, addresses and keys are hashed into tags so they cannot shape a key. Time is the store's
 * `clock` when given, else Redis `TIME` (port rule 2).
 */
import { createHash } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import { defineOptions, opt } from '../core/options.js';
import { createKeyspace } from '../core/redis/keys.js';
import { type RedisScript, type RedisScriptClient, runScript, timeArg } from '../core/redis/script.js';
import {
  addReputationScript,
  appendDigestScript,
  claimScript,
  completeScript,
  deleteScript,
  getDeliveryScript,
  getIndexScript,
  getPreferencesScript,
  getSuppressionScript,
  putDeliveryScript,
  putIndexScript,
  type recordReply,
  releaseScript,
  reputationScript,
  setPreferenceScript,
  suppressScript,
  takeDigestScript,
  updateDeliveryScript,
} from './lua/store.js';
import type { ChannelKind } from './provider.js';
import type {
  DeliveryRecord,
  DeliveryRef,
  NotifyStore,
  Preference,
  SuppressionReason,
  UpdateDeliveryReply,
} from './types.js';

export type { RedisScriptClient } from '../core/redis/script.js';

/** Options of {@link createRedisNotifyStore}. */
export interface RedisNotifyStoreOptions {
  /** An ioredis `Redis` or `Cluster` (anything with `evalsha` and `eval`). */
  readonly client: RedisScriptClient;
  /** Key prefix, 1..64 of [A-Za-z0-9._:-]. Default `bp`. */
  readonly prefix?: string;
  /** The store's time. Default none: scripts read Redis `TIME`. Pass a manual clock in tests. */
  readonly clock?: Clock;
}

const parseOptions = defineOptions('createRedisNotifyStore', {
  client: opt.port<RedisScriptClient>(['evalsha', 'eval'], 'required'),
  prefix: opt.keyPrefix(),
  clock: opt.optionalClock(),
});

/** A fixed-length tag for any string, so user ids and addresses never appear in (or shape) a key. */
const tag = (kind: string, value: string) =>
  `${kind}:${createHash('sha256').update(value).digest('base64url').slice(0, 22)}`;

type RecordTuple = ReturnType<typeof recordReply>;

function toRecord(messageId: string, t: RecordTuple): DeliveryRecord | undefined {
  const [found, json, status, createdAtMs, updatedAtMs, reason] = t;
  if (found === 'unknown' || json === null || status === null) return undefined;
  const fixed = JSON.parse(json) as Omit<DeliveryRecord, 'status' | 'createdAtMs' | 'updatedAtMs'>;
  return {
    ...fixed,
    messageId,
    status: status as DeliveryRecord['status'],
    createdAtMs: createdAtMs ?? 0,
    updatedAtMs: updatedAtMs ?? 0,
    ...(reason ? { reason } : {}),
  };
}

/**
 * Creates a Redis store.
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis';
 * const store = createRedisNotifyStore({ client: new Redis(process.env.REDIS_URL!), prefix: 'myapp' });
 * ```
 */
export function createRedisNotifyStore(options: RedisNotifyStoreOptions): NotifyStore {
  const o = parseOptions(options);
  const keys = createKeyspace(o.prefix, 'notify');
  const now = () => timeArg(o.clock);
  const run = <R>(script: RedisScript<R>, k: readonly string[], a: readonly (string | number)[]) =>
    runScript(o.client, script, k, a);
  const prefsKey = (userId: string) => keys.key(tag('u', userId), 'prefs');
  const supKey = (channel: ChannelKind, recipient: string) =>
    keys.key(tag('s', `${channel}\u0000${recipient}`), 'sup');
  const claimKey = (key: string) => keys.key(tag('i', key), 'idem');
  const recordKey = (messageId: string) => keys.key(tag('m', messageId), 'rec');
  const indexKey = (provider: string, pmid: string) => keys.key(tag('p', `${provider}\u0000${pmid}`), 'pm');
  const digestKeys = (key: string) => [keys.key(tag('d', key), 'items'), keys.key(tag('d', key), 'meta')];
  const reputationBase = keys.key('rep', 'rep');
  const resolve = async (ref: DeliveryRef) =>
    'messageId' in ref
      ? ref.messageId
      : await run(getIndexScript, [indexKey(ref.provider, ref.providerMessageId)], []);

  return {
    kind: 'redis',
    async setPreference({ userId, channel, category, optedOut }) {
      await run(setPreferenceScript, [prefsKey(userId)], [`${channel}:${category}`, optedOut ? '1' : '0']);
    },
    async getPreferences(userId) {
      const fields = await run(getPreferencesScript, [prefsKey(userId)], []);
      return Object.entries(fields).map(([field, value]): Preference => {
        const at = field.indexOf(':');
        return {
          channel: field.slice(0, at) as Preference['channel'],
          category: field.slice(at + 1),
          optedOut: value === '1',
        };
      });
    },
    async suppress({ channel, recipient, reason }) {
      await run(suppressScript, [supKey(channel, recipient)], [now(), reason]);
    },
    async getSuppression(channel, recipient) {
      const [reason, atMs] = await run(getSuppressionScript, [supKey(channel, recipient)], []);
      if (reason === null || atMs === null) return undefined;
      return { channel, recipient, reason: reason as SuppressionReason, atMs };
    },
    unsuppress: (channel, recipient) => run(deleteScript, [supKey(channel, recipient)], []),
    claimIdempotency: ({ key, fingerprint, token, ttlMs }) =>
      run(claimScript, [claimKey(key)], [now(), fingerprint, token, ttlMs]),
    completeIdempotency: ({ key, token, resultJson, ttlMs }) =>
      run(completeScript, [claimKey(key)], [now(), token, resultJson, ttlMs]),
    releaseIdempotency: ({ key, token }) => run(releaseScript, [claimKey(key)], [token]),
    async putDelivery({ ttlMs, messageId, ...fixed }) {
      // Two slots (the record's and the index's): the index goes second, so an event that finds the
      // index always finds the record; a crash between them leaves a record only found by message id.
      await run(putDeliveryScript, [recordKey(messageId)], [now(), JSON.stringify(fixed), ttlMs]);
      await run(putIndexScript, [indexKey(fixed.provider, fixed.providerMessageId)], [messageId, ttlMs]);
    },
    async getDelivery(ref) {
      const messageId = await resolve(ref);
      if (messageId === null) return undefined;
      return toRecord(messageId, await run(getDeliveryScript, [recordKey(messageId)], [now()]));
    },
    async updateDelivery({ ref, status, atMs, reason }): Promise<UpdateDeliveryReply> {
      const messageId = await resolve(ref);
      if (messageId === null) return { outcome: 'unknown' };
      const t = await run(updateDeliveryScript, [recordKey(messageId)], [now(), status, atMs, reason ?? '']);
      const record = toRecord(messageId, t);
      return record ? { outcome: t[0] as 'updated' | 'ignored', record } : { outcome: 'unknown' };
    },
    async appendDigest({ key, itemJson, maxItems, ttlMs }) {
      const [first, count] = await run(appendDigestScript, digestKeys(key), [
        now(),
        itemJson,
        maxItems,
        ttlMs,
      ]);
      return { first, count };
    },
    async takeDigest(key) {
      const { head, rest } = await run(takeDigestScript, digestKeys(key), [now()]);
      return { count: head[0], items: rest };
    },
    async addReputation({ sent, complained, windowMs }) {
      await run(addReputationScript, [reputationBase], [now(), windowMs, sent, complained]);
    },
    async reputation(windowMs) {
      const [sent, complained] = await run(reputationScript, [reputationBase], [now(), windowMs]);
      return { sent, complained };
    },
  };
}
