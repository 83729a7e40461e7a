/**
 * CloudFront signed URLs (canned policy) through `@aws-sdk/cloudfront-signer`, in the shape the policy's
 * `serving.cloudFront` takes. The key is parsed once at construction, so a bad PEM fails there and not
 * on the first download.
 */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { getSignedUrl } from '@aws-sdk/cloudfront-signer';
import { InvalidArgumentError, InvalidOptionError } from '../core/errors.js';

/** Options of {@link createCloudFrontSigner}. */
export interface CloudFrontSignerOptions {
  /** The CloudFront public key id (`K2JCJMDEHXQW5F`) or legacy key pair id (`APKA...`). */
  readonly keyPairId: string;
  /** The RSA private key, PEM. Never echoed in errors. */
  readonly privateKey: string | Uint8Array;
}

/** Signs URLs under a CloudFront distribution. */
export interface CloudFrontSigner {
  /** `url` with `Expires`, `Signature` and `Key-Pair-Id`, valid until `expiresAtMs` (rounded down to the second). */
  sign(url: string, expiresAtMs: number): string;
}

const OWNER = 'createCloudFrontSigner';

function parseKey(privateKey: unknown): KeyObject {
  if (typeof privateKey !== 'string' && !(privateKey instanceof Uint8Array)) {
    throw new InvalidOptionError(`${OWNER}: \`privateKey\` must be a PEM string or bytes`);
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(typeof privateKey === 'string' ? privateKey : Buffer.from(privateKey));
  } catch (error) {
    // The cause is kept for logs; the message never includes the key material.
    throw new InvalidOptionError(`${OWNER}: \`privateKey\` is not a readable private key`, { cause: error });
  }
  if (key.asymmetricKeyType !== 'rsa') {
    throw new InvalidOptionError(`${OWNER}: \`privateKey\` must be an RSA key (CloudFront signs with RSA)`);
  }
  return key;
}

/**
 * Creates a CloudFront URL signer.
 *
 * @example
 * ```ts nocheck
 * const cloudFront = createCloudFrontSigner({ keyPairId: 'K2JCJMDEHXQW5F', privateKey: process.env.CF_KEY! });
 * const url = cloudFront.sign('https://cdn.example.com/files/a.png', clock.now() + 300_000);
 * ```
 */
export function createCloudFrontSigner(options: CloudFrontSignerOptions): CloudFrontSigner {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidOptionError(`${OWNER}: options must be an object`);
  }
  const { keyPairId } = options;
  if (typeof keyPairId !== 'string' || !/^[A-Za-z0-9]{1,128}$/.test(keyPairId)) {
    throw new InvalidOptionError(`${OWNER}: \`keyPairId\` must be 1..128 letters and digits`);
  }
  const pem = parseKey(options.privateKey).export({ type: 'pkcs8', format: 'pem' }).toString();
  return {
    sign(url, expiresAtMs) {
      let parsed: URL;
      try {
        parsed = new URL(url);
      } catch {
        throw new InvalidArgumentError('`url` must be an absolute URL');
      }
      if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
        throw new InvalidArgumentError('`url` must be an http(s) URL');
      }
      if (!Number.isSafeInteger(expiresAtMs) || expiresAtMs < 1000) {
        throw new InvalidArgumentError('`expiresAtMs` must be an integer epoch time in ms');
      }
      // Whole seconds, rounded down: the signer would round to nearest and could outlive the deadline.
      const dateLessThan = new Date(Math.floor(expiresAtMs / 1000) * 1000);
      return getSignedUrl({ url, keyPairId, privateKey: pem, dateLessThan });
    },
  };
}
