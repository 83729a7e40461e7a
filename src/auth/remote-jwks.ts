/**
 * Verifying tokens of an external identity provider against its JWKS URL, with jose's remote JWKS
 * (cached, refetched on an unknown `kid` at most once per cooldown, with a fetch timeout) and the same
 * pre-parse checks as our own tokens.
 */
import { createRemoteJWKSet, type JWTVerifyGetKey } from 'jose';
import type { Clock } from '../core/clock.js';
import { StoreError, TimeoutError } from '../core/errors.js';
import { defineOptions, opt, optionError } from '../core/options.js';
import { parseHttpsUrl } from '../core/url.js';
import { TokenError } from './errors.js';
import { type SigningAlgorithm, signingAlgorithms } from './keys.js';
import type { Principal } from './types.js';
import { verifyCompact } from './verify-core.js';

/** Options of {@link createRemoteJwksVerifier}. */
export interface RemoteJwksVerifierOptions {
  /** The provider's JWKS URL (https, or http on loopback for tests). */
  readonly url: string | URL;
  /** Expected `iss`. */
  readonly issuer: string;
  /** Expected `aud` (any of them). */
  readonly audience: string | readonly string[];
  /** Accepted algorithms. Default `['EdDSA', 'ES256', 'PS256', 'RS256']` (never HS256: no shared secrets). */
  readonly algorithms?: readonly Exclude<SigningAlgorithm, 'HS256'>[];
  /** Required `typ` (normalised, e.g. `at+jwt`); default none, as many providers send `JWT` or nothing. */
  readonly typ?: string;
  /** Skew allowed on `exp`, `nbf`, `iat`. Default 5 s. */
  readonly clockToleranceMs?: number;
  /** Default 8 192. */
  readonly maxTokenBytes?: number;
  /** How long a fetched JWKS is used. Default 10 min (jose). */
  readonly cacheMaxAgeMs?: number;
  /** Minimum time between two fetches triggered by unknown `kid`s. Default 30 s (jose). */
  readonly cooldownMs?: number;
  /** Fetch timeout. Default 5 s (jose). */
  readonly timeoutMs?: number;
  /** Clock for claim checks (jose's JWKS cache uses real time). */
  readonly clock?: Clock;
}

/** Verifies tokens of one external provider. */
export interface RemoteJwksVerifier {
  /** Verifies and returns the principal (`kind: 'access'`), or throws a typed error. */
  verify(token: string): Promise<Principal>;
}

const JWKS_FAILURES = ['ERR_JWKS_INVALID', 'ERR_JOSE_GENERIC', 'ERR_JOSE_NOT_SUPPORTED'];
const DEFAULT_ALGORITHMS = ['EdDSA', 'ES256', 'PS256', 'RS256'] as const;
const REMOTE_ALGORITHMS = signingAlgorithms.filter(
  (a): a is Exclude<SigningAlgorithm, 'HS256'> => a !== 'HS256',
);

function checkAudience(value: unknown, path: string, owner: string): readonly string[] {
  const list: readonly unknown[] = typeof value === 'string' ? [value] : Array.isArray(value) ? value : [];
  if (list.length === 0 || list.some((a) => typeof a !== 'string' || a.length === 0)) {
    throw optionError(owner, path, 'a non-empty string or a non-empty list of them');
  }
  return [...list] as string[];
}

const parseOptions = defineOptions('createRemoteJwksVerifier', {
  url: opt.custom((v, p, o) => parseHttpsUrl(v, p, o, { query: true }), { required: true }),
  issuer: opt.string({ required: true }),
  audience: opt.custom(checkAudience, { required: true }),
  algorithms: opt.list(opt.oneOf(REMOTE_ALGORITHMS, { required: true })),
  typ: opt.string({ maxLength: 128 }),
  clockToleranceMs: opt.integer({ default: 5_000, min: 0, max: 60_000 }),
  maxTokenBytes: opt.integer({ default: 8_192, min: 512, max: 65_536 }),
  cacheMaxAgeMs: opt.integer({ default: 600_000, min: 0 }),
  cooldownMs: opt.integer({ default: 30_000, min: 0 }),
  timeoutMs: opt.duration({ default: 5_000 }),
  clock: opt.clock(),
});

/**
 * Creates a verifier for an external identity provider's tokens.
 *
 * @example
 * ```ts
 * const idp = createRemoteJwksVerifier({
 *   url: 'https://idp.example.com/.well-known/jwks.json', issuer: 'https://idp.example.com', audience: 'api',
 * });
 * const principal = await idp.verify(bearer);
 * ```
 */
export function createRemoteJwksVerifier(options: RemoteJwksVerifierOptions): RemoteJwksVerifier {
  const o = parseOptions(options);
  const { url, issuer, audience, typ, clockToleranceMs, maxTokenBytes, clock } = o;
  const algorithms = [...(o.algorithms ?? DEFAULT_ALGORITHMS)];
  const jwks: JWTVerifyGetKey = createRemoteJWKSet(url, {
    cacheMaxAge: o.cacheMaxAgeMs,
    cooldownDuration: o.cooldownMs,
    timeoutDuration: o.timeoutMs,
  });

  return {
    async verify(token) {
      try {
        const { header, payload } = await verifyCompact(token, {
          maxTokenBytes,
          algorithms,
          typ,
          issuer,
          audience,
          clockToleranceMs,
          nowMs: clock.now(),
          resolveKey: () => ({ key: jwks }),
        });
        return {
          sub: payload.sub,
          jti: payload.jti,
          kind: 'access',
          issuedAtMs: payload.iat * 1000,
          expiresAtMs: payload.exp * 1000,
          kid: header.kid,
          claims: payload,
        };
      } catch (error) {
        if (error instanceof TokenError) throw error;
        const code = (error as { code?: unknown }).code;
        if (code === 'ERR_JWKS_TIMEOUT')
          throw new TimeoutError('fetching the JWKS timed out', { cause: error });
        if (typeof code === 'string' && JWKS_FAILURES.includes(code)) {
          throw new StoreError('fetching the JWKS failed', { cause: error });
        }
        throw error;
      }
    },
  };
}
