/**
 * backend-patterns/auth/redis — Redis stores for refresh families, revocations and sessions. Pass an
 * ioredis `Redis` or `Cluster` you built; it is typed structurally (only `evalsha` and `eval` are used),
 * so this file never imports ioredis. Every state change is one Lua script over keys sharing one hash
 * tag; every key has a TTL. Time is the store's `clock` when given, else Redis `TIME` (port rule 2).
 */
import { defineOptions, opt } from '../core/options.js';
import { type RedisAuthStoreOptions, redisStoreSpecs } from './redis-context.js';
import { createRedisRefreshStore } from './redis-refresh.js';
import { createRedisRevocationStore, type RedisRevocationStoreOptions } from './redis-revocation.js';
import { createRedisSessionStore } from './redis-sessions.js';
import { REDIS_CLOCK_SKEW_MS } from './store-constants.js';
import type { RefreshStore, RevocationStore, SessionStore } from './types.js';

export type { RedisScriptClient } from '../core/redis/script.js';
export type { RedisAuthStoreOptions } from './redis-context.js';
export { createRedisRefreshStore } from './redis-refresh.js';
export { createRedisRevocationStore, type RedisRevocationStoreOptions } from './redis-revocation.js';
export { createRedisSessionStore } from './redis-sessions.js';

/** Options of {@link createRedisAuthStores}: the shared ones, and the revocation store's skew tolerance. */
export type RedisAuthStoresOptions = RedisRevocationStoreOptions;

/** The three Redis stores on one client and prefix. */
export interface RedisAuthStores {
  readonly refresh: RefreshStore;
  readonly revocation: RevocationStore;
  readonly sessions: SessionStore;
}

const parseOptions = defineOptions('createRedisAuthStores', {
  ...redisStoreSpecs,
  clockSkewMs: opt.integer({ default: REDIS_CLOCK_SKEW_MS, min: 0, max: 3_600_000 }),
});

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
export function createRedisAuthStores(options: RedisAuthStoresOptions): RedisAuthStores {
  const { clockSkewMs, ...shared } = parseOptions(options);
  // Parsed values are passed on, so each store sees a complete, valid set (undefined clock = Redis TIME).
  const base: RedisAuthStoreOptions = {
    client: shared.client,
    prefix: shared.prefix,
    ...(shared.clock ? { clock: shared.clock } : {}),
  };
  return {
    refresh: createRedisRefreshStore(base),
    revocation: createRedisRevocationStore({ ...base, clockSkewMs }),
    sessions: createRedisSessionStore(base),
  };
}
