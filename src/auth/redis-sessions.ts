/**
 * The Redis {@link SessionStore}: one hash per session (`{s:<id>}`), one sorted set per user (score =
 * absolute deadline). Validation (check + slide) is one script, one round trip.
 */
import {
  deleteSessionScript,
  indexAddSessionScript,
  indexListScript,
  indexRemoveScript,
  type SessionFields,
  takeSessionScript,
  touchSessionScript,
  writeSessionScript,
} from './lua/sessions.js';
import { type RedisAuthStoreOptions, redisStoreOptions, storeContext, userKey } from './redis-context.js';
import type { SessionRecord, SessionStore } from './types.js';

const parseOptions = redisStoreOptions('createRedisSessionStore');

const withId = (id: string, fields: SessionFields | undefined): SessionRecord | undefined =>
  fields === undefined ? undefined : { id, ...fields };

/**
 * A Redis {@link SessionStore}. Without `clock`, idle and absolute timeouts are measured on Redis `TIME`.
 *
 * @example
 * ```ts
 * const sessions = createSessionManager({ store: createRedisSessionStore({ client, prefix: 'myapp' }) });
 * ```
 */
export function createRedisSessionStore(options: RedisAuthStoreOptions): SessionStore {
  const context = storeContext(parseOptions(options));
  const { keys, run } = context;
  const sessionKey = (id: string) => keys.key(`s:${id}`);
  const indexKey = (userId: string) => userKey(keys, userId, 'sessions');
  const read = async (id: string, remove: boolean) =>
    withId(id, await run(takeSessionScript, [sessionKey(id)], [context.now(), remove ? '1' : '0']));
  const deleteHash = (id: string) => run(deleteSessionScript, [sessionKey(id)], []);

  return {
    kind: 'redis',
    async create(record, maxPerUser) {
      const now = context.now();
      const evictedIds = await run(
        indexAddSessionScript,
        [indexKey(record.userId)],
        [record.id, record.absoluteExpiresAtMs, now, maxPerUser],
      );
      await run(
        writeSessionScript,
        [sessionKey(record.id)],
        [
          record.userId,
          JSON.stringify(record.data),
          record.createdAtMs,
          record.lastActiveAtMs,
          record.idleTimeoutMs,
          record.absoluteExpiresAtMs,
          now,
        ],
      );
      for (const id of evictedIds) await deleteHash(id);
      return { evictedIds };
    },
    async touch(id) {
      const found = await run(touchSessionScript, [sessionKey(id)], [context.now()]);
      return found.status === 'active'
        ? { status: found.status, record: { id, ...found.fields } }
        : { status: found.status };
    },
    async take(id) {
      const record = await read(id, true);
      if (record !== undefined) await run(indexRemoveScript, [indexKey(record.userId)], [id]);
      return record;
    },
    async delete(id) {
      const userId = await deleteHash(id);
      if (userId === undefined) return false;
      await run(indexRemoveScript, [indexKey(userId)], [id]);
      return true;
    },
    async listByUser(userId) {
      const ids = await run(indexListScript, [indexKey(userId)], [context.now(), '0']);
      const records: SessionRecord[] = [];
      const gone: string[] = [];
      for (const id of ids) {
        const record = await read(id, false);
        if (record === undefined) gone.push(id);
        else records.push(record);
      }
      if (gone.length) await run(indexRemoveScript, [indexKey(userId)], gone);
      return records;
    },
    async deleteByUser(userId) {
      const ids = await run(indexListScript, [indexKey(userId)], [context.now(), '1']);
      let count = 0;
      for (const id of ids) if ((await deleteHash(id)) !== undefined) count += 1;
      return count;
    },
  };
}
