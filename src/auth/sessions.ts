/**
 * Stateful sessions: the other side of the card's trade-off. Revocation is immediate (delete the record)
 * at the price of a shared store and one round trip per request. Ids are 256-bit random tokens stored
 * only as SHA-256; idle and absolute timeouts are enforced server-side; ids are regenerated on login and
 * privilege change; a per-user cap bounds storage.
 */
import type { Clock } from '../core/clock.js';
import { InvalidArgumentError, InvalidOptionError } from '../core/errors.js';
import { defineOptions, opt } from '../core/options.js';
import { argument } from '../core/validate.js';
import { createMemorySessionStore } from './memory.js';
import { randomToken, sha256 } from './secrets.js';
import type { SessionRecord, SessionStore } from './types.js';

/** Options of {@link createSessionManager}. */
export interface SessionManagerOptions {
  /** Default: a memory store on this manager's clock. */
  readonly store?: SessionStore;
  /** Inactivity after which a session ends. Default 30 min (OWASP: 15–30 min for low-risk apps). */
  readonly idleTimeoutMs?: number;
  /** Lifetime regardless of activity. Default 8 h (OWASP: 4–8 h). */
  readonly absoluteTimeoutMs?: number;
  /** Sessions per user; creating one more evicts the oldest. Default 10; 1 .. 1 000. */
  readonly maxSessionsPerUser?: number;
  /** Time of `createdAtMs` and of the absolute deadline; a Redis store without a clock uses Redis `TIME`. */
  readonly clock?: Clock;
}

/** A session as the application sees it (no token). */
export type Session = SessionRecord;

/** A new session and the token to put in the cookie (shown once, never stored). */
export interface CreatedSession {
  readonly token: string;
  readonly session: Session;
}

/** Result of {@link SessionManager.validate}. */
export type SessionValidation =
  | { readonly valid: true; readonly session: Session }
  | { readonly valid: false; readonly reason: 'unknown' | 'idle-timeout' | 'absolute-timeout' };

/** What {@link SessionManager.regenerate} changes. */
export interface SessionRegeneration {
  /** The user of the new session; a different one than the old session's starts with empty data. */
  readonly userId?: string;
  /**
   * On a change of user, the keys of the old data to carry over (absent keys are skipped); at most 64
   * names of 1..128 characters. Ignored for the same user, whose data is kept whole.
   */
  readonly keep?: readonly string[];
  /** Merged over the (kept) data. */
  readonly data?: Readonly<Record<string, unknown>>;
}

/** Stateful sessions. */
export interface SessionManager {
  /** Creates a session for `userId` (at login). */
  create(input: {
    readonly userId: string;
    readonly data?: Readonly<Record<string, unknown>>;
  }): Promise<CreatedSession>;
  /** Validates a token and slides its idle deadline. One store round trip. */
  validate(token: string): Promise<SessionValidation>;
  /**
   * Replaces a session by a new id (login, privilege change): the old id stops working first. For the
   * same user (no `userId`, or the same one) the data is kept (merged with `data`) and so is the absolute
   * deadline. For another user (a new login) the session starts afresh, new absolute deadline and
   * **empty data**, plus only the keys named in `keep` (e.g. `['returnTo', 'cart']`) and then `data`:
   * a pre-login `role`, `csrf` token or another user's `mfaVerified` never carries over by default.
   * Returns undefined when the old session is not valid.
   */
  regenerate(token: string, changes?: SessionRegeneration): Promise<CreatedSession | undefined>;
  /** Ends the session of a token (logout); false when it was not live. */
  destroy(token: string): Promise<boolean>;
  /** The user's live sessions ("your devices"), oldest first. */
  list(userId: string): Promise<readonly Session[]>;
  /** Ends one session by id (from `list`). */
  revoke(sessionId: string): Promise<boolean>;
  /** Ends every session of a user. Returns how many. */
  revokeAllForUser(userId: string): Promise<number>;
}

const parseOptions = defineOptions('createSessionManager', {
  store: opt.port<SessionStore>(['create', 'touch', 'take', 'delete', 'listByUser', 'deleteByUser']),
  idleTimeoutMs: opt.duration({ default: 30 * 60_000, min: 1_000 }),
  absoluteTimeoutMs: opt.duration({ default: 8 * 3_600_000, min: 1_000 }),
  maxSessionsPerUser: opt.integer({ default: 10, min: 1, max: 1_000 }),
  clock: opt.clock(),
});

const TOKEN = /^[A-Za-z0-9_-]{43}$/;
const MAX_USER_ID_CHARS = 256;
const MAX_DATA_BYTES = 4_096;

const checkData = (data: unknown): Readonly<Record<string, unknown>> => {
  if (data === undefined) return {};
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new InvalidArgumentError('`data` must be a plain object');
  }
  let json: string;
  try {
    json = JSON.stringify(data);
  } catch {
    throw new InvalidArgumentError('`data` must be JSON-serialisable');
  }
  if (Buffer.byteLength(json) > MAX_DATA_BYTES) {
    throw new InvalidArgumentError(`\`data\` is larger than ${MAX_DATA_BYTES} bytes as JSON`);
  }
  return JSON.parse(json) as Record<string, unknown>;
};

const MAX_KEEP = 64;
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

const checkKeep = (keep: unknown): readonly string[] => {
  if (keep === undefined) return [];
  if (!Array.isArray(keep) || keep.length > MAX_KEEP) {
    throw new InvalidArgumentError(`\`keep\` must be an array of at most ${MAX_KEEP} key names`);
  }
  for (const key of keep) {
    if (typeof key !== 'string' || key.length === 0 || key.length > 128 || FORBIDDEN_KEYS.has(key)) {
      throw new InvalidArgumentError('`keep` entries must be key names of 1..128 characters');
    }
  }
  return keep as readonly string[];
};

/** The named own keys of `data` (a kept key the old session lacks is skipped, never set to undefined). */
const pick = (data: Readonly<Record<string, unknown>>, keys: readonly string[]) =>
  Object.fromEntries(keys.filter((k) => Object.hasOwn(data, k)).map((k) => [k, data[k]]));

/** The store id of a token, or undefined when the token cannot be one of ours. */
const idOf = (token: unknown) => (typeof token === 'string' && TOKEN.test(token) ? sha256(token) : undefined);

/**
 * Creates a session manager.
 *
 * @example
 * ```ts
 * const sessions = createSessionManager({ store: createRedisSessionStore({ client, prefix: 'app' }) });
 * const { token } = await sessions.create({ userId: 'user-1' });
 * res.setHeader('Set-Cookie', sessionCookie(token));
 * const check = await sessions.validate(readSessionCookie(req.headers.cookie) ?? '');
 * ```
 */
export function createSessionManager(options: SessionManagerOptions = {}): SessionManager {
  const { idleTimeoutMs, absoluteTimeoutMs, maxSessionsPerUser, clock, ...given } = parseOptions(options);
  if (absoluteTimeoutMs < idleTimeoutMs) {
    throw new InvalidOptionError('createSessionManager: `absoluteTimeoutMs` must be >= `idleTimeoutMs`');
  }
  const store = given.store ?? createMemorySessionStore({ clock });

  const start = async (
    userId: string,
    data: Readonly<Record<string, unknown>>,
    absoluteExpiresAtMs?: number,
  ) => {
    const token = randomToken(32);
    const nowMs = clock.now();
    const session: Session = {
      id: sha256(token),
      userId,
      data,
      createdAtMs: nowMs,
      lastActiveAtMs: nowMs,
      idleTimeoutMs,
      absoluteExpiresAtMs: absoluteExpiresAtMs ?? nowMs + absoluteTimeoutMs,
    };
    await store.create(session, maxSessionsPerUser);
    return { token, session };
  };

  return {
    async create(input) {
      const userId = argument.key('userId', input?.userId, MAX_USER_ID_CHARS);
      return start(userId, checkData(input.data));
    },
    async validate(token) {
      const id = idOf(token);
      if (id === undefined) return { valid: false, reason: 'unknown' };
      const lookup = await store.touch(id);
      return lookup.status === 'active'
        ? { valid: true, session: lookup.record }
        : { valid: false, reason: lookup.status };
    },
    async regenerate(token, changes = {}) {
      const newUserId =
        changes.userId === undefined ? undefined : argument.key('userId', changes.userId, MAX_USER_ID_CHARS);
      const keep = checkKeep(changes.keep);
      const data = checkData(changes.data);
      const id = idOf(token);
      if (id === undefined) return undefined;
      // Delete first: a crash between the two steps logs the user out instead of keeping a fixed id alive.
      const old = await store.take(id);
      if (old === undefined) return undefined;
      const loggedInAgain = newUserId !== undefined && newUserId !== old.userId;
      // Another user must not inherit this session's data (pre-login role, csrf, mfaVerified): only `keep`.
      const base = loggedInAgain ? pick(old.data, keep) : old.data;
      return start(
        newUserId ?? old.userId,
        checkData({ ...base, ...data }),
        loggedInAgain ? undefined : old.absoluteExpiresAtMs,
      );
    },
    async destroy(token) {
      const id = idOf(token);
      return id === undefined ? false : store.delete(id);
    },
    list: async (userId) => store.listByUser(argument.key('userId', userId, MAX_USER_ID_CHARS)),
    revoke: async (sessionId) => store.delete(argument.key('sessionId', sessionId, 64)),
    revokeAllForUser: async (userId) => store.deleteByUser(argument.key('userId', userId, MAX_USER_ID_CHARS)),
  };
}
