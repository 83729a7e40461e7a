/**
 * CloudFront signed URLs: the signature verifies with the public key over the canned policy CloudFront
 * rebuilds from the URL and `Expires`; bad keys and arguments are typed errors that never echo the key.
 */
import { createVerify, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createCloudFrontSigner } from '../../src/uploads/s3.js';

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const privateKey = rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

/** CloudFront's base64 alphabet back to the standard one. */
const standardBase64 = (s: string) => s.replace(/-/g, '+').replace(/_/g, '=').replace(/~/g, '/');

function verifies(signedUrl: string, publicKey = rsa.publicKey): boolean {
  const url = new URL(signedUrl);
  const expires = url.searchParams.get('Expires');
  const signature = url.searchParams.get('Signature') ?? '';
  for (const name of ['Expires', 'Signature', 'Key-Pair-Id']) url.searchParams.delete(name);
  const resource = url.toString().replace(/\?$/, '');
  const policy = JSON.stringify({
    Statement: [{ Resource: resource, Condition: { DateLessThan: { 'AWS:EpochTime': Number(expires) } } }],
  });
  return createVerify('RSA-SHA1')
    .update(policy)
    .verify(publicKey, Buffer.from(standardBase64(signature), 'base64'));
}

describe('createCloudFrontSigner', () => {
  const signer = createCloudFrontSigner({ keyPairId: 'K2JCJMDEHXQW5F', privateKey });
  const expiresAtMs = Date.UTC(2030, 0, 1, 0, 0, 0, 900);

  it('signs: Expires (whole seconds, rounded down), Signature, Key-Pair-Id; the signature verifies', () => {
    const signed = signer.sign('https://cdn.example.com/files/a%20b.png', expiresAtMs);
    const params = new URL(signed).searchParams;
    expect(params.get('Expires')).toBe(String(Math.floor(expiresAtMs / 1000)));
    expect(params.get('Key-Pair-Id')).toBe('K2JCJMDEHXQW5F');
    expect(params.get('Signature')).toMatch(/^[A-Za-z0-9~_-]+$/);
    expect(verifies(signed)).toBe(true);
  });

  it('a changed path, another key or another expiry does not verify (the check can fail)', () => {
    const signed = signer.sign('https://cdn.example.com/files/a.png', expiresAtMs);
    expect(verifies(signed.replace('/a.png', '/b.png'))).toBe(false);
    expect(verifies(signed.replace(/Expires=\d+/, 'Expires=1999999999'))).toBe(false);
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
    expect(verifies(signed, other)).toBe(false);
  });

  it('bytes are a key too', () => {
    const fromBytes = createCloudFrontSigner({
      keyPairId: 'APKAEXAMPLE',
      privateKey: Buffer.from(privateKey),
    });
    expect(verifies(fromBytes.sign('https://cdn.example.com/x', expiresAtMs))).toBe(true);
  });

  it('hostile keys: bad PEM, an EC key, no key → ERR_INVALID_OPTION, key never echoed', () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({
      type: 'pkcs8',
      format: 'pem',
    });
    const truncated = privateKey.slice(0, 200);
    for (const key of [
      '-----BEGIN PRIVATE KEY-----\nnot base64\n-----END PRIVATE KEY-----',
      truncated,
      ec,
      42,
    ]) {
      let error: unknown;
      try {
        createCloudFrontSigner({ keyPairId: 'K1', privateKey: key as string });
      } catch (e) {
        error = e;
      }
      expect(error).toMatchObject({ code: 'ERR_INVALID_OPTION' });
      expect((error as Error).message).not.toContain('BEGIN');
      expect((error as Error).message).not.toContain(truncated.slice(40, 80));
    }
    expect(() => createCloudFrontSigner({ keyPairId: 'bad id!', privateKey })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
    );
    expect(() => createCloudFrontSigner(null as never)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
    );
  });

  it('bad arguments → ERR_INVALID_ARGUMENT', () => {
    for (const [url, at] of [
      ['not a url', expiresAtMs],
      ['ftp://cdn.example.com/a', expiresAtMs],
      ['https://cdn.example.com/a', Number.NaN],
      ['https://cdn.example.com/a', 1.5],
    ] as const) {
      expect(() => signer.sign(url, at)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
    }
  });
});
