/**
 * Verify-only keys: another issuer's public keys (a JWK, a PEM/SPKI key, a JWKS) or an HMAC secret
 * shared with it, each pinned to one algorithm, for a key ring that verifies tokens this library did not
 * sign. Private key material is refused here: a verifier has no use for it, and holding it would let a
 * leak of the verifier forge tokens.
 */
import { calculateJwkThumbprint, exportJWK, importJWK, importSPKI, type JWK } from 'jose';
import { InvalidOptionError } from '../core/errors.js';
import { defineOptions, opt } from '../core/options.js';
import {
  checkRsaSize,
  fromSecret,
  jwkKid,
  type KeyMaterial,
  PRIVATE_JWK_MEMBERS,
  type SigningAlgorithm,
  signingAlgorithms,
  type VerificationKey,
} from './keys.js';

/** Where a verification key comes from: exactly one of `jwk` (public), `pem` (SPKI) or `secret` (HS256). */
export interface ImportVerificationKeyInput {
  /** The one algorithm tokens verified with this key may use. */
  readonly alg: SigningAlgorithm;
  /** A public JWK (no `d`, no `k`). */
  readonly jwk?: JWK;
  /** A PEM public key (`-----BEGIN PUBLIC KEY-----`, SPKI). */
  readonly pem?: string;
  /** HS256 only: the secret shared with the issuer, at least 32 bytes. */
  readonly secret?: Uint8Array;
  /** The `kid` tokens name (default the JWK's own `kid`, else the RFC 7638 thumbprint). */
  readonly kid?: string;
}

const parseImport = defineOptions('importVerificationKey', {
  alg: opt.oneOf(signingAlgorithms, { required: true }),
  jwk: opt.custom<JWK>((value) => value as JWK),
  pem: opt.string({ maxLength: 65_536 }),
  secret: opt.bytes(),
  kid: opt.name(),
});

const JWK_META = ['kid', 'alg', 'use', 'key_ops', 'ext'];

async function fromPublicJwk(
  alg: SigningAlgorithm,
  jwk: JWK,
  kid: string | undefined,
): Promise<VerificationKey> {
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) {
    throw new InvalidOptionError('`jwk` must be a public JWK object');
  }
  if (PRIVATE_JWK_MEMBERS.some((m) => m in jwk)) {
    throw new InvalidOptionError('`jwk` must be a public JWK: a verifier takes no private key material');
  }
  if (jwk.alg !== undefined && jwk.alg !== alg) {
    throw new InvalidOptionError(`\`jwk\` is marked for ${jwk.alg}, not ${alg}`);
  }
  checkRsaSize(alg, jwk);
  const publicFields = Object.fromEntries(Object.entries(jwk).filter(([k]) => !JWK_META.includes(k))) as JWK;
  let verifyKey: KeyMaterial;
  try {
    verifyKey = (await importJWK({ ...publicFields, alg }, alg)) as KeyMaterial;
  } catch (error) {
    throw new InvalidOptionError(`the key does not fit ${alg}: ${(error as Error).message}`);
  }
  const keyId = jwkKid(jwk, kid) ?? (await calculateJwkThumbprint(publicFields));
  return Object.freeze({
    kid: keyId,
    alg,
    verifyKey,
    publicJwk: Object.freeze({ ...publicFields, kid: keyId, alg, use: 'sig' }),
  });
}

/**
 * Imports a key that only verifies: a public JWK, a PEM (SPKI) public key, or (HS256) a shared secret,
 * pinned to `alg`. Rejects private JWKs, RSA below 2048 bits and HMAC secrets below 256 bits.
 *
 * @example
 * ```ts
 * const idpKey = await importVerificationKey({ alg: 'ES256', pem: process.env.IDP_PUBLIC_KEY_PEM!, kid: 'idp-1' });
 * const keys = await createKeyRing({ verifyOnly: true, verifyKeys: [idpKey] });
 * ```
 */
export async function importVerificationKey(options: ImportVerificationKeyInput): Promise<VerificationKey> {
  const input = parseImport(options);
  const { alg } = input;
  const given = [input.jwk, input.pem, input.secret].filter((v) => v !== undefined).length;
  if (given !== 1) throw new InvalidOptionError('give exactly one of `jwk`, `pem` or `secret`');
  if (alg === 'HS256') {
    if (input.secret === undefined) throw new InvalidOptionError('HS256 keys are imported from `secret`');
    const { signKey: _secret, ...key } = fromSecret(input.secret, input.kid);
    return Object.freeze(key);
  }
  if (input.secret !== undefined) throw new InvalidOptionError(`\`secret\` is only for HS256, not ${alg}`);
  if (input.jwk !== undefined) return fromPublicJwk(alg, input.jwk, input.kid);
  let jwk: JWK;
  try {
    jwk = await exportJWK(await importSPKI(String(input.pem), alg, { extractable: true }));
  } catch (error) {
    throw new InvalidOptionError(`\`pem\` is not an SPKI public key for ${alg}: ${(error as Error).message}`);
  }
  return fromPublicJwk(alg, jwk, input.kid);
}

/** The algorithm of a JWK without `alg`, where its type says it (Ed25519, P-256); RSA is ambiguous. */
function inferAlg(jwk: JWK): SigningAlgorithm | undefined {
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') return 'EdDSA';
  if (jwk.kty === 'EC' && jwk.crv === 'P-256') return 'ES256';
  return undefined;
}

/**
 * Imports the signing keys of a JWKS (`{ keys: [...] }`, as an issuer serves at
 * `/.well-known/jwks.json`) as verification keys. Each key needs a `kid` and an `alg` we support (given,
 * or implied by an Ed25519 / P-256 key; RSA keys must say RS256 or PS256). Keys marked `use: 'enc'`
 * and keys of other algorithms (RS384, ES512...) are skipped, as a verifier of ours could never accept
 * them; a set with no usable key is an error.
 *
 * @example
 * ```ts
 * const response = await fetch('https://idp.example/.well-known/jwks.json');
 * const idp = await importJwks((await response.json()) as Parameters<typeof importJwks>[0]);
 * const keys = await createKeyRing({ verifyOnly: true, verifyKeys: idp });
 * ```
 */
export async function importJwks(jwks: { readonly keys: readonly JWK[] }): Promise<VerificationKey[]> {
  if (typeof jwks !== 'object' || jwks === null || !Array.isArray(jwks.keys)) {
    throw new InvalidOptionError('importJwks: a JWKS `{ keys: [...] }`');
  }
  const out: VerificationKey[] = [];
  for (const jwk of jwks.keys) {
    if (typeof jwk !== 'object' || jwk === null || jwk.use === 'enc') continue;
    if (typeof jwk.kid !== 'string') throw new InvalidOptionError('importJwks: every key needs a `kid`');
    const alg = jwk.alg ?? inferAlg(jwk);
    if (alg === undefined) {
      throw new InvalidOptionError('importJwks: a key has no `alg` (RSA keys must say RS256 or PS256)');
    }
    if (!(signingAlgorithms as readonly string[]).includes(alg) || alg === 'HS256') continue;
    out.push(await fromPublicJwk(alg as SigningAlgorithm, jwk, undefined));
  }
  if (out.length === 0) throw new InvalidOptionError('importJwks: the set has no usable signing key');
  return out;
}
