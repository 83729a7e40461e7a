/**
 * Verifying tokens of an external identity provider against its JWKS URL, with jose's remote JWKS
 * (cached, refetched on an unknown `kid` at most once per cooldown, with a fetch timeout) and the same
 * pre-parse checks as our own tokens.
 */
import { createRemoteJWKSet, type JWTVerifyGetKey } from 'jose';
import { type Clock, systemClock } from '../core/clock.js';
import { InvalidOptionError, StoreError, TimeoutError } from '../core/errors.js';
import { option } from '../core/validate.js';
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
  option.knownKeys('createRemoteJwksVerifier', options, [
    'url',
    'issuer',
    'audience',
    'algorithms',
    'typ',
    'clockToleranceMs',
    'maxTokenBytes',
    'cacheMaxAgeMs',
    'cooldownMs',
    'timeoutMs',
    'clock',
  ]);
  let url: URL;
  try {
    url = new URL(String(options.url));
  } catch {
    throw new InvalidOptionError('`url` must be an absolute URL');
  }
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new InvalidOptionError('`url` must use https (http only on loopback)');
  }
  if (typeof options.issuer !== 'string' || options.issuer.length === 0) {
    throw new InvalidOptionError('`issuer` is required');
  }
  const audience = typeof options.audience === 'string' ? [options.audience] : [...(options.audience ?? [])];
  if (audience.length === 0 || audience.some((a) => typeof a !== 'string' || a.length === 0)) {
    throw new InvalidOptionError('`audience` needs at least one non-empty string');
  }
  const algorithms = [...(options.algorithms ?? ['EdDSA', 'ES256', 'PS256', 'RS256'])];
  for (const alg of algorithms) {
    option.oneOf(
      'algorithms[]',
      alg,
      signingAlgorithms.filter((a) => a !== 'HS256'),
    );
  }
  const clockToleranceMs = option.integer('clockToleranceMs', options.clockToleranceMs ?? 5_000, 0, 60_000);
  const maxTokenBytes = option.integer('maxTokenBytes', options.maxTokenBytes ?? 8_192, 512, 65_536);
  const clock = options.clock ?? systemClock;
  const jwks: JWTVerifyGetKey = createRemoteJWKSet(url, {
    cacheMaxAge: option.integer('cacheMaxAgeMs', options.cacheMaxAgeMs ?? 600_000, 0),
    cooldownDuration: option.integer('cooldownMs', options.cooldownMs ?? 30_000, 0),
    timeoutDuration: option.integer('timeoutMs', options.timeoutMs ?? 5_000, 1),
  });

  return {
    async verify(token) {
      try {
        const { header, payload } = await verifyCompact(token, {
          maxTokenBytes,
          algorithms,
          typ: options.typ,
          issuer: options.issuer,
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
