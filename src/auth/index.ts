/**
 * backend-patterns/auth — verify identity and control access. Short-lived signed access tokens on jose
 * (algorithm pinned per key, explicit `typ`, every claim checked, size capped before parsing), a key ring
 * with rotation and a public JWKS, opaque refresh tokens in rotating families with reuse detection,
 * revocation by `jti` and per user, stateful sessions with idle/absolute timeouts and regeneration, RBAC
 * with inheritance and deny-over-allow, and a login guard on a rate limiter. Stores default to memory;
 * `backend-patterns/auth/redis` has the Redis ones.
 */

export { normalizeAccountId } from './account-id.js';
export { clearSessionCookie, readSessionCookie, type SessionCookieOptions, sessionCookie } from './cookie.js';
export {
  AUTH_ERROR_CODES,
  type AuthErrorCode,
  ForbiddenError,
  RbacConditionError,
  TokenError,
  type TokenErrorCode,
  type TokenErrorOptions,
  TokenExpiredError,
  TokenInvalidError,
  type TokenRejectionReason,
  TokenReusedError,
  TokenRevokedError,
} from './errors.js';
export {
  createKeyRing,
  type KeyRing,
  type KeyRingOptions,
  type KeyRotation,
  type RetiredKey,
} from './key-ring.js';
export {
  generateSigningKey,
  type ImportSigningKeyInput,
  importSigningKey,
  type KeyMaterial,
  type SigningAlgorithm,
  type SigningKey,
  signingAlgorithms,
  type VerificationKey,
} from './keys.js';
export {
  createLoginGuard,
  ipKey,
  type LoginAttempt,
  type LoginFailureReason,
  type LoginGuard,
  type LoginGuardOptions,
  type LoginLimitDecision,
  type LoginLimiter,
} from './login-guard.js';
export {
  createMemoryRefreshStore,
  createMemoryRevocationStore,
  createMemorySessionStore,
  type MemoryRefreshStoreOptions,
  type MemoryRevocationStoreOptions,
  type MemorySessionStoreOptions,
} from './memory.js';
export type { TokenServiceOptions } from './options.js';
export {
  createRbac,
  type Rbac,
  type RbacCondition,
  type RbacPolicy,
  type RbacRole,
  type RbacRule,
  type RbacSubject,
} from './rbac.js';
export type { ClaimsSource, TokenClaims } from './refresher.js';
export {
  createRemoteJwksVerifier,
  type RemoteJwksVerifier,
  type RemoteJwksVerifierOptions,
} from './remote-jwks.js';
export { timingSafeEqualString } from './secrets.js';
export {
  type CreatedSession,
  createSessionManager,
  type Session,
  type SessionManager,
  type SessionManagerOptions,
  type SessionRegeneration,
  type SessionValidation,
} from './sessions.js';
export {
  createTokenService,
  type IssuedToken,
  type IssueInput,
  type RefreshOptions,
  TOKEN_TYPES,
  type TokenPair,
  type TokenService,
} from './tokens.js';
export type {
  AuthStoreAdapter,
  Principal,
  RefreshFamilyInput,
  RefreshRotateInput,
  RefreshRotation,
  RefreshStore,
  RevocationStatus,
  RevocationStore,
  RevokeJtiRequest,
  SessionCreation,
  SessionLookup,
  SessionRecord,
  SessionStore,
  TokenKind,
} from './types.js';
export { type ImportVerificationKeyInput, importJwks, importVerificationKey } from './verify-keys.js';
