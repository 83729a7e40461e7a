import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  createKeyRing,
  createTokenService,
  generateSigningKey,
  importSigningKey,
} from '../../src/auth/index.js';
import { createManualClock } from '../../src/testing/index.js';
import { AUDIENCE, ISSUER, rejection, T0 } from './fixtures.js';

describe('key ring and rotation', () => {
  it('kid is the RFC 7638 thumbprint and jwks() publishes public keys only', async () => {
    const keys = await createKeyRing({ algorithm: 'ES256' });
    const { keys: published } = keys.jwks();
    expect(published).toHaveLength(1);
    expect(published[0]).toMatchObject({
      kid: keys.active().kid,
      alg: 'ES256',
      use: 'sig',
      kty: 'EC',
      crv: 'P-256',
    });
    expect(published[0]).not.toHaveProperty('d');
    const hs = await createKeyRing({ algorithm: 'HS256' });
    expect(hs.jwks()).toEqual({ keys: [] });
  });

  it('rotation: new tokens use the new key, old tokens verify until the grace period ends', async () => {
    const clock = createManualClock(T0);
    const keys = await createKeyRing({ clock, graceMs: 3_600_000 });
    const tokens = createTokenService({
      issuer: ISSUER,
      audience: AUDIENCE,
      keys,
      clock,
      accessTtlMs: 600_000,
      resetTtlMs: 60_000,
      verifyEmailTtlMs: 60_000,
    });
    const before = await tokens.issue({ sub: 'user-1' });
    const next = await keys.prepare();
    expect(keys.jwks().keys.map((k) => k.kid)).toContain(next.kid);
    expect((await tokens.verify((await tokens.issue({ sub: 'u' })).token)).kid).not.toBe(next.kid);
    const rotation = await keys.rotate();
    expect(rotation.activeKid).toBe(next.kid);
    const after = await tokens.issue({ sub: 'user-1' });
    expect((await tokens.verify(after.token)).kid).toBe(next.kid);
    expect((await tokens.verify(before.token)).kid).toBe(rotation.retiredKid);
    clock.advance(3_600_000);
    expect(keys.find(rotation.retiredKid)).toBeUndefined();
    expect(keys.jwks().keys.map((k) => k.kid)).toEqual([next.kid]);
  });

  it('remove(kid) drops a compromised key at once; the active key cannot be removed', async () => {
    const keys = await createKeyRing();
    const tokens = createTokenService({ issuer: ISSUER, audience: AUDIENCE, keys });
    const old = await tokens.issue({ sub: 'user-1' });
    const { retiredKid } = await keys.rotate();
    expect(keys.remove(retiredKid)).toBe(true);
    expect(await rejection(() => tokens.verify(old.token))).toMatchObject({
      code: 'ERR_TOKEN_INVALID',
      reason: 'kid',
    });
    expect(() => keys.remove(keys.active().kid)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    );
  });

  it('imports from a private JWK and from a PKCS#8 PEM, with the same kid', async () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const jwk = privateKey.export({ format: 'jwk' });
    const fromPem = await importSigningKey({ alg: 'EdDSA', pem });
    const fromJwk = await importSigningKey({ alg: 'EdDSA', jwk: jwk as never });
    expect(fromPem.kid).toBe(fromJwk.kid);
    const keys = await createKeyRing({ active: fromPem });
    const tokens = createTokenService({ issuer: ISSUER, audience: AUDIENCE, keys });
    await expect(tokens.verify((await tokens.issue({ sub: 'u' })).token)).resolves.toMatchObject({
      sub: 'u',
    });
  });

  it('rejects a key imported for the wrong algorithm, a public-only JWK, and mixed inputs', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = privateKey.export({ format: 'jwk' });
    await expect(importSigningKey({ alg: 'EdDSA', jwk: jwk as never })).rejects.toMatchObject({
      code: 'ERR_INVALID_OPTION',
    });
    const { d: _d, ...publicOnly } = jwk;
    await expect(importSigningKey({ alg: 'ES256', jwk: publicOnly as never })).rejects.toMatchObject({
      code: 'ERR_INVALID_OPTION',
    });
    await expect(importSigningKey({ alg: 'ES256', jwk: jwk as never, pem: 'x' })).rejects.toMatchObject({
      code: 'ERR_INVALID_OPTION',
    });
    await expect(importSigningKey({ alg: 'ES256', pem: 'not a pem' })).rejects.toMatchObject({
      code: 'ERR_INVALID_OPTION',
    });
    await expect(
      importSigningKey({ alg: 'none' as never, secret: new Uint8Array(32) }),
    ).rejects.toMatchObject({
      code: 'ERR_INVALID_OPTION',
    });
  });

  it('generates keys for every algorithm', async () => {
    for (const alg of ['EdDSA', 'ES256', 'PS256', 'RS256', 'HS256'] as const) {
      const key = await generateSigningKey(alg);
      expect(key.alg).toBe(alg);
      expect(key.kid).toMatch(/^[A-Za-z0-9_-]+$/);
    }
  });

  it('refuses to generate a key for an algorithm it does not sign with', async () => {
    for (const alg of ['none', 'HS512', '', 42]) {
      await expect(generateSigningKey(alg as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    }
  });
});
