/**
 * Issue 9 item 2: `revokeAllForUser` must never lapse. A user version is kept only for the longest token
 * lifetime, so it is forgotten some time after the last bump; the next bump must still be above every
 * version a live token can carry (the version is monotonic: the store's time in ms at the bump, or one
 * more than the previous version when that is larger).
 */
import { describe, expect, it } from 'vitest';
import { createRedisAuthStores, createRedisRevocationStore } from '../../src/auth/redis.js';
import { userKey } from '../../src/auth/redis-context.js';
import { createKeyspace } from '../../src/core/redis/keys.js';
import { noRedis, useRedisPrefix } from '../support/redis.js';
import { fixture, rejection } from './fixtures.js';

const MIN = 60_000;
// Defaults: the longest lifetime is verify-email (60 min) plus the 5 s tolerance.
const KEEP_MS = 60 * MIN + 5_000;

describe('revokeAllForUser does not lapse (memory)', () => {
  it('a token issued just before the version is forgotten stays revoked after the next revocation', async () => {
    const { tokens, clock } = await fixture();
    await tokens.revokeAllForUser('user-1');
    clock.advance(KEEP_MS - MIN);
    const late = await tokens.issue({ sub: 'user-1' });
    clock.advance(2 * MIN); // the first version is forgotten now; `late` lives 8 more minutes
    await tokens.revokeAllForUser('user-1');
    expect(await rejection(() => tokens.verify(late.token))).toMatchObject({ code: 'ERR_TOKEN_REVOKED' });
    // Tokens issued after the revocation verify.
    const fresh = await tokens.issue({ sub: 'user-1' });
    await expect(tokens.verify(fresh.token)).resolves.toMatchObject({ sub: 'user-1' });
  });
});

describe.skipIf(noRedis)('revokeAllForUser does not lapse (Redis)', () => {
  const { client: redis, prefix } = useRedisPrefix('auth-lapse');

  it('on a manual clock: the version key expiring does not reopen a live token', async () => {
    const { tokens, clock } = await fixture('EdDSA', (c) => {
      const stores = createRedisAuthStores({ client: redis!, prefix, clock: c });
      return { refreshStore: stores.refresh, revocationStore: stores.revocation };
    });
    const versionKey = userKey(createKeyspace(prefix, 'auth'), 'user-r', 'ver');
    await tokens.revokeAllForUser('user-r');
    clock.advance(KEEP_MS - MIN);
    const late = await tokens.issue({ sub: 'user-r' });
    clock.advance(2 * MIN);
    // Redis keeps expiries on its own clock: end the key the way its TTL would at this point.
    expect(await redis!.del(versionKey)).toBe(1);
    await tokens.revokeAllForUser('user-r');
    expect(await rejection(() => tokens.verify(late.token))).toMatchObject({ code: 'ERR_TOKEN_REVOKED' });
  });

  it('on Redis TIME (real time): a version bumped after the previous one expired is larger', async () => {
    const store = createRedisRevocationStore({ client: redis!, prefix, clockSkewMs: 0 });
    const first = await store.bumpUserVersion('user-t', 20);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(await store.userVersion('user-t')).toBe(0);
    expect(await store.bumpUserVersion('user-t', 20)).toBeGreaterThan(first);
  });
});
