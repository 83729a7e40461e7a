/**
 * Issue 9 item 9: the claims of a refreshed access token come from the family's subject (a callback, per
 * call or per service), the rotated pair names its `sub`, and omitting them is an error rather than a
 * silent drop of roles. Item 10 (second half): an opt-in to revoke the user's access tokens when a
 * rotated refresh token is presented again.
 */
import { describe, expect, it } from 'vitest';
import { createRedisAuthStores } from '../../src/auth/redis.js';
import { noRedis, useRedisPrefix } from '../support/redis.js';
import { fixture, rejection } from './fixtures.js';

const ROLES: Readonly<Record<string, readonly string[]>> = { 'user-1': ['editor'], 'user-2': ['viewer'] };

describe('refresh claims', () => {
  it('refresh without claims, and no refreshClaims, is an error, not a silent drop of roles', async () => {
    // `refreshClaims: undefined` undoes the fixture's default (no custom claims).
    const { tokens } = await fixture('EdDSA', { refreshClaims: undefined });
    const pair = await tokens.issuePair({ sub: 'user-1', claims: { roles: ['editor'] } });
    expect(await rejection(() => tokens.refresh(pair.refreshToken))).toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
    });
    // Nothing rotated: the refresh token still works once the claims are given.
    const next = await tokens.refresh(pair.refreshToken, { claims: { roles: ['editor'] } });
    expect((await tokens.verify(next.accessToken)).claims.roles).toEqual(['editor']);
  });

  it('the service option refreshClaims derives the claims from the subject (async)', async () => {
    const { tokens } = await fixture('EdDSA', {
      refreshClaims: async (sub) => ({ roles: ROLES[sub] ?? [] }),
    });
    const pair = await tokens.issuePair({ sub: 'user-2', claims: { roles: ['viewer'] } });
    expect(pair.sub).toBe('user-2');
    const next = await tokens.refresh(pair.refreshToken);
    expect(next.sub).toBe('user-2');
    expect((await tokens.verify(next.accessToken)).claims.roles).toEqual(['viewer']);
  });

  it('a per-call claims callback receives the family subject and wins over the service option', async () => {
    const { tokens } = await fixture('EdDSA', { refreshClaims: () => ({ roles: [] }) });
    const pair = await tokens.issuePair({ sub: 'user-1' });
    const seen: string[] = [];
    const next = await tokens.refresh(pair.refreshToken, {
      claims: (sub) => {
        seen.push(sub);
        return { roles: ROLES[sub] ?? [] };
      },
    });
    expect(seen).toEqual(['user-1']);
    expect(next.sub).toBe('user-1');
    expect((await tokens.verify(next.accessToken)).claims.roles).toEqual(['editor']);
  });

  it('claims from a callback are checked like given ones (no registered claims, an object)', async () => {
    const { tokens } = await fixture();
    const a = await tokens.issuePair({ sub: 'user-1' });
    expect(
      await rejection(() => tokens.refresh(a.refreshToken, { claims: () => ({ sub: 'admin' }) })),
    ).toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
    });
    const b = await tokens.issuePair({ sub: 'user-1' });
    const notObject = (() => 'admin') as unknown as () => Record<string, unknown>;
    expect(await rejection(() => tokens.refresh(b.refreshToken, { claims: notObject }))).toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
    });
    const c = await tokens.issuePair({ sub: 'user-1' });
    const bad = 'roles' as unknown as Record<string, unknown>;
    expect(await rejection(() => tokens.refresh(c.refreshToken, { claims: bad }))).toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
    });
  });
});

describe('revokeAccessOnRefreshReuse', () => {
  const reuse = async (revokeAccessOnRefreshReuse: boolean) => {
    const { tokens, clock } = await fixture('EdDSA', { revokeAccessOnRefreshReuse });
    const stolen = await tokens.issuePair({ sub: 'user-1' });
    const thief = await tokens.refresh(stolen.refreshToken);
    const otherDevice = await tokens.issuePair({ sub: 'user-1' });
    clock.advance(60_000); // past the grace window
    expect(await rejection(() => tokens.refresh(stolen.refreshToken))).toMatchObject({
      code: 'ERR_TOKEN_REUSED',
    });
    return { tokens, clock, thief, otherDevice };
  };

  it('when on, reuse revokes the access tokens of the user; other families can refresh', async () => {
    const { tokens, clock, thief, otherDevice } = await reuse(true);
    expect(await rejection(() => tokens.verify(thief.accessToken))).toMatchObject({
      code: 'ERR_TOKEN_REVOKED',
    });
    expect(await rejection(() => tokens.verify(otherDevice.accessToken))).toMatchObject({
      code: 'ERR_TOKEN_REVOKED',
    });
    clock.advance(1);
    const recovered = await tokens.refresh(otherDevice.refreshToken);
    await expect(tokens.verify(recovered.accessToken)).resolves.toMatchObject({ sub: 'user-1' });
  });

  it('off by default: reuse revokes only the family', async () => {
    const { tokens, thief } = await reuse(false);
    await expect(tokens.verify(thief.accessToken)).resolves.toMatchObject({ sub: 'user-1' });
    const { tokens: byDefault } = await fixture();
    const pair = await byDefault.issuePair({ sub: 'user-1' });
    await expect(byDefault.verify(pair.accessToken)).resolves.toMatchObject({ sub: 'user-1' });
  });
});

describe.skipIf(noRedis)('revokeAccessOnRefreshReuse on Redis', () => {
  const { client: redis, prefix } = useRedisPrefix('auth-reuse');

  it('reuse detected by the rotate script bumps the user version in the Redis store', async () => {
    const { tokens, clock } = await fixture('EdDSA', (c) => {
      const stores = createRedisAuthStores({ client: redis!, prefix, clock: c });
      return {
        refreshStore: stores.refresh,
        revocationStore: stores.revocation,
        revokeAccessOnRefreshReuse: true,
      };
    });
    const stolen = await tokens.issuePair({ sub: 'user-redis' });
    const thief = await tokens.refresh(stolen.refreshToken);
    clock.advance(60_000);
    expect(await rejection(() => tokens.refresh(stolen.refreshToken))).toMatchObject({
      code: 'ERR_TOKEN_REUSED',
    });
    expect(await rejection(() => tokens.verify(thief.accessToken))).toMatchObject({
      code: 'ERR_TOKEN_REVOKED',
    });
  });
});
