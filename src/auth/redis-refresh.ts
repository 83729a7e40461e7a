/**
 * The Redis {@link RefreshStore}: one hash per family (`{f:<familyId>}`), one set of family ids per user.
 */
import {
  createFamilyScript,
  indexAddScript,
  indexMembersScript,
  revokeFamilyScript,
  rotateScript,
} from './lua/refresh.js';
import { type RedisAuthStoreOptions, redisStoreOptions, storeContext, userKey } from './redis-context.js';
import type { RefreshStore } from './types.js';

const parseOptions = redisStoreOptions('createRedisRefreshStore');

/**
 * A Redis {@link RefreshStore}. Without `clock`, lifetimes and grace windows are measured on Redis `TIME`.
 *
 * @example
 * ```ts
 * const refreshStore = createRedisRefreshStore({ client: new Redis(url), prefix: 'myapp' });
 * ```
 */
export function createRedisRefreshStore(options: RedisAuthStoreOptions): RefreshStore {
  const context = storeContext(parseOptions(options));
  const { keys, run } = context;
  const familyKey = (familyId: string) => keys.key(`f:${familyId}`);
  const familiesKey = (userId: string) => userKey(keys, userId, 'families');
  const revoke = (familyId: string, tokenHash = '') =>
    run(revokeFamilyScript, [familyKey(familyId)], [context.now(), tokenHash]);

  return {
    kind: 'redis',
    async createFamily(input) {
      const now = context.now();
      // Index first: a crash in between leaves a dangling id (harmless), never an unrevocable family.
      await run(indexAddScript, [familiesKey(input.userId)], [input.familyId, now, input.expiresAtMs]);
      await run(
        createFamilyScript,
        [familyKey(input.familyId)],
        [input.userId, input.tokenHash, now, input.expiresAtMs],
      );
    },
    rotate: (input) =>
      run(
        rotateScript,
        [familyKey(input.familyId)],
        [input.presentedHash, input.nextHash, context.now(), input.graceMs],
      ),
    revokeFamily: (familyId, tokenHash) => revoke(familyId, tokenHash),
    async revokeUser(userId) {
      const ids = await run(indexMembersScript, [familiesKey(userId)], []);
      let count = 0;
      for (const id of ids) if (await revoke(id)) count += 1;
      return count;
    },
  };
}
