/**
 * Signing keys: generated or imported. Each key is pinned to exactly one algorithm (RFC 8725 §3.1), so a token
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
import { InvalidOptionError } from '../core/errors.js';
import { defineOptions, opt } from '../core/options.js';
import { argument } from '../core/validate.js';
import { randomToken } from './secrets.js';

/** The algorithms a key may be made for. `none` is not one of them, and never will be. */
export type SigningAlgorithm = 'EdDSA' | 'ES256' | 'PS256' | 'RS256' | 'HS256';

/** Every supported algorithm, in order of preference. */
export const signingAlgorithms: readonly SigningAlgorithm[] = ['EdDSA', 'ES256', 'PS256', 'RS256', 'HS256'];

/** Opaque key material accepted by jose (a CryptoKey, or the raw bytes of an HMAC secret). */
export type KeyMaterial = CryptoKey | Uint8Array;

/** A key that verifies, usable only with `alg`: one of ours, or another issuer's public key. */
export interface VerificationKey {
  /** The `kid` a token names to select this key. */
  readonly kid: string;
  /** The only algorithm this key is used with. */
  readonly alg: SigningAlgorithm;
  /** Public key or HMAC secret. */
  readonly verifyKey: KeyMaterial;
  /** The public JWK (`kid`, `alg`, `use: 'sig'`); undefined for HS256, whose secret is never published. */
  readonly publicJwk: JWK | undefined;
}

/** One key that signs and verifies, usable only with `alg`. */
export interface SigningKey extends VerificationKey {
  /**
   * Key id put in the `kid` header: the `kid` given to (or found in the JWK given to) importSigningKey,
   * else the RFC 7638 thumbprint (random for HS256).
   */
  readonly kid: string;
  /** Private key or HMAC secret. */
  readonly signKey: KeyMaterial;
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
  /**
   * The `kid` (1..128 of [A-Za-z0-9._-]). Default: the JWK's own `kid` when it has one (so tokens keep
   * naming the key its issuer published), else the RFC 7638 thumbprint (random for HS256).
   */
  readonly kid?: string;
}

/** JWK members that carry private key material (or an HMAC secret). */
export const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
/** What a `kid` may look like (the same rule verify applies to a token's header). */
export const KID_PATTERN = /^[A-Za-z0-9._-]{1,128}$/;

/** The `kid` of an imported JWK: the caller's, else the JWK's own (checked), else undefined. */
export function jwkKid(jwk: JWK, given: string | undefined): string | undefined {
  if (given !== undefined) return given;
  if (jwk.kid === undefined) return undefined;
  if (typeof jwk.kid !== 'string' || !KID_PATTERN.test(jwk.kid)) {
    throw new InvalidOptionError('the JWK `kid` must be 1..128 characters of [A-Za-z0-9._-] (or pass `kid`)');
  }
  return jwk.kid;
}
const MIN_HMAC_BYTES = 32;
const MIN_RSA_BITS = 2048;

const generateAlg = (alg: Exclude<SigningAlgorithm, 'HS256'>) => (alg === 'EdDSA' ? 'Ed25519' : alg);

/** Rejects RSA keys below 2048 bits for the RSA algorithms. */
export function checkRsaSize(alg: SigningAlgorithm, jwk: JWK) {
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

/** An HS256 key from secret bytes (copied). */
export function fromSecret(secret: Uint8Array, kid?: string): SigningKey {
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
    return fromPrivateJwk(alg, input.jwk, jwkKid(input.jwk, input.kid));
  }
  let privateKey: CryptoKey;
  try {
    privateKey = await importPKCS8(String(input.pem), alg, { extractable: true });
  } catch (error) {
    throw new InvalidOptionError(`\`pem\` is not a PKCS#8 key for ${alg}: ${(error as Error).message}`);
  }
  return fromPrivateJwk(alg, await exportJWK(privateKey), input.kid);
}
