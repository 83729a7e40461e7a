/**
 * Issue 9 item 6: the verify policy. A token may not live longer than its kind allows (`exp - iat`), a
 * `cty` header (nested or content-typed JWS) is refused, and `alg: none` is an algorithm error whatever
 * its signature segment looks like.
 */
import { describe, expect, it } from 'vitest';
import { createTokenService } from '../../src/auth/index.js';
import { AUDIENCE, b64json, fixture, forge, ISSUER, rejection, validClaims } from './fixtures.js';

const MIN = 60_000;
const S = 1_000;

describe('maximum token lifetime per kind', () => {
  it('rejects an access token living longer than accessTtlMs (the default maximum)', async () => {
    const { tokens, key, clock } = await fixture();
    const iat = Math.floor(clock.now() / S);
    const long = await forge(key, validClaims(clock.now(), { iat, exp: iat + 11 * 60 }));
    expect(await rejection(() => tokens.verify(long))).toMatchObject({
      code: 'ERR_TOKEN_INVALID',
      reason: 'lifetime',
    });
    const exact = await forge(key, validClaims(clock.now(), { iat, exp: iat + 10 * 60 }));
    await expect(tokens.verify(exact)).resolves.toMatchObject({ sub: 'user-1' });
  });

  it('applies each kind its own maximum', async () => {
    const { tokens, key, clock } = await fixture();
    const iat = Math.floor(clock.now() / S);
    const reset = await forge(key, validClaims(clock.now(), { iat, exp: iat + 31 * 60 }), {
      typ: 'reset+jwt',
    });
    expect(await rejection(() => tokens.verify(reset, { kind: 'reset' }))).toMatchObject({
      reason: 'lifetime',
    });
    const email = await forge(key, validClaims(clock.now(), { iat, exp: iat + 59 * 60 }), {
      typ: 'verify-email+jwt',
    });
    await expect(tokens.verify(email, { kind: 'verify-email' })).resolves.toMatchObject({ sub: 'user-1' });
  });

  it('maxLifetimeMs raises a maximum (e.g. while a lowered TTL rolls out)', async () => {
    const { tokens, key, clock } = await fixture('EdDSA', { maxLifetimeMs: { access: 60 * MIN } });
    const iat = Math.floor(clock.now() / S);
    const hour = await forge(key, validClaims(clock.now(), { iat, exp: iat + 3600 }));
    await expect(tokens.verify(hour)).resolves.toMatchObject({ sub: 'user-1' });
    const longer = await forge(key, validClaims(clock.now(), { iat, exp: iat + 3601 }));
    expect(await rejection(() => tokens.verify(longer))).toMatchObject({ reason: 'lifetime' });
  });

  it('tokens the service issues are within the maximum, whatever the TTL', async () => {
    const { tokens } = await fixture('EdDSA', { accessTtlMs: 30_500 });
    const issued = await tokens.issue({ sub: 'user-1' });
    await expect(tokens.verify(issued.token)).resolves.toMatchObject({ sub: 'user-1' });
  });

  it('a maximum below the kind TTL, or an unknown kind, is an option error', async () => {
    const { keys } = await fixture();
    const base = { issuer: ISSUER, audience: AUDIENCE, keys };
    expect(() => createTokenService({ ...base, maxLifetimeMs: { access: 5 * MIN } })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
    );
    expect(() =>
      createTokenService({ ...base, maxLifetimeMs: { refresh: HOUR_MS } as unknown as { access: number } }),
    ).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION' }));
  });
});

const HOUR_MS = 60 * MIN;

describe('header policy', () => {
  it('rejects a `cty` header (nested JWTs are not accepted)', async () => {
    const { tokens, key, clock } = await fixture();
    for (const cty of ['JWT', 'json']) {
      const token = await forge(key, validClaims(clock.now()), { cty });
      expect(await rejection(() => tokens.verify(token))).toMatchObject({
        code: 'ERR_TOKEN_INVALID',
        reason: 'header',
      });
    }
  });

  it('reports `alg: none` with an empty signature as an algorithm error', async () => {
    const { tokens, key, clock } = await fixture();
    const body = `${b64json({ alg: 'none', typ: 'at+jwt', kid: key.kid })}.${b64json(validClaims(clock.now()))}`;
    expect(await rejection(() => tokens.verify(`${body}.`))).toMatchObject({
      code: 'ERR_TOKEN_INVALID',
      reason: 'alg',
    });
  });

  it('an empty signature under an allowed alg is a signature error, before any crypto', async () => {
    const { tokens, key, clock } = await fixture();
    const token = await forge(key, validClaims(clock.now()));
    const stripped = token.slice(0, token.lastIndexOf('.') + 1);
    expect(await rejection(() => tokens.verify(stripped))).toMatchObject({
      code: 'ERR_TOKEN_INVALID',
      reason: 'signature',
    });
  });
});
