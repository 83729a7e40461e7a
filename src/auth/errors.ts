/**
 * Typed errors of the auth module. Callers branch on `code` (or `isBackendPatternsError(e, code)`);
 * `reason` says which check failed, for logs and metrics. Messages never contain a token, key or secret.
 */
import { BackendPatternsError, type BackendPatternsErrorOptions } from '../core/errors.js';

/** Codes raised by `backend-patterns/auth` (besides the core codes), every one of them listed. */
export const AUTH_ERROR_CODES = [
  'ERR_TOKEN_INVALID',
  'ERR_TOKEN_EXPIRED',
  'ERR_TOKEN_REVOKED',
  'ERR_TOKEN_REUSED',
  'ERR_FORBIDDEN',
  'ERR_RBAC_CONDITION',
] as const;

/** Codes raised by `backend-patterns/auth`. */
export type AuthErrorCode = (typeof AUTH_ERROR_CODES)[number];

/** The codes of the token errors. */
export type TokenErrorCode = Exclude<AuthErrorCode, 'ERR_FORBIDDEN' | 'ERR_RBAC_CONDITION'>;

/**
 * Which check rejected a token. Stable strings, safe to use as a metric label.
 */
export type TokenRejectionReason =
  | 'malformed'
  | 'too-large'
  | 'alg'
  | 'kid'
  | 'typ'
  | 'crit'
  | 'header'
  | 'signature'
  | 'claims'
  | 'iss'
  | 'aud'
  | 'nbf'
  | 'iat'
  | 'lifetime'
  | 'expired'
  | 'revoked'
  | 'reused'
  | 'unknown';

/** Options of the token error constructors. */
export interface TokenErrorOptions extends BackendPatternsErrorOptions {
  /** Which check failed. */
  readonly reason: TokenRejectionReason;
}

/** Base of the token errors: carries the `reason`. */
export abstract class TokenError<
  Code extends TokenErrorCode = TokenErrorCode,
> extends BackendPatternsError<Code> {
  /** Which check failed (also the `reason` label of `auth.tokens.rejected`). */
  readonly reason: TokenRejectionReason;

  protected constructor(code: Code, message: string, options: TokenErrorOptions) {
    super(code, message, options);
    this.reason = options.reason;
  }
}

/**
 * The token is malformed, too large, wrongly signed, of the wrong kind, or fails a claim check.
 *
 * @example
 * ```ts
 * try { await tokens.verify(bearer); } catch (e) {
 *   if (isBackendPatternsError(e, 'ERR_TOKEN_INVALID')) return unauthorized();
 *   throw e;
 * }
 * ```
 */
export class TokenInvalidError extends TokenError<'ERR_TOKEN_INVALID'> {
  constructor(message: string, options: TokenErrorOptions) {
    super('ERR_TOKEN_INVALID', message, options);
  }
}

/** The token's `exp` (or a refresh family's lifetime) has passed, beyond the clock tolerance. */
export class TokenExpiredError extends TokenError<'ERR_TOKEN_EXPIRED'> {
  constructor(message: string, options: Omit<TokenErrorOptions, 'reason'> = {}) {
    super('ERR_TOKEN_EXPIRED', message, { ...options, reason: 'expired' });
  }
}

/** The token was revoked: its `jti` is denylisted, its user's version was bumped, or its family revoked. */
export class TokenRevokedError extends TokenError<'ERR_TOKEN_REVOKED'> {
  constructor(message: string, options: Omit<TokenErrorOptions, 'reason'> = {}) {
    super('ERR_TOKEN_REVOKED', message, { ...options, reason: 'revoked' });
  }
}

/**
 * An already-rotated refresh token was presented again (outside the grace window): the whole family has
 * been revoked, because one of its two holders is a thief.
 */
export class TokenReusedError extends TokenError<'ERR_TOKEN_REUSED'> {
  constructor(message: string, options: Omit<TokenErrorOptions, 'reason'> = {}) {
    super('ERR_TOKEN_REUSED', message, { ...options, reason: 'reused' });
  }
}

/**
 * `rbac.assert` refused a permission. The message names the permission, never the resource.
 *
 * @example
 * ```ts
 * try { rbac.assert(user, 'post:delete', post); } catch (e) {
 *   if (isBackendPatternsError(e, 'ERR_FORBIDDEN')) res.statusCode = 403;
 * }
 * ```
 */
export class ForbiddenError extends BackendPatternsError<'ERR_FORBIDDEN'> {
  /** The permission that was refused, e.g. `post:delete`. */
  readonly permission: string;

  constructor(permission: string, options?: BackendPatternsErrorOptions) {
    super('ERR_FORBIDDEN', `permission \`${permission}\` denied`, options);
    this.permission = permission;
  }
}

/**
 * An RBAC condition (`when`) returned something other than a boolean: `1`, `'yes'`, `undefined`, a
 * promise (conditions are synchronous). A programming error in the policy, thrown by `rbac.can` and
 * `rbac.assert` at evaluation, so the request is refused rather than decided on a truthy guess. The
 * message names the role, the rule's effect and the permission, never the resource.
 *
 * @example
 * ```ts
 * try { rbac.assert(user, 'post:delete', post); } catch (e) {
 *   if (isBackendPatternsError(e, 'ERR_RBAC_CONDITION')) console.error(e.message); // fix the policy
 *   res.statusCode = 403;
 * }
 * ```
 */
export class RbacConditionError extends BackendPatternsError<'ERR_RBAC_CONDITION'> {
  /** The permission being checked, e.g. `post:delete`. */
  readonly permission: string;
  /** The role that declared the rule. */
  readonly role: string;
  /** Whether the rule was an allow or a deny rule. */
  readonly effect: 'allow' | 'deny';

  constructor(
    details: {
      readonly permission: string;
      readonly role: string;
      readonly effect: 'allow' | 'deny';
      readonly got: string;
    },
    options?: BackendPatternsErrorOptions,
  ) {
    super(
      'ERR_RBAC_CONDITION',
      `role \`${details.role}\`: the \`when\` of ${details.effect} rule for \`${details.permission}\` returned ${details.got}, not a boolean (conditions must be synchronous booleans)`,
      options,
    );
    this.permission = details.permission;
    this.role = details.role;
    this.effect = details.effect;
  }
}
