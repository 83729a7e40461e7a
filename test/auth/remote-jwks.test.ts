/**
 * Verification against an external identity provider's JWKS URL, served by a local node:http server
 * whose key set rotates.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createKeyRing,
  createRemoteJwksVerifier,
  createTokenService,
  type KeyRing,
} from '../../src/auth/index.js';
import { rejection } from './fixtures.js';

const IDP = 'https://idp.test';

describe('createRemoteJwksVerifier', () => {
  let server: Server;
  let url: string;
  let keys: KeyRing;
  let served: { keys: JWK[] } = { keys: [] };
  let fetches = 0;

  beforeAll(async () => {
    keys = await createKeyRing({ algorithm: 'ES256', graceMs: 7_200_000 });
    served = keys.jwks();
    server = createServer((req, res) => {
      fetches += 1;
      if (req.url === '/broken') {
        res.writeHead(500).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(served));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const idp = () => createTokenService({ issuer: IDP, audience: 'api', keys });

  it('verifies tokens of the provider and follows its key rotation', async () => {
    const verifier = createRemoteJwksVerifier({
      url: `${url}/jwks`,
      issuer: IDP,
      audience: 'api',
      cooldownMs: 0,
    });
    const first = await idp().issue({ sub: 'user-1' });
    await expect(verifier.verify(first.token)).resolves.toMatchObject({
      sub: 'user-1',
      kid: keys.active().kid,
    });
    const fetchesBefore = fetches;
    await verifier.verify(first.token);
    expect(fetches).toBe(fetchesBefore); // cached

    await keys.rotate();
    served = keys.jwks(); // the provider publishes the new key (and keeps the old one in grace)
    const second = await idp().issue({ sub: 'user-2' });
    await expect(verifier.verify(second.token)).resolves.toMatchObject({
      sub: 'user-2',
      kid: keys.active().kid,
    });
    expect(fetches).toBe(fetchesBefore + 1); // an unknown kid triggered one refetch
    await expect(verifier.verify(first.token)).resolves.toMatchObject({ sub: 'user-1' });
  });

  it('rejects a token whose kid the provider does not publish, and a wrong issuer or audience', async () => {
    const verifier = createRemoteJwksVerifier({
      url: `${url}/jwks`,
      issuer: IDP,
      audience: 'api',
      cooldownMs: 0,
    });
    const stranger = await createKeyRing({ algorithm: 'ES256' });
    const foreign = await createTokenService({ issuer: IDP, audience: 'api', keys: stranger }).issue({
      sub: 'x',
    });
    expect(await rejection(() => verifier.verify(foreign.token))).toMatchObject({
      code: 'ERR_TOKEN_INVALID',
      reason: 'kid',
    });
    const otherAud = await createTokenService({ issuer: IDP, audience: 'other', keys }).issue({ sub: 'x' });
    expect(await rejection(() => verifier.verify(otherAud.token))).toMatchObject({ reason: 'aud' });
    const otherIss = await createTokenService({ issuer: 'https://evil.test', audience: 'api', keys }).issue({
      sub: 'x',
    });
    expect(await rejection(() => verifier.verify(otherIss.token))).toMatchObject({ reason: 'iss' });
  });

  it('never accepts HS256, even signed with a published public key', async () => {
    const verifier = createRemoteJwksVerifier({ url: `${url}/jwks`, issuer: IDP, audience: 'api' });
    const { SignJWT } = await import('jose');
    const forged = await new SignJWT({ sub: 'x', jti: 'j', iss: IDP, aud: 'api' })
      .setProtectedHeader({ alg: 'HS256', kid: keys.active().kid })
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(Buffer.from(JSON.stringify(keys.jwks().keys[0])));
    expect(await rejection(() => verifier.verify(forged))).toMatchObject({
      code: 'ERR_TOKEN_INVALID',
      reason: 'alg',
    });
  });

  it('a failing JWKS endpoint is a store error, not an invalid token', async () => {
    const verifier = createRemoteJwksVerifier({ url: `${url}/broken`, issuer: IDP, audience: 'api' });
    const token = (await idp().issue({ sub: 'user-1' })).token;
    expect(await rejection(() => verifier.verify(token))).toMatchObject({ code: 'ERR_STORE' });
  });

  it('validates its options', () => {
    for (const options of [
      { url: 'http://idp.example.com/jwks', issuer: IDP, audience: 'api' },
      { url: 'not a url', issuer: IDP, audience: 'api' },
      { url: `https://idp.test/jwks`, issuer: IDP, audience: 'api', algorithms: ['HS256'] },
      { url: `https://idp.test/jwks`, issuer: '', audience: 'api' },
    ]) {
      expect(() => createRemoteJwksVerifier(options as never)).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
      );
    }
  });
});
