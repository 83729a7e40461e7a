/**
 * The token service and sessions end to end on a real Redis: atomic rotation under concurrency, one round
 * trip per check, and the failure mode (Redis gone → ERR_STORE, never a silent fallback).
 */
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createKeyRing,
  createSessionManager,
  createTokenService,
  type TokenService,
} from '../../src/auth/index.js';
import {
  createRedisAuthStores,
  createRedisRevocationStore,
  createRedisSessionStore,
  type RedisScriptClient,
} from '../../src/auth/redis.js';
import { userTag } from '../../src/auth/secrets.js';
import { onPath } from '../support/processes.js';
import { connectRedis, deleteByPrefix, noRedis, randomPrefix } from '../support/redis.js';
import { startRedisServer } from '../support/redis-server.js';
import { fixture, rejection } from './fixtures.js';

/** The real client, counting the scripts it runs (to prove "one round trip"). */
function counting(client: Redis) {
  let calls = 0;
  const counted: RedisScriptClient = {
    evalsha: (...args) => {
      calls += 1;
      return client.evalsha(...(args as [string, number]));
    },
    eval: (...args) => client.eval(...(args as [string, number])),
  };
  return { client: counted, calls: () => calls };
}

describe.skipIf(noRedis)('auth on Redis', () => {
  const redis = noRedis ? undefined : connectRedis();
  const prefix = randomPrefix('auth-e2e');
  afterAll(async () => {
    if (!redis) return;
    await deleteByPrefix(redis, prefix);
    redis.disconnect();
  });

  const service = async (): Promise<{ tokens: TokenService; calls: () => number }> => {
    const { client, calls } = counting(redis!);
    // The stores share the service's manual clock, so token `exp` and store time agree.
    const { tokens } = await fixture('EdDSA', (clock) => {
      const stores = createRedisAuthStores({ client, prefix, clock });
      return { refreshStore: stores.refresh, revocationStore: stores.revocation };
    });
    return { tokens, calls };
  };

  it('verify with revocation checks costs exactly one round trip', async () => {
    const { tokens, calls } = await service();
    const { token } = await tokens.issue({ sub: 'user-1' });
    const before = calls();
    await tokens.verify(token);
    expect(calls() - before).toBe(1);
  });

  it('50 concurrent refreshes of one token: one rotates, one takes the grace path, the rest are reuse', async () => {
    const { tokens } = await service();
    const pair = await tokens.issuePair({ sub: 'user-1' });
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, () => tokens.refresh(pair.refreshToken)),
    );
    const ok = results.filter((r) => r.status === 'fulfilled');
    const codes = results.flatMap((r) =>
      r.status === 'rejected' ? [(r.reason as { code: string }).code] : [],
    );
    expect(ok).toHaveLength(2);
    expect(new Set(codes)).toEqual(new Set(['ERR_TOKEN_REUSED', 'ERR_TOKEN_REVOKED']));
    // the family is revoked: the winners' tokens no longer refresh
    for (const r of ok) {
      expect(await rejection(() => tokens.refresh(r.value.refreshToken))).toMatchObject({
        code: 'ERR_TOKEN_REVOKED',
      });
    }
  });

  it('two concurrent refreshes within grace both succeed, and the family lives on', async () => {
    const { tokens } = await service();
    const pair = await tokens.issuePair({ sub: 'user-2' });
    const [a, b] = await Promise.all([tokens.refresh(pair.refreshToken), tokens.refresh(pair.refreshToken)]);
    await expect(tokens.refresh(b.refreshToken)).resolves.toBeDefined();
    expect(a.refreshToken).not.toBe(b.refreshToken);
  });

  it('a revoked token stays revoked when re-encoded (ES256 high-S twin)', async () => {
    const { client } = counting(redis!);
    const { tokens } = await fixture('ES256', (clock) => {
      const stores = createRedisAuthStores({ client, prefix, clock });
      return { refreshStore: stores.refresh, revocationStore: stores.revocation };
    });
    const { token } = await tokens.issue({ sub: 'user-3' });
    const [h, p, s] = token.split('.') as [string, string, string];
    const n = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');
    const sig = Buffer.from(s, 'base64url');
    const highS = (n - BigInt(`0x${sig.subarray(32).toString('hex')}`)).toString(16).padStart(64, '0');
    const twin = `${h}.${p}.${Buffer.concat([sig.subarray(0, 32), Buffer.from(highS, 'hex')]).toString('base64url')}`;
    await tokens.revoke(token);
    expect(await rejection(() => tokens.verify(twin))).toMatchObject({ code: 'ERR_TOKEN_REVOKED' });
    await tokens.revokeAllForUser('user-3');
    expect(await rejection(() => tokens.verify(token))).toMatchObject({ code: 'ERR_TOKEN_REVOKED' });
  });

  it('session validation is one round trip and keys carry TTLs', async () => {
    const { client, calls } = counting(redis!);
    const sessions = createSessionManager({ store: createRedisSessionStore({ client, prefix }) });
    const { token } = await sessions.create({ userId: 'user-4' });
    const before = calls();
    expect((await sessions.validate(token)).valid).toBe(true);
    expect(calls() - before).toBe(1);
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await redis!.scan(cursor, 'MATCH', `${prefix}:auth:*`, 'COUNT', 1000);
      cursor = next;
      keys.push(...batch);
    } while (cursor !== '0');
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) expect(await redis!.pttl(key)).toBeGreaterThan(0);
  });

  it('without a clock the stores decide on Redis TIME: rotation, revocation and sessions work end to end', async () => {
    // The service and the manager mint instants with the system clock; the stores read Redis TIME.
    const stores = createRedisAuthStores({ client: redis!, prefix });
    const keys = await createKeyRing();
    const tokens = createTokenService({
      issuer: 'https://auth.test',
      audience: 'api',
      keys,
      refreshStore: stores.refresh,
      revocationStore: stores.revocation,
      refreshGraceMs: 0,
      refreshClaims: () => ({}),
    });
    const pair = await tokens.issuePair({ sub: 'user-time' });
    const renewed = await tokens.refresh(pair.refreshToken);
    expect(await rejection(() => tokens.refresh(pair.refreshToken))).toMatchObject({
      code: 'ERR_TOKEN_REUSED',
    });
    await tokens.revoke(renewed.accessToken);
    expect(await rejection(() => tokens.verify(renewed.accessToken))).toMatchObject({
      code: 'ERR_TOKEN_REVOKED',
    });
    const sessions = createSessionManager({ store: stores.sessions });
    const { token } = await sessions.create({ userId: 'user-time' });
    expect((await sessions.validate(token)).valid).toBe(true);
    expect((await sessions.list('user-time')).length).toBe(1);
  });

  it('on Redis TIME, the denylist covers an app clock up to clockSkewMs behind Redis', async () => {
    // The app thinks the token expires 5 s ago by Redis time (its clock is behind): with the default
    // tolerance the entry is still kept; with none it is dropped, which would reopen the token.
    const padded = createRedisRevocationStore({ client: redis!, prefix });
    const unpadded = createRedisRevocationStore({
      client: redis!,
      prefix: `${prefix}-nopad`,
      clockSkewMs: 0,
    });
    const expiresAtMs = Date.now() - 5_000;
    await padded.revokeJti({ userId: 'user-skew', jti: 'jti-1', expiresAtMs });
    await unpadded.revokeJti({ userId: 'user-skew', jti: 'jti-1', expiresAtMs });
    expect((await padded.check('user-skew', 'jti-1')).jtiRevoked).toBe(true);
    expect((await unpadded.check('user-skew', 'jti-1')).jtiRevoked).toBe(false);
    const ttl = await redis!.pttl(`${prefix}:auth:{u:${userTag('user-skew')}}:jti:jti-1`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });

  it('user ids with braces, colons or unicode cannot break the key layout', async () => {
    const { tokens } = await service();
    for (const sub of ['}{evil}:', 'a:b:c', 'ユーザー', '{x}']) {
      const pair = await tokens.issuePair({ sub });
      await expect(tokens.verify(pair.accessToken)).resolves.toMatchObject({ sub });
      await tokens.revokeAllForUser(sub);
      expect(await rejection(() => tokens.refresh(pair.refreshToken))).toMatchObject({
        code: 'ERR_TOKEN_REVOKED',
      });
    }
  });
});

// It starts its own redis-server to kill: skipped where the binary is missing.
describe.skipIf(!onPath('redis-server'))('Redis failure', () => {
  it('a dead Redis surfaces as ERR_STORE, never as a valid token or a silent memory fallback', async () => {
    const server = await startRedisServer();
    const client = new Redis(server.url, {
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      lazyConnect: true,
    });
    client.on('error', () => {});
    try {
      await client.connect();
      const { tokens } = await fixture('EdDSA', (clock) => {
        const stores = createRedisAuthStores({ client, prefix: 'bp-dead', clock });
        return { refreshStore: stores.refresh, revocationStore: stores.revocation };
      });
      const pair = await tokens.issuePair({ sub: 'user-1' });
      await server.kill();
      expect(await rejection(() => tokens.verify(pair.accessToken))).toMatchObject({ code: 'ERR_STORE' });
      expect(await rejection(() => tokens.refresh(pair.refreshToken))).toMatchObject({ code: 'ERR_STORE' });
    } finally {
      client.disconnect();
      await server.stop();
    }
  });

  it('a misconfigured adapter fails at construction', () => {
    expect(() => createRedisAuthStores({ client: {} as never })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
    );
    expect(() =>
      createRedisAuthStores({ client: { evalsha() {}, eval() {} } as never, prefix: '{bad}' }),
    ).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION' }));
  });
});
