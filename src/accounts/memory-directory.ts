/**
 * An in-memory {@link UserDirectory}: the fake the tests, examples and demo use in place of an app's user
 * table, with the semantics a real one must have (`userDirectoryContract` checks both): emails unique,
 * versions that only go up, a compare-and-set on the password hash, and users handed out as frozen
 * snapshots so a caller cannot change the table by mutating what it read.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import { InvalidArgumentError } from '../core/errors.js';
import { defineOptions, opt, optionError } from '../core/options.js';
import { argument } from '../core/validate.js';
import { storeText } from './store-input.js';
import type { AccountUser, UserDirectory } from './types.js';

/** A user to start with; what is left out gets a default. */
export interface MemoryUserSeed {
  readonly email: string;
  /** Default a random UUID. */
  readonly id?: string;
  /** Default `null` (no password). */
  readonly passwordHash?: string | null;
  /** Default `false`. */
  readonly verified?: boolean;
  /** Default the directory clock's now. */
  readonly createdAtMs?: number;
  /** Default 0. */
  readonly credentialsVersion?: number;
}

/** Options of {@link createMemoryUserDirectory}. */
export interface MemoryUserDirectoryOptions {
  /** Stamps seeded users that have no `createdAtMs`. Default the system clock. */
  readonly clock?: Clock;
  /** Users to start with (unique ids and emails). Default none. */
  readonly users?: readonly MemoryUserSeed[];
}

/** The memory directory: a {@link UserDirectory} that can also list what it holds (for tests). */
export interface MemoryUserDirectory extends UserDirectory {
  readonly kind: 'memory';
  /** Every user, oldest first (then by id), as frozen snapshots. */
  listUsers(): readonly AccountUser[];
}

/** Longest password hash the directory accepts (a PHC string is about 100 characters). */
const MAX_HASH_LENGTH = 1024;
const OWNER = 'createMemoryUserDirectory';

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const seedList = opt.custom((value: unknown, path: string): readonly Record<string, unknown>[] => {
  if (!Array.isArray(value) || !value.every(isRecord)) throw optionError(OWNER, path, 'an array of users');
  return value;
});

const parseOptions = defineOptions(OWNER, {
  clock: opt.clock(),
  users: seedList,
});

const passwordHash = (name: string, value: unknown) => argument.key(name, value, MAX_HASH_LENGTH);
const instant = (name: string, value: unknown) => argument.integer(name, value, 0, Number.MAX_SAFE_INTEGER);

function flag(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new InvalidArgumentError(`\`${name}\` must be a boolean`);
  return value;
}

function object(name: string, value: unknown): Record<string, unknown> {
  if (!isRecord(value)) throw new InvalidArgumentError(`\`${name}\` must be an object`);
  return value;
}

/** One seeded user, checked; a bad field is an option error naming `users[i].field`. */
function seededUser(seed: Record<string, unknown>, index: number, nowMs: number): AccountUser {
  const path = `users[${index}]`;
  try {
    const hash = seed.passwordHash;
    return Object.freeze({
      id: seed.id === undefined ? randomUUID() : storeText(`${path}.id`, seed.id),
      email: storeText(`${path}.email`, seed.email),
      passwordHash: hash === undefined || hash === null ? null : passwordHash(`${path}.passwordHash`, hash),
      verified: seed.verified === undefined ? false : flag(`${path}.verified`, seed.verified),
      createdAtMs: seed.createdAtMs === undefined ? nowMs : instant(`${path}.createdAtMs`, seed.createdAtMs),
      credentialsVersion:
        seed.credentialsVersion === undefined
          ? 0
          : instant(`${path}.credentialsVersion`, seed.credentialsVersion),
    });
  } catch (error) {
    throw optionError(OWNER, path, `a valid user (${(error as Error).message})`);
  }
}

/** Users by id and ids by email, kept in step; every stored user is frozen. */
function userTable() {
  const byId = new Map<string, AccountUser>();
  const idByEmail = new Map<string, string>();
  return {
    get: (id: string) => byId.get(id),
    idOf: (email: string) => idByEmail.get(email),
    put(user: AccountUser) {
      byId.set(user.id, Object.freeze({ ...user }));
      idByEmail.set(user.email, user.id);
    },
    remove(user: AccountUser) {
      byId.delete(user.id);
      idByEmail.delete(user.email);
    },
    all: () => [...byId.values()],
  };
}

/**
 * Creates an in-memory {@link UserDirectory}. Each method does its change before its first `await`, so
 * concurrent calls behave like transactions (two creates of one email: one wins).
 *
 * @example
 * ```ts
 * const directory = createMemoryUserDirectory({ users: [{ email: 'ada@example.com', verified: true }] });
 * const ada = await directory.findByEmail('ada@example.com');
 * ```
 */
export function createMemoryUserDirectory(options: MemoryUserDirectoryOptions = {}): MemoryUserDirectory {
  const o = parseOptions(options);
  const table = userTable();
  for (const [i, seed] of (o.users ?? []).entries()) {
    const user = seededUser(seed, i, Math.floor(o.clock.now()));
    if (table.get(user.id) !== undefined || table.idOf(user.email) !== undefined) {
      throw optionError(OWNER, `users[${i}]`, 'a user with an id and an email of its own');
    }
    table.put(user);
  }
  const update = (user: AccountUser | undefined, change: Partial<AccountUser>) => {
    if (user === undefined) return false;
    table.put({ ...user, ...change });
    return true;
  };

  return {
    kind: 'memory',
    async findByEmail(email) {
      const id = table.idOf(storeText('email', email));
      return id === undefined ? undefined : table.get(id);
    },
    findById: async (userId) => table.get(storeText('userId', userId)),
    async create(request) {
      const r = object('request', request);
      const email = storeText('email', r.email);
      const hash = passwordHash('passwordHash', r.passwordHash);
      const createdAtMs = instant('createdAtMs', r.createdAtMs);
      const verified = r.verified === undefined ? false : flag('verified', r.verified);
      if (table.idOf(email) !== undefined) return undefined;
      const id = randomUUID();
      table.put({ id, email, passwordHash: hash, verified, createdAtMs, credentialsVersion: 0 });
      return table.get(id);
    },
    async updatePasswordHash(request) {
      const r = object('request', request);
      const user = table.get(storeText('userId', r.userId));
      const hash = passwordHash('passwordHash', r.passwordHash);
      const expected =
        r.expectedHash === undefined ? undefined : passwordHash('expectedHash', r.expectedHash);
      if (expected !== undefined && user?.passwordHash !== expected) return false;
      return update(user, { passwordHash: hash });
    },
    markVerified: async (userId) => update(table.get(storeText('userId', userId)), { verified: true }),
    async bumpCredentialsVersion(userId) {
      const user = table.get(storeText('userId', userId));
      if (user === undefined) return -1;
      update(user, { credentialsVersion: user.credentialsVersion + 1 });
      return user.credentialsVersion + 1;
    },
    async deleteUnverified(request) {
      const r = object('request', request);
      const before = instant('createdBeforeMs', r.createdBeforeMs);
      const only = r.userId === undefined ? undefined : storeText('userId', r.userId);
      const candidates = only === undefined ? table.all() : [table.get(only)];
      let count = 0;
      for (const user of candidates) {
        if (user === undefined || user.verified || user.createdAtMs >= before) continue;
        table.remove(user);
        count += 1;
      }
      return count;
    },
    listUsers: () =>
      Object.freeze(
        table.all().sort((a, b) => a.createdAtMs - b.createdAtMs || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
      ),
  };
}
