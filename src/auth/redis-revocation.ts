/**
 * The Redis {@link RevocationStore}: the user's version and denylisted `jti`s share the user's hash tag,
 * so `check` is one script, one round trip.
 */
import { defineOptions, opt } from '../core/options.js';
import { bumpVersionScript, checkScript, getVersionScript, revokeJtiScript } from './lua/revocation.js';
import {
  jtiPart,
  type RedisAuthStoreOptions,
  redisStoreSpecs,
  storeContext,
  userKey,
} from './redis-context.js';
import { REDIS_CLOCK_SKEW_MS } from './store-constants.js';
import type { RevocationStore } from './types.js';

/** Options of {@link createRedisRevocationStore}. */
export interface RedisRevocationStoreOptions extends RedisAuthStoreOptions {
  /**
   * How much longer than asked denylist entries and user versions are kept, so a Redis clock ahead of
   * the app's (or a failover to one) cannot end them while a token they revoke still verifies. Default
   * 60 000 (1 min); 0 .. 1 h.
   */
  readonly clockSkewMs?: number;
}

const parseOptions = defineOptions('createRedisRevocationStore', {
  ...redisStoreSpecs,
  clockSkewMs: opt.integer({ default: REDIS_CLOCK_SKEW_MS, min: 0, max: 3_600_000 }),
});

/**
 * A Redis {@link RevocationStore}.
 *
 * @example
 * ```ts
 * const revocationStore = createRedisRevocationStore({ client, prefix: 'myapp' });
 * ```
 */
export function createRedisRevocationStore(options: RedisRevocationStoreOptions): RevocationStore {
  const o = parseOptions(options);
  const context = storeContext(o);
  const { keys, run } = context;
  const versionKey = (userId: string) => userKey(keys, userId, 'ver');
  const jtiKey = (userId: string, jti: string) => userKey(keys, userId, 'jti', jtiPart(jti));

  return {
    kind: 'redis',
    async revokeJti({ userId, jti, expiresAtMs }) {
      await run(revokeJtiScript, [jtiKey(userId, jti)], [context.now(), expiresAtMs, o.clockSkewMs]);
    },
    bumpUserVersion: (userId, keepMs) =>
      run(bumpVersionScript, [versionKey(userId)], [context.now(), keepMs + o.clockSkewMs]),
    userVersion: (userId) => run(getVersionScript, [versionKey(userId)], []),
    async check(userId, jti) {
      const [jtiRevoked, userVersion] = await run(checkScript, [versionKey(userId), jtiKey(userId, jti)], []);
      return { jtiRevoked, userVersion };
    },
  };
}
