/**
 * The one verification path shared by our own tokens and a remote identity provider's: pre-parse checks,
 * jose with every check switched on, then our own `iat` check. jose errors become typed errors whose
 * messages name the failed check, never the token.
 */
import { type JWTPayload, type JWTVerifyGetKey, jwtVerify } from 'jose';
import { type CheckedHeader, checkCompact } from './compact.js';
import {
  type TokenError,
  TokenExpiredError,
  TokenInvalidError,
  type TokenRejectionReason,
} from './errors.js';
import type { KeyMaterial } from './keys.js';

/** The claims every token must carry (RFC 8725 §3.8–3.10; `jti` for the denylist). */
export const REQUIRED_CLAIMS = ['iss', 'aud', 'sub', 'exp', 'iat', 'jti'] as const;

/** What {@link verifyCompact} needs. */
export interface VerifyCompactOptions {
  readonly maxTokenBytes: number;
  /** Algorithms a header may name at all. */
  readonly algorithms: readonly string[];
  /** Expected normalised `typ`, or undefined to not require one (external providers). */
  readonly typ: string | undefined;
  readonly issuer: string;
  readonly audience: string | readonly string[];
  readonly clockToleranceMs: number;
  readonly nowMs: number;
  /** The longest `exp - iat` accepted, in ms; undefined for no limit (external providers). */
  readonly maxLifetimeMs?: number;
  /**
   * Resolves the verification key for a checked header, with the one algorithm it is pinned to when
   * known (our key ring; a remote JWKS relies on each JWK's `alg`). Undefined for an unknown `kid`.
   */
  readonly resolveKey: (
    header: CheckedHeader,
  ) => { readonly key: KeyMaterial | JWTVerifyGetKey; readonly pinnedAlg?: string } | undefined;
}

/** A verified token: its header and claims. */
export interface VerifiedCompact {
  readonly header: CheckedHeader;
  readonly payload: JWTPayload & { sub: string; jti: string; iat: number; exp: number };
}

const CLAIM_REASONS: Readonly<Record<string, TokenRejectionReason>> = {
  iss: 'iss',
  aud: 'aud',
  nbf: 'nbf',
  iat: 'iat',
  typ: 'typ',
};

function mapJoseError(error: unknown): TokenError | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      return new TokenExpiredError('token has expired');
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED': {
      const claim = String((error as { claim?: unknown }).claim);
      return new TokenInvalidError(`token claim \`${claim}\` failed validation`, {
        reason: CLAIM_REASONS[claim] ?? 'claims',
      });
    }
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return new TokenInvalidError('token signature does not verify', { reason: 'signature' });
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return new TokenInvalidError('token `alg` is not allowed for this key', { reason: 'alg' });
    case 'ERR_JWKS_NO_MATCHING_KEY':
    case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
      return new TokenInvalidError('no single key matches the token `kid`', { reason: 'kid' });
    case 'ERR_JWT_INVALID':
    case 'ERR_JWS_INVALID':
      return new TokenInvalidError('token is malformed', { reason: 'malformed' });
    default:
      // JWKS fetch failures and the like are not the token's fault: the caller maps them.
      return undefined;
  }
}

/**
 * Verifies a compact JWS with every check on. Throws `TokenInvalidError` / `TokenExpiredError`; errors
 * of the key resolver other than "no key" (a JWKS fetch failing) propagate as they are.
 */
export async function verifyCompact(token: unknown, options: VerifyCompactOptions): Promise<VerifiedCompact> {
  const header = checkCompact(token, options.maxTokenBytes, options.algorithms, options.typ);
  const resolved = options.resolveKey(header);
  if (resolved === undefined) throw new TokenInvalidError('token `kid` is unknown', { reason: 'kid' });
  const { key, pinnedAlg: pinned } = resolved;
  // RFC 8725 §3.1: a key is used with exactly one algorithm (stops HS256-with-a-public-key confusion).
  if (pinned !== undefined && pinned !== header.alg) {
    throw new TokenInvalidError('token `alg` does not match its key', { reason: 'alg' });
  }
  const toleranceS = options.clockToleranceMs / 1000;
  let payload: JWTPayload;
  try {
    const result = await jwtVerify(token as string, key as JWTVerifyGetKey, {
      algorithms: pinned === undefined ? [...options.algorithms] : [pinned],
      issuer: options.issuer,
      audience: typeof options.audience === 'string' ? options.audience : [...options.audience],
      ...(options.typ === undefined ? {} : { typ: options.typ }),
      requiredClaims: [...REQUIRED_CLAIMS],
      clockTolerance: toleranceS,
      currentDate: new Date(options.nowMs),
    });
    payload = result.payload;
  } catch (error) {
    throw mapJoseError(error) ?? error;
  }
  const { sub, jti, iat, exp } = payload;
  if (typeof sub !== 'string' || sub.length === 0 || typeof jti !== 'string' || jti.length === 0) {
    throw new TokenInvalidError('token `sub` or `jti` is not a non-empty string', { reason: 'claims' });
  }
  // jose checks a future `iat` only together with maxTokenAge; a token from the future is forged or skewed.
  if (typeof iat !== 'number' || iat * 1000 > options.nowMs + options.clockToleranceMs) {
    throw new TokenInvalidError('token `iat` is in the future', { reason: 'iat' });
  }
  if (typeof exp !== 'number') throw new TokenInvalidError('token `exp` is missing', { reason: 'claims' });
  // A stolen token is only as dangerous as it is long-lived: refuse one minted to outlive the policy.
  if (options.maxLifetimeMs !== undefined && (exp - iat) * 1000 > options.maxLifetimeMs) {
    throw new TokenInvalidError('token lifetime (`exp - iat`) is longer than allowed', {
      reason: 'lifetime',
    });
  }
  return { header, payload: { ...payload, sub, jti, iat, exp } };
}
