/**
 * TokenService: short-lived signed access tokens (and reset / verify-email tokens) on jose, opaque
 * refresh tokens in rotating families, and revocation by `jti` and per user.
 */
import { SignJWT } from 'jose';
import { InvalidArgumentError } from '../core/errors.js';
import { argument } from '../core/validate.js';
import { TokenError, TokenExpiredError, TokenInvalidError, TokenRevokedError } from './errors.js';
import { type ResolvedTokenOptions, resolveTokenOptions, type TokenServiceOptions } from './options.js';
import { type ClaimsSource, claimsSource, createRefresher, type TokenClaims } from './refresher.js';
import { randomToken } from './secrets.js';
import { type TokenMetrics, tokenMetrics } from './token-metrics.js';
import type { Principal, TokenKind } from './types.js';
import { verifyCompact } from './verify-core.js';

/** The `typ` header of each kind (RFC 9068 for access tokens; the others are ours). */
export const TOKEN_TYPES: Readonly<Record<TokenKind, string>> = {
  access: 'at+jwt',
  reset: 'reset+jwt',
  'verify-email': 'verify-email+jwt',
};

const RESERVED_CLAIMS = ['iss', 'aud', 'sub', 'exp', 'iat', 'nbf', 'jti', 'ver'];
const MAX_SUB_CHARS = 256;

/** A signed token and when it expires. */
export interface IssuedToken {
  readonly token: string;
  readonly jti: string;
  readonly expiresAtMs: number;
}

/** An access token with the refresh token that renews it. */
export interface TokenPair {
  /** The user id (`sub`) of both tokens. */
  readonly sub: string;
  readonly accessToken: string;
  readonly accessExpiresAtMs: number;
  readonly refreshToken: string;
  /** End of the refresh family's lifetime. */
  readonly refreshExpiresAtMs: number;
}

/** What to put in a token. */
export interface IssueInput {
  /** The user id (`sub`), 1..256 characters. */
  readonly sub: string;
  /** Extra claims (roles, tenant...). Registered claims cannot be overridden. */
  readonly claims?: Readonly<Record<string, unknown>>;
}

/** Options of {@link TokenService.refresh}. */
export interface RefreshOptions {
  /** Claims of the new access token, or a function of the family's subject returning them. */
  readonly claims?: TokenClaims | ClaimsSource;
}

/** The TokenService. */
export interface TokenService {
  /** Signs an access token (`typ: at+jwt`). */
  issue(input: IssueInput): Promise<IssuedToken>;
  /** Signs a token of another kind (reset, verify-email); it is never accepted as an access token. */
  issueKind(kind: TokenKind, input: IssueInput): Promise<IssuedToken>;
  /** Verifies a token of `kind` (default access) and returns its principal, or throws a typed error. */
  verify(token: string, options?: { readonly kind?: TokenKind }): Promise<Principal>;
  /** An access token plus a new refresh family. */
  issuePair(input: IssueInput): Promise<TokenPair>;
  /**
   * Rotates a refresh token; reuse of a rotated one revokes its family (`ERR_TOKEN_REUSED`). The family
   * keeps only the user id, so the new access token's claims (roles...) come from `claims` (an object, or
   * `(sub) => claims`, may be async) or else the service's `refreshClaims`; with neither it throws
   * `ERR_INVALID_ARGUMENT` before rotating, rather than silently dropping roles.
   */
  refresh(refreshToken: string, options?: RefreshOptions): Promise<TokenPair>;
  /** Denylists a token's `jti` until it expires (idempotent; an expired token needs nothing). */
  revoke(token: string, options?: { readonly kind?: TokenKind }): Promise<void>;
  /** Revokes the family of a refresh token (logout); false when it was not live. */
  revokeRefresh(refreshToken: string): Promise<boolean>;
  /** Invalidates every token and refresh family of a user issued so far. */
  revokeAllForUser(sub: string): Promise<void>;
}

const ALGORITHMS = ['EdDSA', 'ES256', 'PS256', 'RS256', 'HS256'];

function checkKind(kind: unknown): asserts kind is TokenKind {
  if (typeof kind !== 'string' || !Object.hasOwn(TOKEN_TYPES, kind)) {
    throw new InvalidArgumentError(`\`kind\` must be one of ${Object.keys(TOKEN_TYPES).join(', ')}`);
  }
}

function checkInput(input: IssueInput) {
  if (typeof input !== 'object' || input === null) throw new InvalidArgumentError('`input` is required');
  const sub = argument.key('sub', input.sub, MAX_SUB_CHARS);
  const claims = input.claims ?? {};
  if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) {
    throw new InvalidArgumentError('`claims` must be an object');
  }
  for (const name of Object.keys(claims)) {
    if (RESERVED_CLAIMS.includes(name)) {
      throw new InvalidArgumentError(
        `claim \`${name}\` is set by the token service and cannot be overridden`,
      );
    }
  }
  return { sub, claims };
}

/** Signs tokens of every kind, embedding the user's current version. */
function createSigner(o: ResolvedTokenOptions) {
  return async (kind: TokenKind, input: IssueInput): Promise<IssuedToken> => {
    checkKind(kind);
    const { sub, claims } = checkInput(input);
    const nowMs = o.clock.now();
    const version = o.checkRevocation ? await o.revocationStore.userVersion(sub) : 0;
    const key = o.keys.active();
    const jti = randomToken(16);
    const iat = Math.floor(nowMs / 1000);
    const exp = Math.floor((nowMs + o.ttlMs[kind]) / 1000);
    const token = await new SignJWT({ ...claims, ver: version })
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: TOKEN_TYPES[kind] })
      .setIssuer(o.issuer)
      .setAudience(o.audiences.length === 1 ? (o.audiences[0] as string) : [...o.audiences])
      .setSubject(sub)
      .setJti(jti)
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .sign(key.signKey);
    return { token, jti, expiresAtMs: exp * 1000 };
  };
}

/** Verifies tokens: signature and claims, then (optionally) the denylist and the user version. */
function createVerifier(o: ResolvedTokenOptions, metrics: TokenMetrics) {
  const checkRevoked = async (sub: string, jti: string, claimed: unknown) => {
    // Another issuer's token has no `ver`: version 0, still subject to the denylist and revokeAllForUser.
    const version = claimed === undefined && !o.requireVersionClaim ? 0 : claimed;
    if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 0) {
      throw new TokenInvalidError('token `ver` is missing or malformed', { reason: 'claims' });
    }
    if (!o.checkRevocation) return;
    const status = await o.revocationStore.check(sub, jti);
    if (status.jtiRevoked) throw new TokenRevokedError('token has been revoked');
    if (version < status.userVersion) throw new TokenRevokedError("token predates the user's revocation");
  };
  return async (token: string, kind: TokenKind): Promise<Principal> => {
    // An unknown kind must not mean "no typ check".
    checkKind(kind);
    try {
      const { header, payload } = await verifyCompact(token, {
        maxTokenBytes: o.maxTokenBytes,
        algorithms: ALGORITHMS,
        typ: TOKEN_TYPES[kind],
        issuer: o.issuer,
        audience: o.audiences,
        clockToleranceMs: o.clockToleranceMs,
        nowMs: o.clock.now(),
        maxLifetimeMs: o.maxLifetimeMs[kind],
        resolveKey: (h) => {
          const key = o.keys.find(h.kid);
          return key && { key: key.verifyKey, pinnedAlg: key.alg };
        },
      });
      await checkRevoked(payload.sub, payload.jti, payload.ver);
      return {
        sub: payload.sub,
        jti: payload.jti,
        kind,
        issuedAtMs: payload.iat * 1000,
        expiresAtMs: payload.exp * 1000,
        kid: header.kid,
        claims: payload,
      };
    } catch (error) {
      if (error instanceof TokenError) metrics.rejected.add(1, { reason: error.reason, kind });
      throw error;
    }
  };
}

/**
 * Creates a TokenService.
 *
 * @example
 * ```ts
 * const keys = await createKeyRing();
 * const tokens = createTokenService({ issuer: 'https://api.example.com', audience: 'app', keys });
 * const { accessToken, refreshToken } = await tokens.issuePair({ sub: 'user-1', claims: { roles: ['editor'] } });
 * const principal = await tokens.verify(accessToken);
 * const renewed = await tokens.refresh(refreshToken, { claims: { roles: ['editor'] } });
 * ```
 */
export function createTokenService(options: TokenServiceOptions): TokenService {
  const o = resolveTokenOptions(options);
  const metrics = tokenMetrics(o.metrics);
  const sign = createSigner(o);
  const verify = createVerifier(o, metrics);
  const families = createRefresher(o, metrics);

  return {
    issue: (input) => sign('access', input),
    issueKind: (kind, input) => sign(kind, input),
    verify: (token, verifyOptions) => verify(token, verifyOptions?.kind ?? 'access'),
    async issuePair(input) {
      const { sub } = checkInput(input);
      const access = await sign('access', input);
      return {
        sub,
        accessToken: access.token,
        accessExpiresAtMs: access.expiresAtMs,
        ...(await families.startFamily(sub)),
      };
    },
    async refresh(refreshToken, refreshOptions) {
      const source = claimsSource(refreshOptions?.claims, o.refreshClaims);
      const rotated = await families.rotate(refreshToken);
      // A callback that throws here loses the rotated token; the client can retry with the old one
      // within refreshGraceMs.
      const claims = await source(rotated.userId);
      const access = await sign('access', { sub: rotated.userId, claims });
      return {
        sub: rotated.userId,
        accessToken: access.token,
        accessExpiresAtMs: access.expiresAtMs,
        refreshToken: rotated.refreshToken,
        refreshExpiresAtMs: rotated.refreshExpiresAtMs,
      };
    },
    async revoke(token, revokeOptions) {
      let principal: Principal;
      try {
        principal = await verify(token, revokeOptions?.kind ?? 'access');
      } catch (error) {
        // Already revoked or already expired: nothing left to do.
        if (error instanceof TokenRevokedError || error instanceof TokenExpiredError) return;
        throw error;
      }
      // The token verifies until `exp` plus the tolerance, so the entry must last that long.
      await o.revocationStore.revokeJti({
        userId: principal.sub,
        jti: principal.jti,
        expiresAtMs: principal.expiresAtMs + o.clockToleranceMs,
      });
    },
    async revokeRefresh(refreshToken) {
      const { familyId, hash } = families.parseRefresh(refreshToken);
      return o.refreshStore.revokeFamily(familyId, hash);
    },
    async revokeAllForUser(sub) {
      const userId = argument.key('sub', sub, MAX_SUB_CHARS);
      await o.revocationStore.bumpUserVersion(userId, o.versionKeepMs);
      await o.refreshStore.revokeUser(userId);
    },
  };
}
