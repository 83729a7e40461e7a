/**
 * Issue 9 item 7: verifying tokens this library did not issue. A foreign issuer (plain jose) signs with
 * EdDSA, ES256, PS256, RS256 and HS256; a verify-only key ring holds its public keys (a JWKS, a PEM/SPKI
 * key, an HMAC secret), each pinned to its `alg`, and the service accepts tokens without our `ver`.
 */
import { randomBytes } from 'node:crypto';
import { type CryptoKey, exportJWK, exportSPKI, generateKeyPair, type JWK, SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createKeyRing,
  createTokenService,
  importJwks,
  importSigningKey,
  importVerificationKey,
  type KeyRing,
  type TokenService,
} from '../../src/auth/index.js';
import { createManualClock } from '../../src/testing/index.js';
import { AUDIENCE, b64json, ISSUER, rejection, T0 } from './fixtures.js';

type Asymmetric = 'EdDSA' | 'ES256' | 'PS256' | 'RS256';
const ASYMMETRIC: readonly Asymmetric[] = ['EdDSA', 'ES256', 'PS256', 'RS256'];
const clock = createManualClock(T0);
const hmac = new Uint8Array(randomBytes(32));

interface Issuer {
  readonly privateKeys: Record<Asymmetric, CryptoKey>;
  readonly jwks: { keys: JWK[] };
  readonly spkiEs256: string;
}

/** The foreign issuer: plain jose, its own kids, no `ver` claim. */
async function foreignIssuer(): Promise<Issuer> {
  const privateKeys = {} as Record<Asymmetric, CryptoKey>;
  const keys: JWK[] = [];
  let spkiEs256 = '';
  for (const alg of ASYMMETRIC) {
    const pair = await generateKeyPair(alg === 'EdDSA' ? 'Ed25519' : alg, { extractable: true });
    privateKeys[alg] = pair.privateKey;
    keys.push({ ...(await exportJWK(pair.publicKey)), kid: `idp-${alg}`, alg, use: 'sig' });
    if (alg === 'ES256') spkiEs256 = await exportSPKI(pair.publicKey);
  }
  return { privateKeys, jwks: { keys }, spkiEs256 };
}

const mint = (alg: string, kid: string, key: CryptoKey | Uint8Array, claims: Record<string, unknown> = {}) =>
  new SignJWT({ roles: ['reader'], ...claims })
    .setProtectedHeader({ alg, kid, typ: 'at+jwt' })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setSubject('foreign-user')
    .setJti(`j-${randomBytes(6).toString('hex')}`)
    .setIssuedAt(Math.floor(clock.now() / 1000))
    .setExpirationTime(Math.floor(clock.now() / 1000) + 300)
    .sign(key);

describe('verifying a foreign issuer', () => {
  let idp: Issuer;
  let keys: KeyRing;
  let tokens: TokenService;
  beforeAll(async () => {
    idp = await foreignIssuer();
    keys = await createKeyRing({
      verifyOnly: true,
      clock,
      verifyKeys: [
        ...(await importJwks(idp.jwks)),
        await importVerificationKey({ alg: 'ES256', pem: idp.spkiEs256, kid: 'idp-ES256-pem' }),
        await importVerificationKey({ alg: 'HS256', secret: hmac, kid: 'idp-HS256' }),
      ],
    });
    tokens = createTokenService({ issuer: ISSUER, audience: AUDIENCE, keys, requireVersionClaim: false });
  });

  it('accepts tokens of all five algorithms at once, each through its pinned key', async () => {
    for (const alg of ASYMMETRIC) {
      const principal = await tokens.verify(await mint(alg, `idp-${alg}`, idp.privateKeys[alg]));
      expect(principal).toMatchObject({ sub: 'foreign-user', kid: `idp-${alg}` });
      expect(principal.claims.roles).toEqual(['reader']);
    }
    await expect(
      tokens.verify(await mint('ES256', 'idp-ES256-pem', idp.privateKeys.ES256)),
    ).resolves.toMatchObject({
      kid: 'idp-ES256-pem',
    });
    await expect(tokens.verify(await mint('HS256', 'idp-HS256', hmac))).resolves.toMatchObject({
      kid: 'idp-HS256',
    });
  });

  it('without requireVersionClaim: false, a token without `ver` is rejected (the default)', async () => {
    const strict = createTokenService({ issuer: ISSUER, audience: AUDIENCE, keys });
    expect(
      await rejection(async () => strict.verify(await mint('EdDSA', 'idp-EdDSA', idp.privateKeys.EdDSA))),
    ).toMatchObject({
      code: 'ERR_TOKEN_INVALID',
      reason: 'claims',
    });
  });

  it('a malformed `ver` is still rejected, and revokeAllForUser still revokes tokens without one', async () => {
    expect(
      await rejection(async () =>
        tokens.verify(await mint('EdDSA', 'idp-EdDSA', idp.privateKeys.EdDSA, { ver: 'x' })),
      ),
    ).toMatchObject({ reason: 'claims' });
    const own = createTokenService({ issuer: ISSUER, audience: AUDIENCE, keys, requireVersionClaim: false });
    const token = await mint('EdDSA', 'idp-EdDSA', idp.privateKeys.EdDSA);
    await own.revokeAllForUser('foreign-user');
    expect(await rejection(() => own.verify(token))).toMatchObject({ code: 'ERR_TOKEN_REVOKED' });
  });

  it('alg is pinned per key: another algorithm under a known kid is rejected before crypto', async () => {
    const wrong = await mint('ES256', 'idp-EdDSA', idp.privateKeys.ES256);
    expect(await rejection(() => tokens.verify(wrong))).toMatchObject({ reason: 'alg' });
    // HS256 "signed" with the RSA public key's JWK text (key confusion) under the RSA kid.
    const rsaPublic = new TextEncoder().encode(JSON.stringify(idp.jwks.keys[3]));
    const confused = await mint('HS256', 'idp-RS256', rsaPublic);
    expect(await rejection(() => tokens.verify(confused))).toMatchObject({ reason: 'alg' });
  });

  it('a verify-only ring cannot sign, publishes nothing, and takes no signing key', async () => {
    expect(await rejection(() => tokens.issue({ sub: 'u' }))).toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    expect(keys.jwks()).toEqual({ keys: [] });
    expect(await rejection(() => keys.rotate())).toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    const key = await importSigningKey({ alg: 'HS256', secret: hmac });
    expect(await rejection(() => createKeyRing({ verifyOnly: true, active: key }))).toMatchObject({
      code: 'ERR_INVALID_OPTION',
    });
  });

  it('a ring that signs can verify foreign keys too (jwks() publishes only its own)', async () => {
    const own = await createKeyRing({ clock, verifyKeys: await importJwks(idp.jwks) });
    const service = createTokenService({
      issuer: ISSUER,
      audience: AUDIENCE,
      keys: own,
      requireVersionClaim: false,
    });
    await expect(
      service.verify(await mint('PS256', 'idp-PS256', idp.privateKeys.PS256)),
    ).resolves.toMatchObject({
      sub: 'foreign-user',
    });
    const issued = await service.issue({ sub: 'u' });
    await expect(service.verify(issued.token)).resolves.toMatchObject({ sub: 'u' });
    expect(own.jwks().keys.map((k) => k.kid)).toEqual([own.active().kid]);
  });
});

describe('importing verification keys', () => {
  it('importJwks needs a kid and a supported alg per key (RSA cannot be guessed), skips encryption keys', async () => {
    const idp = await foreignIssuer();
    const [ed, , , rs] = idp.jwks.keys as [JWK, JWK, JWK, JWK];
    const { alg: _alg, ...edNoAlg } = ed;
    expect((await importJwks({ keys: [edNoAlg] }))[0]).toMatchObject({ alg: 'EdDSA', kid: 'idp-EdDSA' });
    const { alg: _rsAlg, ...rsNoAlg } = rs;
    expect(await rejection(() => importJwks({ keys: [rsNoAlg] }))).toMatchObject({
      code: 'ERR_INVALID_OPTION',
    });
    const { kid: _kid, ...noKid } = ed;
    expect(await rejection(() => importJwks({ keys: [noKid] }))).toMatchObject({
      code: 'ERR_INVALID_OPTION',
    });
    expect(
      await importJwks({ keys: [{ ...ed, use: 'enc' }, { ...ed, alg: 'RS384', kid: 'x' }, ed] }),
    ).toHaveLength(1);
    expect(await rejection(() => importJwks({ keys: [] }))).toMatchObject({ code: 'ERR_INVALID_OPTION' });
  });

  it('importVerificationKey refuses private key material and malformed input', async () => {
    const { privateKey } = await generateKeyPair('Ed25519', { extractable: true });
    const privateJwk = await exportJWK(privateKey);
    expect(await rejection(() => importVerificationKey({ alg: 'EdDSA', jwk: privateJwk }))).toMatchObject({
      code: 'ERR_INVALID_OPTION',
    });
    expect(await rejection(() => importVerificationKey({ alg: 'EdDSA', pem: 'not a pem' }))).toMatchObject({
      code: 'ERR_INVALID_OPTION',
    });
    expect(
      await rejection(() => importVerificationKey({ alg: 'HS256', secret: new Uint8Array(8) })),
    ).toMatchObject({
      code: 'ERR_INVALID_OPTION',
    });
  });

  it("importSigningKey keeps a JWK's own kid unless told otherwise", async () => {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const jwk = { ...(await exportJWK(privateKey)), kid: 'signing-2026-01' };
    expect((await importSigningKey({ alg: 'ES256', jwk })).kid).toBe('signing-2026-01');
    expect((await importSigningKey({ alg: 'ES256', jwk })).publicJwk?.kid).toBe('signing-2026-01');
    expect((await importSigningKey({ alg: 'ES256', jwk, kid: 'override' })).kid).toBe('override');
    const { kid: _kid, ...bare } = jwk;
    expect((await importSigningKey({ alg: 'ES256', jwk: bare })).kid).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(
      await rejection(() => importSigningKey({ alg: 'ES256', jwk: { ...jwk, kid: 'has space' } })),
    ).toMatchObject({
      code: 'ERR_INVALID_OPTION',
    });
  });
});

// A header forged by hand still meets the same checks as a jose-minted one.
describe('foreign token shape', () => {
  it('a token whose kid is not in the ring is reason kid', async () => {
    const keys = await createKeyRing({
      verifyOnly: true,
      verifyKeys: [await importVerificationKey({ alg: 'HS256', secret: hmac, kid: 'a' })],
    });
    const tokens = createTokenService({
      issuer: ISSUER,
      audience: AUDIENCE,
      keys,
      requireVersionClaim: false,
    });
    const token = `${b64json({ alg: 'HS256', kid: 'b', typ: 'at+jwt' })}.${b64json({ sub: 'x' })}.AAAA`;
    expect(await rejection(() => tokens.verify(token))).toMatchObject({ reason: 'kid' });
  });
});

describe('hostile key ring and import input', () => {
  it('refuses non-keys, duplicate kids and an empty verify-only ring', async () => {
    const a = await importVerificationKey({ alg: 'HS256', secret: hmac, kid: 'a' });
    const bad = [
      { verifyOnly: true },
      { verifyOnly: true, verifyKeys: [a, a] },
      { verifyKeys: [{ kid: 'x', alg: 'none' }] },
      { verifyKeys: [null] },
      { verifyKeys: 'a' },
      { retired: [{ key: { kid: 'k', alg: 'HS256' }, retiredAtMs: 0 }] },
    ];
    for (const options of bad) {
      expect(await rejection(() => createKeyRing(options as never))).toMatchObject({
        code: 'ERR_INVALID_OPTION',
      });
    }
  });

  it('importJwks refuses what is not a JWKS and JWKs with hostile kids', async () => {
    for (const input of [
      null,
      'x',
      { keys: 'x' },
      { keys: [{ kty: 'OKP', crv: 'Ed25519', x: 'AA', kid: 'a{b}' }] },
    ]) {
      expect(await rejection(() => importJwks(input as never))).toMatchObject({ code: 'ERR_INVALID_OPTION' });
    }
  });

  it('service options of the new features are checked', async () => {
    const keys = await createKeyRing();
    const base = { issuer: ISSUER, audience: AUDIENCE, keys };
    for (const extra of [
      { refreshClaims: { roles: [] } },
      { requireVersionClaim: 'no' },
      { revokeAccessOnRefreshReuse: 1 },
      { maxLifetimeMs: { access: -1 } },
      { maxLifetimeMs: 600_000 },
    ]) {
      expect(() => createTokenService({ ...base, ...(extra as object) })).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
      );
    }
  });
});
