/**
 * backend-patterns/auth/redis — Redis stores for refresh families, revocations and sessions. Pass an
 * ioredis `Redis` or `Cluster` you built; it is typed structurally (only `evalsha` and `eval` are used),
 * so this file never imports ioredis. Every state change is one Lua script over keys sharing one hash
 * tag; every key has a TTL. Times come from the caller's clock (token `exp`/`iat` are app-clock values).
 */
import { InvalidOptionError, StoreError } from '../core/errors.js';
import { createKeyspace, type Keyspace } from '../core/redis/keys.js';
import { type RedisScript, type RedisScriptClient, runScript } from '../core/redis/script.js';
import {
  createFamilyScript,
  indexAddScript,
  indexMembersScript,
  revokeFamilyScript,
  rotateScript,
} from './lua/refresh.js';
import { bumpVersionScript, checkScript, getVersionScript, revokeJtiScript } from './lua/revocation.js';
import {
  deleteSessionScript,
  indexAddSessionScript,
  indexListScript,
  indexRemoveScript,
  takeSessionScript,
  touchSessionScript,
  writeSessionScript,
} from './lua/sessions.js';
import { sha256, userTag } from './secrets.js';
import type { RefreshRotation, RefreshStore, RevocationStore, SessionRecord, SessionStore } from './types.js';

export type { RedisScriptClient } from '../core/redis/script.js';

/** Options of the Redis auth stores. */
export interface RedisAuthStoreOptions {
  /** An ioredis `Redis` or `Cluster` (anything with `evalsha` and `eval`). */
  readonly client: RedisScriptClient;
  /** Key prefix, 1..64 of [A-Za-z0-9._:-]. Default `bp`. Keys are `<prefix>:auth:{<tag>}:...`. */
  readonly prefix?: string;
}

interface Context {
  readonly keys: Keyspace;
  run(script: RedisScript, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown>;
}

function context(factory: string, options: RedisAuthStoreOptions): Context {
  if (typeof options !== 'object' || options === null) throw new InvalidOptionError('options are required');
  const known = ['client', 'prefix'];
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) throw new InvalidOptionError(`unknown option \`${key}\` for ${factory}`);
  }
  const client = options.client;
  if (typeof client?.evalsha !== 'function' || typeof client.eval !== 'function') {
    throw new InvalidOptionError('`client` must be an ioredis Redis or Cluster (needs evalsha and eval)');
  }
  const keys = createKeyspace(options.prefix ?? 'bp', 'auth');
  return { keys, run: (script, k, a) => runScript(client, script, k, a) };
}

const userKey = (keys: Keyspace, userId: string, part: string) => keys.key(`u:${userTag(userId)}`, part);
// jti values of our tokens are base64url; anything else is hashed so it cannot shape the key.
const jtiPart = (jti: string) => (/^[A-Za-z0-9_-]{1,128}$/.test(jti) ? jti : sha256(jti));

const unexpected = (script: string) => new StoreError(`redis script ${script} returned an unexpected reply`);

/**
 * A Redis {@link RefreshStore}: one hash per family (`{f:<familyId>}`), one set of family ids per user.
 *
 * @example
 * ```ts
 * const refreshStore = createRedisRefreshStore({ client: new Redis(url), prefix: 'myapp' });
 * ```
 */
export function createRedisRefreshStore(options: RedisAuthStoreOptions): RefreshStore {
  const { keys, run } = context('createRedisRefreshStore', options);
  const familyKey = (familyId: string) => keys.key(`f:${familyId}`);
  const familiesKey = (userId: string) => userKey(keys, userId, 'families');

  return {
    async createFamily(input) {
      // Index first: a crash in between leaves a dangling id (harmless), never an unrevocable family.
      await run(
        indexAddScript,
        [familiesKey(input.userId)],
        [input.familyId, input.expiresAtMs - input.nowMs],
      );
      await run(
        createFamilyScript,
        [familyKey(input.familyId)],
        [input.userId, input.tokenHash, input.nowMs, input.expiresAtMs],
      );
    },
    async rotate(input): Promise<RefreshRotation> {
      const reply = await run(
        rotateScript,
        [familyKey(input.familyId)],
        [input.presentedHash, input.nextHash, input.nowMs, input.graceMs],
      );
      if (!Array.isArray(reply)) throw unexpected(rotateScript.name);
      const [status, userId, expiresAt] = reply as [string, string?, string?];
      switch (status) {
        case 'rotated':
        case 'grace':
          return { status, userId: String(userId), expiresAtMs: Number(expiresAt) };
        case 'reused':
          return { status, userId: String(userId) };
        case 'revoked':
        case 'expired':
        case 'unknown':
          return { status };
        default:
          throw unexpected(rotateScript.name);
      }
    },
    async revokeFamily(familyId, nowMs, tokenHash) {
      return (await run(revokeFamilyScript, [familyKey(familyId)], [nowMs, tokenHash ?? ''])) === 1;
    },
    async revokeUser(userId, nowMs) {
      const ids = (await run(indexMembersScript, [familiesKey(userId)], [])) as string[];
      let count = 0;
      for (const id of ids) {
        if ((await run(revokeFamilyScript, [familyKey(id)], [nowMs, ''])) === 1) count += 1;
      }
      return count;
    },
  };
}

/**
 * A Redis {@link RevocationStore}: the user's version and denylisted `jti`s share the user's hash tag,
 * so `check` is one script, one round trip.
 *
 * @example
 * ```ts
 * const revocationStore = createRedisRevocationStore({ client, prefix: 'myapp' });
 * ```
 */
export function createRedisRevocationStore(options: RedisAuthStoreOptions): RevocationStore {
  const { keys, run } = context('createRedisRevocationStore', options);
  const versionKey = (userId: string) => userKey(keys, userId, 'ver');
  const jtiKey = (userId: string, jti: string) => keys.key(`u:${userTag(userId)}`, 'jti', jtiPart(jti));

  return {
    async revokeJti(userId, jti, expiresAtMs, nowMs) {
      await run(revokeJtiScript, [jtiKey(userId, jti)], [expiresAtMs - nowMs]);
    },
    async bumpUserVersion(userId, keepMs) {
      return Number(await run(bumpVersionScript, [versionKey(userId)], [keepMs]));
    },
    async userVersion(userId) {
      return Number(await run(getVersionScript, [versionKey(userId)], []));
    },
    async check(userId, jti) {
      const reply = await run(checkScript, [versionKey(userId), jtiKey(userId, jti)], []);
      if (!Array.isArray(reply)) throw unexpected(checkScript.name);
      return { jtiRevoked: Number(reply[0]) === 1, userVersion: Number(reply[1]) };
    },
  };
}

/**
 * A Redis {@link SessionStore}: one hash per session (`{s:<id>}`), one sorted set per user (score =
 * absolute deadline). Validation (check + slide) is one script, one round trip.
 *
 * @example
 * ```ts
 * const sessions = createSessionManager({ store: createRedisSessionStore({ client, prefix: 'myapp' }) });
 * ```
 */
export function createRedisSessionStore(options: RedisAuthStoreOptions): SessionStore {
  const { keys, run } = context('createRedisSessionStore', options);
  const sessionKey = (id: string) => keys.key(`s:${id}`);
  const indexKey = (userId: string) => userKey(keys, userId, 'sessions');
  const toRecord = (id: string, f: readonly unknown[]): SessionRecord => ({
    id,
    userId: String(f[0]),
    data: JSON.parse(String(f[1])) as Record<string, unknown>,
    createdAtMs: Number(f[2]),
    lastActiveAtMs: Number(f[3]),
    idleTimeoutMs: Number(f[4]),
    absoluteExpiresAtMs: Number(f[5]),
  });
  const read = async (id: string, nowMs: number, remove: boolean) => {
    const reply = await run(takeSessionScript, [sessionKey(id)], [nowMs, remove ? '1' : '0']);
    if (!Array.isArray(reply)) throw unexpected(takeSessionScript.name);
    return reply.length === 0 ? undefined : toRecord(id, reply);
  };
  const deleteOne = async (id: string) => {
    const userId = await run(deleteSessionScript, [sessionKey(id)], []);
    if (typeof userId !== 'string' || userId === '') return false;
    await run(indexRemoveScript, [indexKey(userId)], [id]);
    return true;
  };

  return {
    async create(record, maxPerUser) {
      const nowMs = record.lastActiveAtMs;
      const evicted = (await run(
        indexAddSessionScript,
        [indexKey(record.userId)],
        [record.id, record.absoluteExpiresAtMs, nowMs, maxPerUser],
      )) as string[];
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
          nowMs,
        ],
      );
      for (const id of evicted) await run(deleteSessionScript, [sessionKey(id)], []);
      return { evictedIds: evicted };
    },
    async touch(id, nowMs) {
      const reply = await run(touchSessionScript, [sessionKey(id)], [nowMs]);
      if (!Array.isArray(reply)) throw unexpected(touchSessionScript.name);
      const [status, ...fields] = reply as [string, ...unknown[]];
      if (status === 'active') return { status, record: toRecord(id, fields) };
      if (status === 'unknown' || status === 'idle-timeout' || status === 'absolute-timeout')
        return { status };
      throw unexpected(touchSessionScript.name);
    },
    async take(id, nowMs) {
      const record = await read(id, nowMs, true);
      if (record !== undefined) await run(indexRemoveScript, [indexKey(record.userId)], [id]);
      return record;
    },
    delete: deleteOne,
    async listByUser(userId, nowMs) {
      const ids = (await run(indexListScript, [indexKey(userId)], [nowMs, '0'])) as string[];
      const records: SessionRecord[] = [];
      const gone: string[] = [];
      for (const id of ids) {
        const record = await read(id, nowMs, false);
        if (record === undefined) gone.push(id);
        else records.push(record);
      }
      if (gone.length) await run(indexRemoveScript, [indexKey(userId)], gone);
      return records;
    },
    async deleteByUser(userId) {
      const ids = (await run(
        indexListScript,
        [indexKey(userId)],
        [Number.MIN_SAFE_INTEGER, '1'],
      )) as string[];
      let count = 0;
      for (const id of ids) {
        const owner = await run(deleteSessionScript, [sessionKey(id)], []);
        if (typeof owner === 'string' && owner !== '') count += 1;
      }
      return count;
    },
  };
}

/** The three Redis stores on one client and prefix. */
export interface RedisAuthStores {
  readonly refresh: RefreshStore;
  readonly revocation: RevocationStore;
  readonly sessions: SessionStore;
}

/**
 * All three Redis auth stores at once.
 *
 * @example
 * ```ts
 * const stores = createRedisAuthStores({ client: new Redis(process.env.REDIS_URL!), prefix: 'myapp' });
 * const tokens = createTokenService({ issuer, audience, keys, refreshStore: stores.refresh, revocationStore: stores.revocation });
 * const sessions = createSessionManager({ store: stores.sessions });
 * ```
 */
export function createRedisAuthStores(options: RedisAuthStoreOptions): RedisAuthStores {
  return {
    refresh: createRedisRefreshStore(options),
    revocation: createRedisRevocationStore(options),
    sessions: createRedisSessionStore(options),
  };
}
