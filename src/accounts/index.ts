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
  createRangeBreachChecker,
  type RangeBreachCheckerOptions,
  type RangeBreachFailure,
} from './breach.js';
export {
  type EmailLocalPartPolicy,
  MAX_EMAIL_INPUT_LENGTH,
  type NormalizeEmailOptions,
  normalizeEmail,
} from './email.js';

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
export { createResetFlow, type ResetFlow, resetPageHeaders } from './flow.js';
export type { ResetFailureReason } from './instruments.js';
export type { LoginRequest, LoginResult } from './login.js';
export { ACCOUNTS_JOB_TYPE, type MailJob } from './mail.js';
export {
  createMemoryUserDirectory,
  type MemoryUserDirectory,
  type MemoryUserDirectoryOptions,
  type MemoryUserSeed,
} from './memory-directory.js';
export { createMemoryAccountsStore, type MemoryAccountsStoreOptions } from './memory-store.js';
export { isMixedScript } from './mixed-script.js';
export {
  type AccountLinks,
  type AccountsLimiter,
  type AccountsLimitsOptions,
  type AccountTemplateNames,
  RESET_TTL_RANGE_MS,
  type ResetFlowOptions,
  type SessionRevoker,
  type UndeliverableMail,
} from './options.js';
export {
  createPasswordPolicy,
  type PasswordBreachOutcome,
  type PasswordCheckContext,
  type PasswordPolicy,
  type PasswordPolicyOptions,
  type PasswordPolicySettings,
} from './password-policy.js';
export type {
  ConfirmResetRequest,
  ConfirmResetResult,
  ResetRequest,
  ResetTokenState,
} from './reset.js';
export type { AcceptedResponse, ResendRequest, SignupRequest } from './signup.js';
export {
  EXPIRED_RETENTION_MS,
  MAX_COOLDOWN_MS,
  MAX_MAIL_TTL_MS,
  MAX_REQUEST_ID_LENGTH,
  MAX_STORE_TEXT_LENGTH,
  MAX_TOKEN_TTL_MS,
} from './store-constants.js';
export { accountTemplates } from './templates.js';
export { hashToken, TOKEN_BYTES } from './tokens.js';
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
