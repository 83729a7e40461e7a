/**
 * Signed unsubscribe tokens: `v1.<key id>.<payload>.<signature>`, the payload (user, channel, category,
 * expiry) in base64url JSON and an HMAC-SHA256 over everything before it. The first key of the ring
 * signs; every key verifies, so rotation is: add the new key first, keep the old one until tokens signed
 * with it have expired, then drop it. Signatures are compared in constant time; expiry is checked only
 * after the signature, so a forged token is always reported as invalid, never as expired.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import { InvalidOptionError } from '../core/errors.js';
import { UnsubscribeExpiredError, UnsubscribeTokenError } from './errors.js';
import type { ChannelKind } from './provider.js';

/** One signing key of the ring. */
export interface UnsubscribeKey {
  /** `[A-Za-z0-9_-]{1,32}`, written into tokens so the right key verifies them. */
  readonly id: string;
  /** At least 32 random bytes. */
  readonly secret: Uint8Array;
}

/** What an unsubscribe token stands for. */
export interface UnsubscribeClaims {
  readonly userId: string;
  /** `'*'` when the token unsubscribes from the category on every channel. */
  readonly channel: ChannelKind | '*';
  readonly category: string;
  readonly expiresAtMs: number;
}

/** Signs and verifies unsubscribe tokens. */
export interface UnsubscribeSigner {
  sign(claims: Omit<UnsubscribeClaims, 'expiresAtMs'>): string;
  verify(token: unknown): UnsubscribeClaims;
}

const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;
const MAX_TOKEN_LENGTH = 2048;
const VERSION = 'v1';

const mac = (secret: Uint8Array, text: string) => createHmac('sha256', secret).update(text).digest();

function checkKeys(keys: readonly UnsubscribeKey[]): void {
  if (keys.length === 0)
    throw new InvalidOptionError('createNotifier: `unsubscribe.keys` needs at least one key');
  const ids = new Set<string>();
  keys.forEach((k, i) => {
    if (typeof k?.id !== 'string' || !KEY_ID.test(k.id) || ids.has(k.id)) {
      throw new InvalidOptionError(
        `createNotifier: \`unsubscribe.keys[${i}].id\` must be a unique [A-Za-z0-9_-]{1,32}`,
      );
    }
    if (!(k.secret instanceof Uint8Array) || k.secret.length < 32) {
      throw new InvalidOptionError(
        `createNotifier: \`unsubscribe.keys[${i}].secret\` must be at least 32 bytes`,
      );
    }
    ids.add(k.id);
  });
}

function parseClaims(payload: string): UnsubscribeClaims {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    throw new UnsubscribeTokenError('the unsubscribe token is malformed');
  }
  const p = parsed as { u?: unknown; c?: unknown; k?: unknown; e?: unknown };
  if (
    typeof p.u !== 'string' ||
    typeof p.c !== 'string' ||
    typeof p.k !== 'string' ||
    !Number.isSafeInteger(p.e)
  ) {
    throw new UnsubscribeTokenError('the unsubscribe token is malformed');
  }
  return {
    userId: p.u,
    channel: p.c as UnsubscribeClaims['channel'],
    category: p.k,
    expiresAtMs: p.e as number,
  };
}

/** Builds the signer; `ttlMs` is how long a token stays valid. */
export function createUnsubscribeSigner(
  keys: readonly UnsubscribeKey[],
  ttlMs: number,
  clock: Clock,
): UnsubscribeSigner {
  checkKeys(keys);
  const ring = new Map(keys.map((k) => [k.id, new Uint8Array(k.secret)] as const));
  const signing = keys[0] as UnsubscribeKey;
  const signingSecret = ring.get(signing.id) as Uint8Array;
  return {
    sign({ userId, channel, category }) {
      const payload = Buffer.from(
        JSON.stringify({ u: userId, c: channel, k: category, e: clock.now() + ttlMs }),
      ).toString('base64url');
      const signed = `${VERSION}.${signing.id}.${payload}`;
      return `${signed}.${mac(signingSecret, signed).toString('base64url')}`;
    },
    verify(token) {
      if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) {
        throw new UnsubscribeTokenError('the unsubscribe token is malformed');
      }
      const parts = token.split('.');
      const [version, kid, payload, signature] = parts;
      if (parts.length !== 4 || version !== VERSION || !kid || !payload || !signature) {
        throw new UnsubscribeTokenError('the unsubscribe token is malformed');
      }
      const secret = ring.get(kid);
      if (secret === undefined)
        throw new UnsubscribeTokenError('the unsubscribe token is signed by an unknown key');
      const expected = mac(secret, `${version}.${kid}.${payload}`);
      const given = Buffer.from(signature, 'base64url');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        throw new UnsubscribeTokenError('the unsubscribe token signature does not match');
      }
      const claims = parseClaims(payload);
      if (claims.expiresAtMs <= clock.now()) throw new UnsubscribeExpiredError();
      return claims;
    },
  };
}
