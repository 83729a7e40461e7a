/**
 * Signing keys and the key ring. Each key is pinned to exactly one algorithm (RFC 8725 §3.1), so a token
 * whose header names another `alg` for that `kid` is rejected before any crypto: that is what defeats
 * "HS256 signed with the RSA public key" (key confusion).
 */
import {
  type CryptoKey,
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  importJWK,
  importPKCS8,
  type JWK,
} from 'jose';
import type { Clock } from '../core/clock.js';
import { InvalidArgumentError, InvalidOptionError } from '../core/errors.js';
import { defineOptions, opt, optionError } from '../core/options.js';
import { argument } from '../core/validate.js';
import { randomToken } from './secrets.js';

/** The algorithms a key may be made for. `none` is not one of them, and never will be. */
export type SigningAlgorithm = 'EdDSA' | 'ES256' | 'PS256' | 'RS256' | 'HS256';

/** Every supported algorithm, in order of preference. */
export const signingAlgorithms: readonly SigningAlgorithm[] = ['EdDSA', 'ES256', 'PS256', 'RS256', 'HS256'];

/** Opaque key material accepted by jose (a CryptoKey, or the raw bytes of an HMAC secret). */
export type KeyMaterial = CryptoKey | Uint8Array;

/** One key, usable only with `alg`. */
export interface SigningKey {
  /** Key id put in the `kid` header: the RFC 7638 thumbprint (random for HS256). */
  readonly kid: string;
  /** The only algorithm this key is used with. */
  readonly alg: SigningAlgorithm;
  /** Private key or HMAC secret. */
  readonly signKey: KeyMaterial;
  /** Public key or HMAC secret. */
  readonly verifyKey: KeyMaterial;
  /** The public JWK to publish (`kid`, `alg`, `use: 'sig'`); undefined for HS256, whose secret is never published. */
  readonly publicJwk: JWK | undefined;
}

/** Where an imported key comes from: exactly one of `jwk` (private), `pem` (PKCS#8) or `secret` (HS256). */
export interface ImportSigningKeyInput {
  readonly alg: SigningAlgorithm;
  /** A private JWK (with `d`). */
  readonly jwk?: JWK;
  /** A PKCS#8 PEM private key. */
  readonly pem?: string;
  /** HS256 only: at least 32 random bytes (not a password, RFC 8725 §3.5). */
  readonly secret?: Uint8Array;
  /** Override the `kid` (default: the RFC 7638 thumbprint). 1..128 of [A-Za-z0-9._-]. */
  readonly kid?: string;
}

const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
const MIN_HMAC_BYTES = 32;
const MIN_RSA_BITS = 2048;

const generateAlg = (alg: Exclude<SigningAlgorithm, 'HS256'>) => (alg === 'EdDSA' ? 'Ed25519' : alg);

function checkRsaSize(alg: SigningAlgorithm, jwk: JWK) {
  if (alg !== 'PS256' && alg !== 'RS256') return;
  const bits = Buffer.from(jwk.n ?? '', 'base64url').length * 8;
  if (bits < MIN_RSA_BITS) {
    throw new InvalidOptionError(`${alg} keys must be RSA >= ${MIN_RSA_BITS} bits, got ${bits}`);
  }
}

async function fromPrivateJwk(alg: SigningAlgorithm, privateJwk: JWK, kid?: string): Promise<SigningKey> {
  checkRsaSize(alg, privateJwk);
  const publicFields = Object.fromEntries(
    Object.entries(privateJwk).filter(
      ([k]) => !PRIVATE_JWK_MEMBERS.includes(k) && !['kid', 'alg', 'use', 'key_ops', 'ext'].includes(k),
    ),
  ) as JWK;
  let signKey: KeyMaterial;
  let verifyKey: KeyMaterial;
  try {
    signKey = (await importJWK({ ...privateJwk, alg, ext: false }, alg)) as KeyMaterial;
    verifyKey = (await importJWK({ ...publicFields, alg }, alg)) as KeyMaterial;
  } catch (error) {
    // jose explains a wrong key type / curve without echoing key material.
    throw new InvalidOptionError(`the key does not fit ${alg}: ${(error as Error).message}`);
  }
  const thumbprint = await calculateJwkThumbprint(publicFields);
  const keyId = kid ?? thumbprint;
  return Object.freeze({
    kid: keyId,
    alg,
    signKey,
    verifyKey,
    publicJwk: Object.freeze({ ...publicFields, kid: keyId, alg, use: 'sig' }),
  });
}

function fromSecret(secret: Uint8Array, kid?: string): SigningKey {
  if (!(secret instanceof Uint8Array) || secret.length < MIN_HMAC_BYTES) {
    throw new InvalidOptionError(`HS256 \`secret\` must be at least ${MIN_HMAC_BYTES} random bytes`);
  }
  const copy = new Uint8Array(secret);
  return Object.freeze({
    kid: kid ?? randomToken(16),
    alg: 'HS256',
    signKey: copy,
    verifyKey: copy,
    publicJwk: undefined,
  });
}

/**
 * Generates a new key for `alg` (default EdDSA with Ed25519; RSA keys are 2048 bits; HS256 gets 32 random
 * bytes).
 *
 * @example
 * ```ts
 * const key = await generateSigningKey('ES256');
 * const keys = await createKeyRing({ active: key });
 * ```
 */
export async function generateSigningKey(alg: SigningAlgorithm = 'EdDSA'): Promise<SigningKey> {
  argument.oneOf('alg', alg, signingAlgorithms);
  if (alg === 'HS256') return fromSecret(new Uint8Array(Buffer.from(randomToken(32), 'base64url')));
  const { privateKey } = await generateKeyPair(generateAlg(alg), { extractable: true });
  return fromPrivateJwk(alg, await exportJWK(privateKey));
}

const parseImport = defineOptions('importSigningKey', {
  alg: opt.oneOf(signingAlgorithms, { required: true }),
  // Shapes are checked below, where the message can say what the key needed.
  jwk: opt.custom<JWK>((value) => value as JWK),
  pem: opt.string({ maxLength: 65_536 }),
  secret: opt.bytes(),
  kid: opt.name(),
});

/**
 * Imports a key from a private JWK, a PKCS#8 PEM, or (HS256) secret bytes, pinned to `alg`. Rejects RSA
 * below 2048 bits and HMAC secrets below 256 bits.
 *
 * @example
 * ```ts
 * const key = await importSigningKey({ alg: 'EdDSA', pem: process.env.JWT_PRIVATE_KEY_PEM! });
 * ```
 */
export async function importSigningKey(options: ImportSigningKeyInput): Promise<SigningKey> {
  const input = parseImport(options);
  const alg = input.alg;
  const given = [input.jwk, input.pem, input.secret].filter((v) => v !== undefined).length;
  if (given !== 1) throw new InvalidOptionError('give exactly one of `jwk`, `pem` or `secret`');
  if (alg === 'HS256') {
    if (input.secret === undefined) throw new InvalidOptionError('HS256 keys are imported from `secret`');
    return fromSecret(input.secret, input.kid);
  }
  if (input.secret !== undefined) throw new InvalidOptionError(`\`secret\` is only for HS256, not ${alg}`);
  if (input.jwk !== undefined) {
    if (typeof input.jwk !== 'object' || input.jwk === null || typeof input.jwk.d !== 'string') {
      throw new InvalidOptionError('`jwk` must be a private JWK (with `d`)');
    }
    if (input.jwk.alg !== undefined && input.jwk.alg !== alg) {
      throw new InvalidOptionError(`\`jwk\` is marked for ${input.jwk.alg}, not ${alg}`);
    }
    return fromPrivateJwk(alg, input.jwk, input.kid);
  }
  let privateKey: CryptoKey;
  try {
    privateKey = await importPKCS8(String(input.pem), alg, { extractable: true });
  } catch (error) {
    throw new InvalidOptionError(`\`pem\` is not a PKCS#8 key for ${alg}: ${(error as Error).message}`);
  }
  return fromPrivateJwk(alg, await exportJWK(privateKey), input.kid);
}

/** Options of {@link createKeyRing}. */
export interface KeyRingOptions {
  /** Algorithm of keys the ring generates (initial key, `prepare()`, `rotate()`). Default `EdDSA`. */
  readonly algorithm?: SigningAlgorithm;
  /** The signing key. Default: a generated key of `algorithm`. */
  readonly active?: SigningKey;
  /** A key published in the JWKS ahead of signing with it (see the rotation runbook). */
  readonly next?: SigningKey;
  /** Older keys that still verify; their grace period starts when the ring is created. */
  readonly retired?: readonly SigningKey[];
  /** How long a retired key keeps verifying. Default 24 h. Must exceed the longest token lifetime. */
  readonly graceMs?: number;
  /** Clock for grace periods. Default the system clock. */
  readonly clock?: Clock;
}

/** Result of {@link KeyRing.rotate}. */
export interface KeyRotation {
  /** The key now signing. */
  readonly activeKid: string;
  /** The key that stopped signing and verifies until `retiredUntilMs`. */
  readonly retiredKid: string;
  readonly retiredUntilMs: number;
}

/**
 * One active signing key, an optional next key, and retired keys in their grace period.
 */
export interface KeyRing {
  /** How long a retired key keeps verifying. */
  readonly graceMs: number;
  /** The key that signs. */
  active(): SigningKey;
  /** The key for `kid` if it may verify now (active, next, or retired within grace). */
  find(kid: string): SigningKey | undefined;
  /** Publishes a next key (given, or generated) without signing with it yet. */
  prepare(key?: SigningKey): Promise<SigningKey>;
  /** Promotes the next key (or a new one) to active; the old active key verifies for `graceMs`. */
  rotate(): Promise<KeyRotation>;
  /** Drops a non-active key at once (compromise); false when unknown. */
  remove(kid: string): boolean;
  /** The public JWKS to publish: active, next and retired keys in grace (never HS256 secrets). */
  jwks(): { keys: JWK[] };
}

function checkSigningKey(value: unknown, path: string, owner: string): SigningKey {
  const key = value as Partial<SigningKey> | null;
  const alg = key?.alg as SigningAlgorithm;
  if (
    typeof key !== 'object' ||
    key === null ||
    typeof key.kid !== 'string' ||
    !signingAlgorithms.includes(alg)
  ) {
    throw optionError(owner, path, 'a signing key from generateSigningKey() or importSigningKey()');
  }
  return key as SigningKey;
}

const parseKeyRing = defineOptions('createKeyRing', {
  algorithm: opt.oneOf(signingAlgorithms, { default: 'EdDSA' }),
  active: opt.custom(checkSigningKey),
  next: opt.custom(checkSigningKey),
  retired: opt.list(opt.custom(checkSigningKey, { required: true })),
  graceMs: opt.duration({ default: 24 * 3_600_000, min: 1_000 }),
  clock: opt.clock(),
});

/**
 * Creates a key ring.
 *
 * @example
 * ```ts
 * const keys = await createKeyRing({ algorithm: 'EdDSA', graceMs: 24 * 3600_000 });
 * app.get('/.well-known/jwks.json', (_req, res) => res.json(keys.jwks()));
 * await keys.prepare();  // publish the next key, wait for JWKS caches, then:
 * await keys.rotate();
 * ```
 */
export async function createKeyRing(options: KeyRingOptions = {}): Promise<KeyRing> {
  const { algorithm, graceMs, clock, ...given } = parseKeyRing(options);
  let active = given.active ?? (await generateSigningKey(algorithm));
  let next = given.next;
  const retired = new Map<string, { key: SigningKey; untilMs: number }>();
  for (const key of given.retired ?? []) retired.set(key.kid, { key, untilMs: clock.now() + graceMs });

  const liveRetired = () => {
    const nowMs = clock.now();
    for (const [kid, entry] of retired) if (entry.untilMs <= nowMs) retired.delete(kid);
    return [...retired.values()].map((e) => e.key);
  };

  return {
    graceMs,
    active: () => active,
    find(kid) {
      if (kid === active.kid) return active;
      if (next?.kid === kid) return next;
      const entry = retired.get(kid);
      if (entry === undefined) return undefined;
      if (entry.untilMs <= clock.now()) {
        retired.delete(kid);
        return undefined;
      }
      return entry.key;
    },
    async prepare(key) {
      next = key ?? (await generateSigningKey(algorithm));
      return next;
    },
    async rotate() {
      const promoted = next ?? (await generateSigningKey(algorithm));
      const old = active;
      const retiredUntilMs = clock.now() + graceMs;
      retired.set(old.kid, { key: old, untilMs: retiredUntilMs });
      active = promoted;
      next = undefined;
      return { activeKid: active.kid, retiredKid: old.kid, retiredUntilMs };
    },
    remove(kid) {
      if (kid === active.kid) throw new InvalidArgumentError('cannot remove the active key; rotate first');
      if (next?.kid === kid) {
        next = undefined;
        return true;
      }
      return retired.delete(kid);
    },
    jwks() {
      const keys = [active, ...(next ? [next] : []), ...liveRetired()];
      return { keys: keys.flatMap((k) => (k.publicJwk ? [{ ...k.publicJwk }] : [])) };
    },
  };
}
