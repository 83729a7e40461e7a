/**
 * Item 9 of the TokenService issue: every attack as a test. Each forged token is signed with a real key
 * where possible, so the check under test is the only one that can fail.
 */
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { createKeyRing, createTokenService, generateSigningKey } from '../../src/auth/index.js';
import { AUDIENCE, b64json, fixture, forge, ISSUER, rejection, validClaims } from './fixtures.js';

const P256_ORDER = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');

describe('alg none and key confusion', () => {
  it('rejects alg none, with an empty or a garbage signature, before any crypto', async () => {
    const { tokens, clock, key } = await fixture();
    const body = `${b64json({ alg: 'none', typ: 'at+jwt', kid: key.kid })}.${b64json(validClaims(clock.now()))}`;
    expect(await rejection(() => tokens.verify(`${body}.`))).toMatchObject({
      code: 'ERR_TOKEN_INVALID',
      reason: 'alg',
    });
    expect(await rejection(() => tokens.verify(`${body}.AAAA`))).toMatchObject({
      code: 'ERR_TOKEN_INVALID',
      reason: 'alg',
    });
    const upper = `${b64json({ alg: 'NONE', typ: 'at+jwt', kid: key.kid })}.${b64json(validClaims(clock.now()))}.AAAA`;
    expect(await rejection(() => tokens.verify(upper))).toMatchObject({ reason: 'alg' });
  });

  for (const alg of ['RS256', 'ES256', 'EdDSA'] as const) {
    it(`rejects HS256 signed with the ${alg} public key (key confusion)`, async () => {
      const { tokens, clock, key } = await fixture(alg);
      const publicJwk = key.publicJwk!;
      const pem = createPublicKey({ key: publicJwk as never, format: 'jwk' }).export({
        type: 'spki',
        format: 'pem',
      });
      for (const secret of [Buffer.from(String(pem)), Buffer.from(JSON.stringify(publicJwk))]) {
        const forged = await new SignJWT(validClaims(clock.now()))
          .setProtectedHeader({ alg: 'HS256', kid: key.kid, typ: 'at+jwt' })
          .sign(secret);
        expect(await rejection(() => tokens.verify(forged))).toMatchObject({
          code: 'ERR_TOKEN_INVALID',
          reason: 'alg',
        });
      }
    });
  }

  it('a key is used only with its own algorithm (ES256 key, header says ES384 or EdDSA)', async () => {
    const { tokens, clock, key } = await fixture('ES256');
    const good = await forge(key, validClaims(clock.now()));
    const [, payload, signature] = good.split('.');
    for (const alg of ['EdDSA', 'ES384', 'RS256']) {
      const swapped = `${b64json({ alg, kid: key.kid, typ: 'at+jwt' })}.${payload}.${signature}`;
      expect((await rejection(() => tokens.verify(swapped))).code).toBe('ERR_TOKEN_INVALID');
    }
  });
});

describe('kid', () => {
  it('rejects an unknown kid and a kid with path or injection characters', async () => {
    const { tokens, clock, key } = await fixture();
    for (const kid of ['unknown-kid', '../../etc/passwd', "x' OR 1=1 --", '', 'k'.repeat(200)]) {
      const forged = await forge(key, validClaims(clock.now()), { kid });
      expect(await rejection(() => tokens.verify(forged))).toMatchObject({
        code: 'ERR_TOKEN_INVALID',
        reason: 'kid',
      });
    }
    const noKid = `${b64json({ alg: key.alg, typ: 'at+jwt' })}.${b64json(validClaims(clock.now()))}.AAAA`;
    expect(await rejection(() => tokens.verify(noKid))).toMatchObject({ reason: 'kid' });
  });

  it('rejects a token naming the wrong kid of the ring (signature does not verify with that key)', async () => {
    const { tokens, keys, clock } = await fixture();
    const old = keys.active();
    await keys.rotate();
    const forged = await forge(keys.active(), validClaims(clock.now()), { kid: old.kid });
    expect(await rejection(() => tokens.verify(forged))).toMatchObject({
      code: 'ERR_TOKEN_INVALID',
      reason: 'signature',
    });
  });
});

describe('time claims', () => {
  it('expired: rejected after exp + tolerance, accepted within tolerance', async () => {
    const { tokens, clock } = await fixture();
    const { token, expiresAtMs } = await tokens.issue({ sub: 'user-1' });
    clock.set(expiresAtMs + 4_000);
    await expect(tokens.verify(token)).resolves.toMatchObject({ sub: 'user-1' });
    clock.set(expiresAtMs + 6_000);
    expect(await rejection(() => tokens.verify(token))).toMatchObject({
      code: 'ERR_TOKEN_EXPIRED',
      reason: 'expired',
    });
  });

  it('nbf in the future is rejected', async () => {
    const { tokens, clock, key } = await fixture();
    const forged = await forge(key, validClaims(clock.now(), { nbf: Math.floor(clock.now() / 1000) + 60 }));
    expect(await rejection(() => tokens.verify(forged))).toMatchObject({
      code: 'ERR_TOKEN_INVALID',
      reason: 'nbf',
    });
  });

  it('iat in the future beyond the tolerance is rejected; within it, accepted', async () => {
    const { tokens, clock, key } = await fixture();
    const nowS = Math.floor(clock.now() / 1000);
    const far = await forge(key, validClaims(clock.now(), { iat: nowS + 60 }));
    expect(await rejection(() => tokens.verify(far))).toMatchObject({
      code: 'ERR_TOKEN_INVALID',
      reason: 'iat',
    });
    const near = await forge(key, validClaims(clock.now(), { iat: nowS + 3 }));
    await expect(tokens.verify(near)).resolves.toMatchObject({ sub: 'user-1' });
  });

  it('every required claim must be present', async () => {
    const { tokens, clock, key } = await fixture();
    for (const claim of ['iss', 'aud', 'sub', 'exp', 'iat', 'jti']) {
      const claims = validClaims(clock.now());
      delete claims[claim];
      expect((await rejection(async () => tokens.verify(await forge(key, claims)))).code).toBe(
        'ERR_TOKEN_INVALID',
      );
    }
  });
});

describe('iss, aud, typ and token kinds', () => {
  it('wrong iss, aud and typ are rejected with their reason', async () => {
    const { tokens, clock, key } = await fixture();
    const wrongIss = await forge(key, validClaims(clock.now(), { iss: 'https://evil.test' }));
    expect(await rejection(() => tokens.verify(wrongIss))).toMatchObject({ reason: 'iss' });
    const wrongAud = await forge(key, validClaims(clock.now(), { aud: 'other-api' }));
    expect(await rejection(() => tokens.verify(wrongAud))).toMatchObject({ reason: 'aud' });
    for (const typ of ['JWT', 'rt+jwt', 'reset+jwt']) {
      const wrongTyp = await forge(key, validClaims(clock.now()), { typ });
      expect(await rejection(() => tokens.verify(wrongTyp))).toMatchObject({ reason: 'typ' });
    }
    const noTyp = `${b64json({ alg: key.alg, kid: key.kid })}.${b64json(validClaims(clock.now()))}.AAAA`;
    expect(await rejection(() => tokens.verify(noTyp))).toMatchObject({ reason: 'typ' });
    await expect(
      tokens.verify(await forge(key, validClaims(clock.now()), { typ: 'application/AT+JWT' })),
    ).resolves.toBeDefined();
  });

  it('an access token is not a refresh token, and the reverse', async () => {
    const { tokens } = await fixture();
    const pair = await tokens.issuePair({ sub: 'user-1' });
    expect(await rejection(() => tokens.refresh(pair.accessToken))).toMatchObject({
      code: 'ERR_TOKEN_INVALID',
      reason: 'malformed',
    });
    expect(await rejection(() => tokens.verify(pair.refreshToken))).toMatchObject({
      code: 'ERR_TOKEN_INVALID',
      reason: 'malformed',
    });
  });

  it('reset and verify-email tokens are not access tokens, and the reverse', async () => {
    const { tokens } = await fixture();
    const reset = await tokens.issueKind('reset', { sub: 'user-1' });
    const verifyEmail = await tokens.issueKind('verify-email', { sub: 'user-1' });
    const access = await tokens.issue({ sub: 'user-1' });
    expect(await rejection(() => tokens.verify(reset.token))).toMatchObject({ reason: 'typ' });
    expect(await rejection(() => tokens.verify(verifyEmail.token, { kind: 'reset' }))).toMatchObject({
      reason: 'typ',
    });
    expect(await rejection(() => tokens.verify(access.token, { kind: 'verify-email' }))).toMatchObject({
      reason: 'typ',
    });
    await expect(tokens.verify(reset.token, { kind: 'reset' })).resolves.toMatchObject({ kind: 'reset' });
  });
});

describe('tampering and headers', () => {
  it('tampered header, payload and signature are rejected', async () => {
    const { tokens } = await fixture();
    const { token } = await tokens.issue({ sub: 'user-1' });
    const [h, p, s] = token.split('.') as [string, string, string];
    const header = JSON.parse(Buffer.from(h, 'base64url').toString());
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString());
    const tamperedHeader = `${b64json({ ...header, extra: 1 })}.${p}.${s}`;
    const tamperedPayload = `${h}.${b64json({ ...payload, sub: 'admin' })}.${s}`;
    const flipped = s.startsWith('A') ? `B${s.slice(1)}` : `A${s.slice(1)}`;
    for (const forged of [tamperedHeader, tamperedPayload, `${h}.${p}.${flipped}`]) {
      expect(await rejection(() => tokens.verify(forged))).toMatchObject({
        code: 'ERR_TOKEN_INVALID',
        reason: 'signature',
      });
    }
  });

  it('a crit header is rejected, and so are jku / jwk / x5u / x5c', async () => {
    const { tokens, clock, key } = await fixture();
    // A properly signed token whose header marks an extension as critical (jose signs it when told the
    // extension is understood); the verifier does not understand it and must refuse.
    const crit = await new SignJWT(validClaims(clock.now()))
      .setProtectedHeader({
        alg: key.alg,
        kid: key.kid,
        typ: 'at+jwt',
        crit: ['urn:x-ext'],
        'urn:x-ext': 1,
      } as never)
      .sign(key.signKey, { crit: { 'urn:x-ext': true } });
    expect(await rejection(() => tokens.verify(crit))).toMatchObject({ reason: 'crit' });
    for (const header of [
      { jku: 'https://evil.test/jwks' },
      { jwk: key.publicJwk },
      { x5u: 'https://evil.test' },
      { x5c: ['AAAA'] },
    ]) {
      const forged = await forge(key, validClaims(clock.now()), header);
      expect(await rejection(() => tokens.verify(forged))).toMatchObject({ reason: 'header' });
    }
  });

  it('an oversized token is rejected before parsing', async () => {
    const { tokens, clock, key } = await fixture();
    const big = await forge(key, validClaims(clock.now(), { pad: 'x'.repeat(10_000) }));
    expect(await rejection(() => tokens.verify(big))).toMatchObject({ reason: 'too-large' });
    expect(await rejection(() => tokens.verify('a'.repeat(1_000_000)))).toMatchObject({
      reason: 'too-large',
    });
  });

  it('non-ASCII and malformed compact forms are rejected as malformed or header', async () => {
    const { tokens } = await fixture();
    const { token } = await tokens.issue({ sub: 'user-1' });
    const [h, p, s] = token.split('.') as [string, string, string];
    const malformed = [
      '',
      'abc',
      'a.b',
      'a.b.c.d',
      '..',
      `${h}..${s}`,
      ` ${token}`,
      `${token}\n`,
      `${h}.${p}.${s}=`,
      `${h}=.${p}.${s}`,
      `${h}.${p}.${s.slice(0, 10)}é${s.slice(11)}`,
      `${h}.${p}\u0000.${s}`,
      `${h}.${p}.${s}\u{1F600}`,
      `${h}+.${p}.${s}`,
    ];
    for (const bad of malformed) {
      expect(await rejection(() => tokens.verify(bad))).toMatchObject({
        code: 'ERR_TOKEN_INVALID',
        reason: 'malformed',
      });
    }
    for (const bad of [null, undefined, 42, {}, ['a', 'b', 'c']]) {
      expect(await rejection(() => tokens.verify(bad as never))).toMatchObject({ reason: 'malformed' });
    }
    for (const header of ['not json', '[1,2]', 'null', '"str"']) {
      const bad = `${Buffer.from(header).toString('base64url')}.${p}.${s}`;
      expect(await rejection(() => tokens.verify(bad))).toMatchObject({ reason: 'header' });
    }
  });

  it('error messages never echo the token or key material', async () => {
    const { tokens, clock, key } = await fixture('HS256');
    const { token } = await tokens.issue({ sub: 'user-1' });
    const [h, p, s] = token.split('.') as [string, string, string];
    const attempts = [
      // The first character: the last ones carry unused bits, so `...AA` could decode to the same signature.
      `${h}.${p}.${s[0] === 'A' ? 'B' : 'A'}${s.slice(1)}`,
      `${h}.${p}`,
      await forge(key, validClaims(clock.now(), { iss: 'x' })),
    ];
    for (const bad of attempts) {
      const { message } = await rejection(() => tokens.verify(bad));
      expect(message).not.toContain(s.slice(0, 16));
      expect(message).not.toContain(p.slice(0, 16));
      expect(message).not.toContain(
        Buffer.from(key.signKey as Uint8Array)
          .toString('base64url')
          .slice(0, 16),
      );
    }
  });
});

describe('revocation survives re-encoding', () => {
  it('a revoked jti is rejected', async () => {
    const { tokens } = await fixture();
    const { token } = await tokens.issue({ sub: 'user-1' });
    await tokens.revoke(token);
    expect(await rejection(() => tokens.verify(token))).toMatchObject({ code: 'ERR_TOKEN_REVOKED' });
    await tokens.revoke(token); // idempotent
  });

  it('ES256 high-S re-encoding verifies as the same token, and stays revoked', async () => {
    const { tokens } = await fixture('ES256');
    const { token } = await tokens.issue({ sub: 'user-1' });
    const [h, p, s] = token.split('.') as [string, string, string];
    const sig = Buffer.from(s, 'base64url');
    const highS = (P256_ORDER - BigInt(`0x${sig.subarray(32).toString('hex')}`))
      .toString(16)
      .padStart(64, '0');
    const twin = `${h}.${p}.${Buffer.concat([sig.subarray(0, 32), Buffer.from(highS, 'hex')]).toString('base64url')}`;
    expect(twin).not.toBe(token);
    // The point: the twin is a valid token, so a denylist keyed on the token text would miss it.
    await expect(tokens.verify(twin)).resolves.toMatchObject({ sub: 'user-1' });
    await tokens.revoke(token);
    expect(await rejection(() => tokens.verify(twin))).toMatchObject({ code: 'ERR_TOKEN_REVOKED' });
  });

  it('non-canonical base64url in the signature stays revoked; padding and header key order are rejected', async () => {
    const { tokens, key } = await fixture('EdDSA');
    const { token } = await tokens.issue({ sub: 'user-1' });
    const [h, p, s] = token.split('.') as [string, string, string];
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const lastBitsFlipped = `${h}.${p}.${s.slice(0, -1)}${alphabet[alphabet.indexOf(s.at(-1) as string) ^ 1]}`;
    expect(lastBitsFlipped).not.toBe(token);
    await tokens.revoke(token);
    expect(await rejection(() => tokens.verify(lastBitsFlipped))).toMatchObject({
      code: 'ERR_TOKEN_REVOKED',
    });
    expect(await rejection(() => tokens.verify(`${h}.${p}.${s}==`))).toMatchObject({
      code: 'ERR_TOKEN_INVALID',
    });
    const reordered = `${b64json({ typ: 'at+jwt', kid: key.kid, alg: key.alg })}.${p}.${s}`;
    expect((await rejection(() => tokens.verify(reordered))).code).toMatch(/ERR_TOKEN_(INVALID|REVOKED)/);
  });

  it('revokeAllForUser rejects every earlier token of the user, not later ones or other users', async () => {
    const { tokens, clock } = await fixture();
    const before = await tokens.issue({ sub: 'user-1' });
    const other = await tokens.issue({ sub: 'user-2' });
    const pair = await tokens.issuePair({ sub: 'user-1' });
    await tokens.revokeAllForUser('user-1');
    expect(await rejection(() => tokens.verify(before.token))).toMatchObject({ code: 'ERR_TOKEN_REVOKED' });
    expect(await rejection(() => tokens.refresh(pair.refreshToken))).toMatchObject({
      code: 'ERR_TOKEN_REVOKED',
    });
    await expect(tokens.verify(other.token)).resolves.toMatchObject({ sub: 'user-2' });
    clock.advance(1_000);
    const after = await tokens.issue({ sub: 'user-1' });
    await expect(tokens.verify(after.token)).resolves.toMatchObject({ sub: 'user-1' });
  });
});

describe('refresh families', () => {
  it('reuse of a rotated refresh token revokes the family', async () => {
    const { tokens, clock, metrics } = await fixture();
    const first = await tokens.issuePair({ sub: 'user-1' });
    const second = await tokens.refresh(first.refreshToken);
    clock.advance(60_000); // past the grace window
    expect(await rejection(() => tokens.refresh(first.refreshToken))).toMatchObject({
      code: 'ERR_TOKEN_REUSED',
    });
    expect(await rejection(() => tokens.refresh(second.refreshToken))).toMatchObject({
      code: 'ERR_TOKEN_REVOKED',
    });
    expect(metrics.counterValue('auth.refresh.reuse_detected')).toBe(1);
  });

  it('two concurrent refreshes within the grace window both succeed, once', async () => {
    const { tokens } = await fixture();
    const first = await tokens.issuePair({ sub: 'user-1' });
    const [a, b] = await Promise.all([
      tokens.refresh(first.refreshToken),
      tokens.refresh(first.refreshToken),
    ]);
    expect(a.refreshToken).not.toBe(b.refreshToken);
    expect(await rejection(() => tokens.refresh(first.refreshToken))).toMatchObject({
      code: 'ERR_TOKEN_REUSED',
    });
  });

  it('a refresh token with a guessed secret is unknown and does not hurt the family', async () => {
    const { tokens } = await fixture();
    const first = await tokens.issuePair({ sub: 'user-1' });
    const guessed = `${first.refreshToken.split('.')[0]}.${'A'.repeat(43)}`;
    expect(await rejection(() => tokens.refresh(guessed))).toMatchObject({
      code: 'ERR_TOKEN_INVALID',
      reason: 'unknown',
    });
    expect(await tokens.revokeRefresh(guessed)).toBe(false);
    await expect(tokens.refresh(first.refreshToken)).resolves.toBeDefined();
  });

  it('a family expires at its lifetime', async () => {
    const { tokens, clock } = await fixture('EdDSA', { refreshTtlMs: 3_600_000 });
    const first = await tokens.issuePair({ sub: 'user-1' });
    clock.advance(3_600_000);
    expect(await rejection(() => tokens.refresh(first.refreshToken))).toMatchObject({
      code: 'ERR_TOKEN_EXPIRED',
    });
  });
});

describe('HMAC and RSA key strength', () => {
  it('refuses HS256 secrets under 256 bits and RSA keys under 2048 bits', async () => {
    const { importSigningKey } = await import('../../src/auth/index.js');
    await expect(importSigningKey({ alg: 'HS256', secret: new Uint8Array(31) })).rejects.toMatchObject({
      code: 'ERR_INVALID_OPTION',
    });
    const { generateKeyPairSync } = await import('node:crypto');
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const jwk = createPrivateKey(privateKey.export({ type: 'pkcs8', format: 'pem' })).export({
      format: 'jwk',
    });
    await expect(importSigningKey({ alg: 'RS256', jwk: jwk as never })).rejects.toMatchObject({
      code: 'ERR_INVALID_OPTION',
    });
  });

  it('a token service never verifies with an algorithm its key was not made for, even when both are allowed', async () => {
    const hs = await generateSigningKey('HS256');
    const keys = await createKeyRing({
      active: await generateSigningKey('EdDSA'),
      retired: [{ key: hs, retiredAtMs: Date.now() }],
    });
    const tokens = createTokenService({ issuer: ISSUER, audience: AUDIENCE, keys });
    const forged = await new SignJWT(validClaims(Date.now()))
      .setProtectedHeader({ alg: 'EdDSA', kid: hs.kid, typ: 'at+jwt' })
      .sign(keys.active().signKey);
    expect(await rejection(() => tokens.verify(forged))).toMatchObject({ reason: 'alg' });
  });
});

describe('fuzzing the parser', () => {
  it('any string, and any three base64url segments, is rejected with a typed token error', async () => {
    const fc = await import('fast-check');
    const { isBackendPatternsError } = await import('../../src/index.js');
    const { tokens } = await fixture();
    const segment = fc.stringMatching(/^[A-Za-z0-9_-]{1,200}$/);
    const jsonSegment = fc
      .jsonValue()
      .map((v) => Buffer.from(JSON.stringify(v) ?? 'null').toString('base64url'));
    const candidates = fc.oneof(
      fc.string({ maxLength: 500 }),
      fc.tuple(segment, segment, segment).map((parts) => parts.join('.')),
      fc.tuple(jsonSegment, jsonSegment, segment).map((parts) => parts.join('.')),
    );
    await fc.assert(
      fc.asyncProperty(candidates, async (candidate) => {
        try {
          await tokens.verify(candidate);
          return false;
        } catch (error) {
          return isBackendPatternsError(error, 'ERR_TOKEN_INVALID');
        }
      }),
      { numRuns: 300 },
    );
  });
});
