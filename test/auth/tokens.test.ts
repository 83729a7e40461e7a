import { describe, expect, it } from 'vitest';
import {
  createKeyRing,
  createTokenService,
  generateSigningKey,
  signingAlgorithms,
} from '../../src/auth/index.js';
import { AUDIENCE, fixture, ISSUER, rejection } from './fixtures.js';

describe('createTokenService', () => {
  for (const alg of signingAlgorithms) {
    it(`issues and verifies with ${alg}`, async () => {
      const { tokens, key } = await fixture(alg);
      const issued = await tokens.issue({ sub: 'user-1', claims: { roles: ['editor'] } });
      const principal = await tokens.verify(issued.token);
      expect(principal).toMatchObject({ sub: 'user-1', jti: issued.jti, kind: 'access', kid: key.kid });
      expect(principal.claims.roles).toEqual(['editor']);
      expect(principal.expiresAtMs).toBe(issued.expiresAtMs);
      const header = JSON.parse(Buffer.from(issued.token.split('.')[0] as string, 'base64url').toString());
      expect(header).toEqual({ alg, kid: key.kid, typ: 'at+jwt' });
    });
  }

  it('access tokens last 10 minutes by default', async () => {
    const { tokens, clock } = await fixture();
    const issued = await tokens.issue({ sub: 'user-1' });
    expect(issued.expiresAtMs - clock.now()).toBe(600_000);
  });

  it('refresh returns a new pair and records the metric of rejections', async () => {
    const { tokens, metrics } = await fixture();
    const pair = await tokens.issuePair({ sub: 'user-1' });
    const next = await tokens.refresh(pair.refreshToken, { claims: { roles: ['viewer'] } });
    expect(next.refreshToken).not.toBe(pair.refreshToken);
    expect((await tokens.verify(next.accessToken)).claims.roles).toEqual(['viewer']);
    await rejection(() => tokens.verify('garbage'));
    expect(metrics.counterValue('auth.tokens.rejected', { reason: 'malformed', kind: 'access' })).toBe(1);
  });

  it('revokeRefresh ends a family (logout)', async () => {
    const { tokens } = await fixture();
    const pair = await tokens.issuePair({ sub: 'user-1' });
    expect(await tokens.revokeRefresh(pair.refreshToken)).toBe(true);
    expect(await rejection(() => tokens.refresh(pair.refreshToken))).toMatchObject({
      code: 'ERR_TOKEN_REVOKED',
    });
  });

  it('revoking an expired token is a no-op', async () => {
    const { tokens, clock } = await fixture();
    const issued = await tokens.issue({ sub: 'user-1' });
    clock.advance(3_600_000);
    await expect(tokens.revoke(issued.token)).resolves.toBeUndefined();
  });

  it('checkRevocation: false skips the store (stateless verify)', async () => {
    const { tokens } = await fixture('EdDSA', { checkRevocation: false });
    const issued = await tokens.issue({ sub: 'user-1' });
    await tokens.revoke(issued.token);
    await expect(tokens.verify(issued.token)).resolves.toMatchObject({ sub: 'user-1' });
  });

  it('accepts any configured audience', async () => {
    const keys = await createKeyRing();
    const tokens = createTokenService({ issuer: ISSUER, audience: ['api', 'admin'], keys });
    const issued = await tokens.issue({ sub: 'user-1' });
    expect((await tokens.verify(issued.token)).claims.aud).toEqual(['api', 'admin']);
  });

  it('registered claims cannot be overridden, and sub is required', async () => {
    const { tokens } = await fixture();
    for (const claim of ['iss', 'aud', 'sub', 'exp', 'iat', 'nbf', 'jti', 'ver']) {
      await expect(tokens.issue({ sub: 'u', claims: { [claim]: 'x' } })).rejects.toMatchObject({
        code: 'ERR_INVALID_ARGUMENT',
      });
    }
    for (const sub of ['', 'x'.repeat(257), 42]) {
      await expect(tokens.issue({ sub: sub as string })).rejects.toMatchObject({
        code: 'ERR_INVALID_ARGUMENT',
      });
    }
  });

  it('an unknown token kind is an argument error, never a skipped typ check', async () => {
    const { tokens } = await fixture();
    const { token } = await tokens.issue({ sub: 'user-1' });
    for (const kind of ['refresh', 'toString', '__proto__', 'ACCESS']) {
      await expect(tokens.verify(token, { kind: kind as never })).rejects.toMatchObject({
        code: 'ERR_INVALID_ARGUMENT',
      });
      await expect(tokens.issueKind(kind as never, { sub: 'u' })).rejects.toMatchObject({
        code: 'ERR_INVALID_ARGUMENT',
      });
    }
  });

  it('rejects bad options at construction', async () => {
    const keys = await createKeyRing();
    const base = { issuer: ISSUER, audience: AUDIENCE, keys };
    const bad = [
      { ...base, issuer: '' },
      { ...base, audience: [] },
      { ...base, keys: {} },
      { ...base, accessTtlMs: 10 },
      { ...base, accessTtlMs: 2 * 3_600_000 },
      { ...base, clockToleranceMs: -1 },
      { ...base, refreshGraceMs: 120_000 },
      { ...base, maxTokenBytes: 10 },
      { ...base, accesTtlMs: 1000 },
    ];
    for (const options of bad) {
      expect(() => createTokenService(options as never)).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
      );
    }
  });

  it('refuses a key ring whose grace period is shorter than the longest token lifetime', async () => {
    const keys = await createKeyRing({ active: await generateSigningKey(), graceMs: 60_000 });
    expect(() => createTokenService({ issuer: ISSUER, audience: AUDIENCE, keys })).toThrow(/graceMs/);
  });
});
