/**
 * Public types of the accounts module: the three ports an app wires ({@link PasswordHasher},
 * {@link UserDirectory}, {@link AccountsStore}), the optional {@link BreachChecker}, and their request and
 * reply shapes. The store's semantics (atomicity, TTLs, what a crash leaves behind) are in docs/accounts.md
 * under "Store semantics"; one contract suite (`accountsStoreContract`) checks every adapter.
 */

/** The two kinds of one-time token. A token of one kind is never accepted as the other. */
export type AccountTokenKind = 'verify' | 'reset';

/**
 * Hashes and verifies passwords. The input is the policy-normalised password (NFKC, length- and
 * byte-checked); implementations turn it into UTF-8 bytes. Output is a PHC string
 * (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`), so parameters travel with the hash and
 * {@link PasswordHasher.needsRehash} can tell an old one.
 */
export interface PasswordHasher {
  readonly kind: string;
  /** A PHC string for `password`, with a fresh random salt. */
  hash(password: string): Promise<string>;
  /** Whether `password` matches `hash`. A malformed hash is `false`, never an exception. */
  verify(hash: string, password: string): Promise<boolean>;
  /** Whether `hash` was made with other parameters (or another pepper) than the current ones. */
  needsRehash(hash: string): boolean;
  close?(): Promise<void>;
}

/** Answer of a {@link BreachChecker}. */
export type BreachCheckResult =
  | { readonly status: 'breached'; readonly count: number }
  | { readonly status: 'clean' }
  /** The service could not answer (down, timed out, malformed reply): the check failed open. */
  | { readonly status: 'unavailable'; readonly reason: string };

/** Asks whether a password appears in known breaches (e.g. a k-anonymity range API). Never throws. */
export interface BreachChecker {
  readonly kind: string;
  check(password: string): Promise<BreachCheckResult>;
}

/** A user as the app's directory returns it. The library never owns the user table. */
export interface AccountUser {
  /** Your user id (also the TokenService `sub` and the SessionManager user id). */
  readonly id: string;
  /** The normalised email (see `normalizeEmail`); the directory's unique key. */
  readonly email: string;
  /** PHC string, or `null` for an account without a password (e.g. social login only). */
  readonly passwordHash: string | null;
  readonly verified: boolean;
  /** When the account was created, epoch ms (unverified accounts expire from here). */
  readonly createdAtMs: number;
  /**
   * Raised on every credential change (password, email). Tokens remember the version they were issued
   * at, so a change made anywhere (your own settings page too) invalidates outstanding tokens.
   */
  readonly credentialsVersion: number;
}

/** Input of {@link UserDirectory.create}. */
export interface CreateUserRequest {
  readonly email: string;
  readonly passwordHash: string;
  readonly createdAtMs: number;
  /** Create the user already verified (a signup completed by its verification link). Default false. */
  readonly verified?: boolean;
}

/** Input of {@link UserDirectory.updatePasswordHash}. */
export interface UpdatePasswordHashRequest {
  readonly userId: string;
  readonly passwordHash: string;
  /**
   * When given, update only if the stored hash is still this one (a compare-and-set; rehash-on-login uses
   * it so a concurrent reset is never overwritten by an older password's rehash).
   */
  readonly expectedHash?: string;
}

/** Input of {@link UserDirectory.deleteUnverified}. */
export interface DeleteUnverifiedRequest {
  /** Only this user (when still unverified and created before the instant). Default: every such user. */
  readonly userId?: string;
  readonly createdBeforeMs: number;
}

/**
 * The app's user table, seen through the few operations the flows need. Every email passed in is already
 * normalised. `createMemoryUserDirectory` is an in-memory fake with the same semantics, for tests and
 * examples.
 */
export interface UserDirectory {
  findByEmail(email: string): Promise<AccountUser | undefined>;
  findById(userId: string): Promise<AccountUser | undefined>;
  /** Creates a user (unverified unless `verified`) at version 0; `undefined` when the email is taken (a unique constraint). */
  create(request: CreateUserRequest): Promise<AccountUser | undefined>;
  /** Sets the hash; `false` when the user is gone or `expectedHash` no longer matches. */
  updatePasswordHash(request: UpdatePasswordHashRequest): Promise<boolean>;
  /** Marks the email verified; `false` when the user is gone. */
  markVerified(userId: string): Promise<boolean>;
  /** Raises `credentialsVersion` by one and returns the new value (`-1` when the user is gone). */
  bumpCredentialsVersion(userId: string): Promise<number>;
  /** Deletes unverified users created before the instant; returns how many. */
  deleteUnverified(request: DeleteUnverifiedRequest): Promise<number>;
}

/** What a token is bound to: a token whose user has since changed email or credentials is invalid. */
export interface TokenBinding {
  readonly userId: string;
  readonly email: string;
  readonly credentialsVersion: number;
}

/** Input of {@link AccountsStore.issueToken}. */
export interface IssueTokenRequest {
  readonly kind: AccountTokenKind;
  /** SHA-256 of the token, lower-case hex (64 characters). The token itself is never stored. */
  readonly tokenHash: string;
  readonly binding: TokenBinding;
  readonly ttlMs: number;
  /**
   * Opaque data kept with the token and returned by lookups (at most 1024 characters, no control
   * characters). The flows keep a pending signup's password hash here, so no user row exists before the
   * address is verified.
   */
  readonly payload?: string;
}

/** A stored token, as issued. Instants are the store's time. */
export interface TokenRecord extends TokenBinding {
  readonly kind: AccountTokenKind;
  readonly issuedAtMs: number;
  readonly expiresAtMs: number;
  /** The request's `payload`, when it had one. */
  readonly payload?: string;
}

/** Reply of {@link AccountsStore.issueToken}. */
export interface IssuedTokenReply {
  readonly record: TokenRecord;
  /** Whether an outstanding token of the same kind and user was invalidated by this one. */
  readonly replaced: boolean;
}

/** Input of {@link AccountsStore.findToken} and {@link AccountsStore.consumeToken}. */
export interface TokenLookupRequest {
  readonly kind: AccountTokenKind;
  readonly tokenHash: string;
}

/**
 * What a lookup found. `expired` is reported for a token past its expiry but still within the store's
 * retention (so a late click can say "expired" rather than "invalid"); after that it is `missing`.
 */
export type TokenLookup =
  | { readonly status: 'valid'; readonly record: TokenRecord }
  | { readonly status: 'expired'; readonly record: TokenRecord }
  | { readonly status: 'missing' };

/** Input of {@link AccountsStore.revokeTokens}. */
export interface RevokeTokensRequest {
  readonly userId: string;
  /** Only this kind. Default: both. */
  readonly kind?: AccountTokenKind;
}

/** Input of {@link AccountsStore.acquireCooldown}. */
export interface CooldownRequest {
  /** A key the flows build (`reset:<email>`, `verify:<user id>`); at most 512 characters. */
  readonly key: string;
  readonly cooldownMs: number;
}

/** Reply of {@link AccountsStore.acquireCooldown}. */
export interface CooldownReply {
  readonly acquired: boolean;
  /** When not acquired: how long until it can be, ms. 0 when acquired. */
  readonly retryAfterMs: number;
}

/** What an account mail is for. */
export type AccountMailKind = 'verify' | 'reset' | 'reset-unknown' | 'reset-completed' | 'signup-existing';

/** How far an account mail got. `sent` onwards comes from the notifier's delivery record. */
export type AccountMailStatus =
  | 'queued'
  | 'skipped'
  | 'sent'
  | 'delivered'
  | 'deferred'
  | 'bounced'
  | 'complained'
  | 'suppressed'
  | 'failed';

/** The bookkeeping of one request (a signup, a reset request, a resend): what was mailed, and how it went. */
export interface MailRecord {
  readonly requestId: string;
  readonly kind: AccountMailKind;
  readonly status: AccountMailStatus;
  /** Present once the account is known (never for an unknown email). */
  readonly userId?: string;
  /** The notifier's message id once sent; `deliveryStatus` follows it. */
  readonly messageId?: string;
  /** Why it was skipped or failed (`cooldown`, `no-account`, `throttled`, an error code). */
  readonly reason?: string;
  /** Store time of the last change, epoch ms. */
  readonly updatedAtMs: number;
}

/** Input of {@link AccountsStore.putMail}. */
export interface PutMailRequest {
  readonly record: Omit<MailRecord, 'updatedAtMs'>;
  readonly ttlMs: number;
}

/**
 * Tokens, cooldowns and mail bookkeeping. Every state change is atomic; every Redis key has a TTL.
 * Time is the adapter's (port rule 2): instants in replies are the store's.
 */
export interface AccountsStore {
  readonly kind: string;
  /**
   * Stores a token record under its hash and makes it the one outstanding token of its kind for the
   * user: the previous one, if any, is deleted in the same atomic step.
   */
  issueToken(request: IssueTokenRequest): Promise<IssuedTokenReply>;
  /** Reads a token without using it (for a confirm page that checks the link before asking for a password). */
  findToken(request: TokenLookupRequest): Promise<TokenLookup>;
  /**
   * Uses a token: deletes it and its outstanding pointer atomically and returns what it was. Of any number
   * of concurrent calls for one token, exactly one gets `valid`. An expired token is deleted too.
   */
  consumeToken(request: TokenLookupRequest): Promise<TokenLookup>;
  /** Deletes a user's outstanding tokens (of one kind, or both); returns how many. */
  revokeTokens(request: RevokeTokensRequest): Promise<number>;
  /** Takes a cooldown if none is running for the key (set-if-absent with a TTL). */
  acquireCooldown(request: CooldownRequest): Promise<CooldownReply>;
  /** Writes (or overwrites) a mail record, stamped with the store time. */
  putMail(request: PutMailRequest): Promise<void>;
  getMail(requestId: string): Promise<MailRecord | undefined>;
  close?(): Promise<void>;
}
