/**
 * Refresh families of the TokenService: start one, parse a presented token, rotate, and the claims of
 * the renewed access token. The family keeps only the user id, so the claims are derived again from the
 * subject on every refresh (never copied from the old token: roles change, and a stolen refresh token
 * must not carry yesterday's privileges forever).
 */
import { InvalidArgumentError } from '../core/errors.js';
import { TokenExpiredError, TokenInvalidError, TokenReusedError, TokenRevokedError } from './errors.js';
import type { ResolvedTokenOptions } from './options.js';
import { randomToken, sha256 } from './secrets.js';
import type { TokenMetrics } from './token-metrics.js';
import type { RefreshRotation } from './types.js';

// `<familyId>.<secret>`: 128-bit family id, 256-bit secret, base64url.
const REFRESH_TOKEN = /^([A-Za-z0-9_-]{22})\.[A-Za-z0-9_-]{43}$/;

/** Extra claims of an access token. */
export type TokenClaims = Readonly<Record<string, unknown>>;

/** Derives the claims of a renewed access token from the family's subject (e.g. re-read roles). */
export type ClaimsSource = (sub: string) => TokenClaims | Promise<TokenClaims>;

/** The error of a refresh that did not rotate, counted under its reason. */
function refreshFailure(
  result: Exclude<RefreshRotation, { status: 'rotated' | 'grace' }>,
  metrics: TokenMetrics,
) {
  const reject = (reason: 'reused' | 'revoked' | 'expired' | 'unknown') =>
    metrics.rejected.add(1, { reason, kind: 'refresh' });
  switch (result.status) {
    case 'reused':
      metrics.reuse.add(1, {});
      reject('reused');
      return new TokenReusedError('refresh token was already used; its family has been revoked');
    case 'revoked':
      reject('revoked');
      return new TokenRevokedError('refresh token has been revoked');
    case 'expired':
      reject('expired');
      return new TokenExpiredError('refresh token has expired');
    default:
      reject('unknown');
      return new TokenInvalidError('refresh token is not known', { reason: 'unknown' });
  }
}

/**
 * Picks the claims source of one refresh: the call's `claims` (an object or a callback), else the
 * service's `refreshClaims`. Neither is an error before anything rotates: signing without them would
 * silently drop roles from the renewed token.
 */
export function claimsSource(
  given: TokenClaims | ClaimsSource | undefined,
  fallback: ClaimsSource | undefined,
): ClaimsSource {
  const source = given ?? fallback;
  if (source === undefined) {
    throw new InvalidArgumentError(
      "refresh needs the new access token's claims: pass `claims` (an object or (sub) => claims), or set `refreshClaims` on the service (`() => ({})` for none)",
    );
  }
  if (typeof source === 'function') return source;
  if (typeof source !== 'object' || source === null || Array.isArray(source)) {
    throw new InvalidArgumentError('`claims` must be an object or a function of the subject');
  }
  return () => source;
}

/** Refresh families: start one, parse a presented token, rotate. */
export function createRefresher(o: ResolvedTokenOptions, metrics: TokenMetrics) {
  const startFamily = async (sub: string) => {
    const familyId = randomToken(16);
    const refreshToken = `${familyId}.${randomToken(32)}`;
    const expiresAtMs = o.clock.now() + o.refreshTtlMs;
    await o.refreshStore.createFamily({
      familyId,
      userId: sub,
      tokenHash: sha256(refreshToken),
      expiresAtMs,
    });
    return { refreshToken, refreshExpiresAtMs: expiresAtMs };
  };
  const parseRefresh = (refreshToken: unknown) => {
    const match = typeof refreshToken === 'string' ? REFRESH_TOKEN.exec(refreshToken) : null;
    if (match === null) {
      metrics.rejected.add(1, { reason: 'malformed', kind: 'refresh' });
      throw new TokenInvalidError('refresh token is malformed', { reason: 'malformed' });
    }
    return { familyId: match[1] as string, hash: sha256(refreshToken as string) };
  };
  /** Rotates `refreshToken`; resolves to the user and the new token, or throws the typed failure. */
  const rotate = async (refreshToken: string) => {
    const { familyId, hash } = parseRefresh(refreshToken);
    const next = `${familyId}.${randomToken(32)}`;
    const result = await o.refreshStore.rotate({
      familyId,
      presentedHash: hash,
      nextHash: sha256(next),
      graceMs: o.refreshGraceMs,
    });
    if (result.status === 'reused' && o.revokeAccessOnRefreshReuse) {
      // One of the family's two holders is a thief who may hold a live access token: end them all
      // (the user's other families survive, so their devices recover on their next refresh).
      await o.revocationStore.bumpUserVersion(result.userId, o.versionKeepMs);
    }
    if (result.status !== 'rotated' && result.status !== 'grace') throw refreshFailure(result, metrics);
    return { userId: result.userId, refreshToken: next, refreshExpiresAtMs: result.expiresAtMs };
  };
  return { startFamily, parseRefresh, rotate };
}
