/**
 * Ports of the auth module: the three stores (refresh families, revocations, sessions) that have a
 * memory adapter (default) and a Redis adapter, plus the shared value types. No port method takes the
 * time: each adapter reads its own `clock` (port rule 2), so a decision does not depend on which app
 * server asked.
 */

/** What every auth store adapter has (port rule 1). */
export interface AuthStoreAdapter {
  /** The backend, e.g. `'memory'` or `'redis'`. */
  readonly kind: string;
  /** Releases what the adapter made itself (never a client you passed in). */
  close?(): Promise<void>;
}

/** The kinds of signed token. Each has its own `typ`, so none can stand in for another. */
export type TokenKind = 'access' | 'reset' | 'verify-email';

/** A verified token. */
export interface Principal {
  /** Subject (user id). */
  readonly sub: string;
  /** Token id, the denylist key. */
  readonly jti: string;
  /** Which kind of token was verified. */
  readonly kind: TokenKind;
  /** `iat` in epoch ms. */
  readonly issuedAtMs: number;
  /** `exp` in epoch ms. */
  readonly expiresAtMs: number;
  /** `kid` of the key that signed it. */
  readonly kid: string;
  /** Every claim of the payload, registered ones included. */
  readonly claims: Readonly<Record<string, unknown>>;
}

/** Outcome of presenting a refresh token to {@link RefreshStore.rotate}. */
export type RefreshRotation =
  /** The current token: the family moved to a new generation and `nextHash` is its token. */
  | { readonly status: 'rotated'; readonly userId: string; readonly expiresAtMs: number }
  /** The previous token within the grace window, first time: `nextHash` became a sibling of the current one. */
  | { readonly status: 'grace'; readonly userId: string; readonly expiresAtMs: number }
  /** Any older token, or a second grace use: the family is now revoked. */
  | { readonly status: 'reused'; readonly userId: string }
  /** The family was revoked before. */
  | { readonly status: 'revoked' }
  /** The family's lifetime is over. */
  | { readonly status: 'expired' }
  /** No such family, or a token hash it never issued. */
  | { readonly status: 'unknown' };

/** A new refresh family. */
export interface RefreshFamilyInput {
  /** Random id, also the first part of every token of the family. */
  readonly familyId: string;
  readonly userId: string;
  /** SHA-256 (base64url) of the first token. */
  readonly tokenHash: string;
  /** End of the family's lifetime (absolute, epoch ms), compared with the store's clock. */
  readonly expiresAtMs: number;
}

/** Input of {@link RefreshStore.rotate}. */
export interface RefreshRotateInput {
  readonly familyId: string;
  /** SHA-256 (base64url) of the presented token. */
  readonly presentedHash: string;
  /** SHA-256 (base64url) of the token to issue if the rotation succeeds. */
  readonly nextHash: string;
  /** How long after a rotation the previous token may still be used, once. */
  readonly graceMs: number;
}

/**
 * Port: refresh-token families. `rotate` must be atomic per family (two concurrent calls with the same
 * token: at most one `rotated` and at most one `grace`).
 */
export interface RefreshStore extends AuthStoreAdapter {
  /** Creates a family with its first token, indexed under its user. */
  createFamily(input: RefreshFamilyInput): Promise<void>;
  /** Presents a token: rotates, uses the grace window, or detects reuse and revokes the family. */
  rotate(input: RefreshRotateInput): Promise<RefreshRotation>;
  /**
   * Revokes one live family; false when it does not exist, has expired, or (with `tokenHash`) never
   * issued that token, so a guessed family id alone cannot log anyone out.
   */
  revokeFamily(familyId: string, tokenHash?: string): Promise<boolean>;
  /** Revokes every live family of a user; returns how many. */
  revokeUser(userId: string): Promise<number>;
}

/** Result of {@link RevocationStore.check}. */
export interface RevocationStatus {
  /** The `jti` is on the denylist. */
  readonly jtiRevoked: boolean;
  /** The user's current token version (0 when never bumped or forgotten). */
  readonly userVersion: number;
}

/** Input of {@link RevocationStore.revokeJti}. */
export interface RevokeJtiRequest {
  readonly userId: string;
  readonly jti: string;
  /**
   * Until when the entry must exist (epoch ms, app clock: the token's `exp` plus the verify tolerance).
   * The store keeps it for its own clock-skew tolerance longer; an entry already past both is not stored.
   */
  readonly expiresAtMs: number;
}

/**
 * Port: revocations. `check` answers both questions in one round trip.
 */
export interface RevocationStore extends AuthStoreAdapter {
  /** Denylists `jti` of `userId` until `expiresAtMs` (plus the store's clock-skew tolerance). */
  revokeJti(request: RevokeJtiRequest): Promise<void>;
  /**
   * Raises the user's token version, kept for at least `keepMs` (the longest token lifetime) plus the
   * store's clock-skew tolerance. The new version is above every version the user ever had, even one
   * already forgotten: `max(current + 1, the store's time in ms)`. Returns it.
   */
  bumpUserVersion(userId: string, keepMs: number): Promise<number>;
  /** The user's current token version (0 when never bumped or forgotten). */
  userVersion(userId: string): Promise<number>;
  /** Denylist entry and user version together. */
  check(userId: string, jti: string): Promise<RevocationStatus>;
}

/** A stored session. `id` is SHA-256 of the token; the token itself is never stored. */
export interface SessionRecord {
  readonly id: string;
  readonly userId: string;
  /** Application data (JSON-serialisable). */
  readonly data: Readonly<Record<string, unknown>>;
  readonly createdAtMs: number;
  readonly lastActiveAtMs: number;
  readonly idleTimeoutMs: number;
  readonly absoluteExpiresAtMs: number;
}

/** Result of {@link SessionStore.touch}. */
export type SessionLookup =
  | { readonly status: 'active'; readonly record: SessionRecord }
  | { readonly status: 'unknown' | 'idle-timeout' | 'absolute-timeout' };

/** Result of {@link SessionStore.create}. */
export interface SessionCreation {
  /** Ids of the user's oldest sessions deleted to respect the cap. */
  readonly evictedIds: readonly string[];
}

/**
 * Port: stateful sessions. Each method is atomic per session; the per-user index may briefly point at a
 * deleted session (listing skips it), never the reverse. "Now" is the store's clock.
 */
export interface SessionStore extends AuthStoreAdapter {
  /** Stores `record`, indexes it under its user, evicts (deletes) the oldest beyond `maxPerUser`. */
  create(record: SessionRecord, maxPerUser: number): Promise<SessionCreation>;
  /** Validates and slides: expired records are deleted and reported; active ones get `lastActiveAtMs = now`. */
  touch(id: string): Promise<SessionLookup>;
  /** Deletes and returns a session (for regenerate); undefined when absent or expired. */
  take(id: string): Promise<SessionRecord | undefined>;
  /** Deletes one session; false when absent. */
  delete(id: string): Promise<boolean>;
  /** The user's live sessions, oldest first. */
  listByUser(userId: string): Promise<readonly SessionRecord[]>;
  /** Deletes every session of a user; returns how many. */
  deleteByUser(userId: string): Promise<number>;
}
