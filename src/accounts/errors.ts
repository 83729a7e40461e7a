/**
 * Errors of the accounts module, all listed in {@link ACCOUNTS_ERROR_CODES} (the docs check reads it).
 * Outcomes an attacker must not be able to tell apart (an unknown email, a throttled reset request) are
 * never errors: they get the uniform response. Errors are for what the caller sent (a password the policy
 * refuses, a malformed email, a bad token) and for overload.
 */
import { BackendPatternsError, type BackendPatternsErrorOptions } from '../core/errors.js';

/** Every code the accounts module raises. Core codes such as `ERR_INVALID_ARGUMENT` come on top. */
export const ACCOUNTS_ERROR_CODES = [
  'ERR_ACCOUNTS_PASSWORD_POLICY',
  'ERR_ACCOUNTS_INVALID_EMAIL',
  'ERR_ACCOUNTS_TOKEN_INVALID',
  'ERR_ACCOUNTS_TOKEN_EXPIRED',
  'ERR_ACCOUNTS_HASH_OVERLOADED',
  'ERR_ACCOUNTS_PEPPER_UNKNOWN',
  'ERR_ACCOUNTS_THROTTLED',
] as const;

/** A code of {@link ACCOUNTS_ERROR_CODES}. */
export type AccountsErrorCode = (typeof ACCOUNTS_ERROR_CODES)[number];

/**
 * Why a password was refused. `too-many-bytes` is checked on the raw input before anything else (so a
 * 1 MB password costs nothing); `malformed` is a string that is not well-formed UTF-16 (a lone surrogate).
 */
export type PasswordPolicyReason = 'too-short' | 'too-long' | 'too-many-bytes' | 'malformed' | 'breached';

/** The password breaks the policy. Nothing was hashed, stored or consumed. */
export class PasswordPolicyError extends BackendPatternsError<'ERR_ACCOUNTS_PASSWORD_POLICY'> {
  readonly reason: PasswordPolicyReason;
  /** The limit that was crossed (characters or bytes), when there is one. */
  readonly limit?: number;
  constructor(reason: PasswordPolicyReason, message: string, limit?: number) {
    super('ERR_ACCOUNTS_PASSWORD_POLICY', message);
    this.reason = reason;
    if (limit !== undefined) this.limit = limit;
  }
}

/** Why an email was refused. */
export type InvalidEmailReason =
  | 'not-a-string'
  | 'too-long'
  | 'control-character'
  | 'syntax'
  | 'domain'
  | 'mixed-script';

/** The email is not one address (syntax, control characters, too long, mixed scripts). Nothing was looked up. */
export class InvalidEmailError extends BackendPatternsError<'ERR_ACCOUNTS_INVALID_EMAIL'> {
  readonly reason: InvalidEmailReason;
  constructor(reason: InvalidEmailReason, message: string) {
    super('ERR_ACCOUNTS_INVALID_EMAIL', message);
    this.reason = reason;
  }
}

/**
 * Why a token was refused: `malformed` (not a token this library makes), `unknown` (no such token of this
 * kind: tampered, foreign, of the other kind, used, or replaced by a newer one), `stale` (its user changed
 * email or credentials since, or is gone).
 */
export type TokenInvalidReason = 'malformed' | 'unknown' | 'stale';

/** The token is not a valid one of the expected kind. The message never says more than the reason. */
export class AccountTokenInvalidError extends BackendPatternsError<'ERR_ACCOUNTS_TOKEN_INVALID'> {
  readonly reason: TokenInvalidReason;
  constructor(reason: TokenInvalidReason) {
    super('ERR_ACCOUNTS_TOKEN_INVALID', `the token is invalid (${reason})`);
    this.reason = reason;
  }
}

/** The token was genuine but is past its expiry (it is deleted now). */
export class AccountTokenExpiredError extends BackendPatternsError<'ERR_ACCOUNTS_TOKEN_EXPIRED'> {
  readonly expiredAtMs: number;
  constructor(expiredAtMs: number) {
    super('ERR_ACCOUNTS_TOKEN_EXPIRED', 'the token has expired');
    this.expiredAtMs = expiredAtMs;
  }
}

/**
 * The hashing queue is full (or the wait would pass `maxWaitMs`): the call was refused at once instead of
 * queueing without bound. Answer 503 with `Retry-After`.
 */
export class HashOverloadedError extends BackendPatternsError<'ERR_ACCOUNTS_HASH_OVERLOADED'> {
  readonly retryAfterMs: number;
  constructor(message: string, retryAfterMs: number) {
    super('ERR_ACCOUNTS_HASH_OVERLOADED', message);
    this.retryAfterMs = retryAfterMs;
  }
}

/** A stored hash names a pepper id that is not configured (a pepper was removed too early). */
export class PepperUnknownError extends BackendPatternsError<'ERR_ACCOUNTS_PEPPER_UNKNOWN'> {
  readonly pepperId: string;
  constructor(pepperId: string, options?: BackendPatternsErrorOptions) {
    super('ERR_ACCOUNTS_PEPPER_UNKNOWN', 'the hash was made with a pepper that is not configured', options);
    this.pepperId = pepperId;
  }
}

/** Too many attempts (token guesses from one IP, logins); try again after `retryAfterMs`. */
export class AccountsThrottledError extends BackendPatternsError<'ERR_ACCOUNTS_THROTTLED'> {
  readonly retryAfterMs: number;
  constructor(retryAfterMs: number) {
    super('ERR_ACCOUNTS_THROTTLED', 'too many attempts; try again later');
    this.retryAfterMs = retryAfterMs;
  }
}
