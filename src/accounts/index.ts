/**
 * backend-patterns/accounts — signup with email verification, password reset and login on an app's own
 * user table: argon2id hashing with bounded concurrency (`backend-patterns/accounts/argon2`), a password
 * policy with an optional breached-password check, hashed single-use tokens of two kinds, uniform responses
 * and a response-time floor against enumeration, mail through the Notifier and the JobQueue, throttling
 * through the RateLimiter, and sessions and refresh families revoked on reset through the TokenService.
 * Stores default to memory; `backend-patterns/accounts/redis` has the Redis one.
 */

export {
  type BoundedHasherLimits,
  type BoundedHasherOptions,
  createBoundedHasher,
} from './bounded-hasher.js';
export {
  ACCOUNTS_ERROR_CODES,
  type AccountsErrorCode,
  AccountsThrottledError,
  AccountTokenExpiredError,
  AccountTokenInvalidError,
  HashOverloadedError,
  InvalidEmailError,
  type InvalidEmailReason,
  PasswordPolicyError,
  type PasswordPolicyReason,
  PepperUnknownError,
  type TokenInvalidReason,
} from './errors.js';
export type {
  AccountMailKind,
  AccountMailStatus,
  AccountsStore,
  AccountTokenKind,
  AccountUser,
  BreachChecker,
  BreachCheckResult,
  CooldownReply,
  CooldownRequest,
  CreateUserRequest,
  DeleteUnverifiedRequest,
  IssuedTokenReply,
  IssueTokenRequest,
  MailRecord,
  PasswordHasher,
  PutMailRequest,
  RevokeTokensRequest,
  TokenBinding,
  TokenLookup,
  TokenLookupRequest,
  TokenRecord,
  UpdatePasswordHashRequest,
  UserDirectory,
} from './types.js';
