/**
 * The memory {@link AccountsStore}: the Redis store's semantics (one outstanding token per user and kind,
 * get-and-delete on consume, expiry and retention, cooldowns, mail records with a TTL) on the store's
 * clock, for one process. Every method does its whole state change before its first `await`, so each is
 * atomic with respect to the others.
 */
import type { Clock } from '../core/clock.js';
import { defineOptions, opt } from '../core/options.js';
import { EXPIRED_RETENTION_MS } from './store-constants.js';
import {
  checkCooldown,
  checkIssue,
  checkLookup,
  checkPutMail,
  checkRequestId,
  checkRevoke,
} from './store-input.js';
import type { AccountsStore, AccountTokenKind, MailRecord, TokenLookup, TokenRecord } from './types.js';

/** Options of {@link createMemoryAccountsStore}. */
export interface MemoryAccountsStoreOptions {
  /** The store's time. Default the system clock. */
  readonly clock?: Clock;
}

const parseOptions = defineOptions('createMemoryAccountsStore', { clock: opt.clock() });

/** Expired entries are dropped on access, and in a full sweep every this many writes. */
const SWEEP_EVERY_WRITES = 1024;

/** Whether a record is past its retention (then it reads as missing). */
const forgotten = (record: TokenRecord, nowMs: number) => nowMs >= record.expiresAtMs + EXPIRED_RETENTION_MS;

/** Token records by kind and hash, and each user's outstanding pointer per kind, kept in step. */
function tokenTable() {
  const records = new Map<string, TokenRecord>();
  const pointers = new Map<string, string>();
  // NUL never occurs in a checked kind, hash or user id, so these keys cannot collide.
  const recordKey = (kind: AccountTokenKind, hash: string) => `${kind}\u0000${hash}`;
  const pointerKey = (kind: AccountTokenKind, userId: string) => `${kind}\u0000${userId}`;

  /** Deletes a record, and its user's pointer when that still points at it. */
  const remove = (kind: AccountTokenKind, hash: string) => {
    const record = records.get(recordKey(kind, hash));
    if (record === undefined) return undefined;
    records.delete(recordKey(kind, hash));
    if (pointers.get(pointerKey(kind, record.userId)) === hash)
      pointers.delete(pointerKey(kind, record.userId));
    return record;
  };
  /** Deletes the user's pointer and the record it points at (when that is the user's); the record. */
  const takeOutstanding = (kind: AccountTokenKind, userId: string) => {
    const hash = pointers.get(pointerKey(kind, userId));
    if (hash === undefined) return undefined;
    pointers.delete(pointerKey(kind, userId));
    const record = records.get(recordKey(kind, hash));
    if (record === undefined || record.userId !== userId) return undefined;
    records.delete(recordKey(kind, hash));
    return record;
  };
  /**
   * Writes a record and points its user at it. A record already under this hash is overwritten; the
   * pointer of its previous owner, if another user, is left dangling and ignored (every use checks that
   * the record belongs to the pointer's user), as in the Redis store.
   */
  const put = (hash: string, record: TokenRecord) => {
    records.set(recordKey(record.kind, hash), record);
    pointers.set(pointerKey(record.kind, record.userId), hash);
  };
  const get = (kind: AccountTokenKind, hash: string) => records.get(recordKey(kind, hash));
  const sweep = (nowMs: number) => {
    for (const [key, record] of records) if (forgotten(record, nowMs)) records.delete(key);
    for (const [key, hash] of pointers) {
      const at = key.indexOf('\u0000');
      const record = records.get(recordKey(key.slice(0, at) as AccountTokenKind, hash));
      if (record?.userId !== key.slice(at + 1)) pointers.delete(key);
    }
  };
  return { get, put, remove, takeOutstanding, sweep };
}

/** Cooldown deadlines and mail records with their expiry. */
function bookkeepingTable() {
  const cooldowns = new Map<string, number>();
  const mails = new Map<string, { readonly record: MailRecord; readonly expiresAtMs: number }>();
  const sweep = (nowMs: number) => {
    for (const [key, untilMs] of cooldowns) if (untilMs <= nowMs) cooldowns.delete(key);
    for (const [key, entry] of mails) if (entry.expiresAtMs <= nowMs) mails.delete(key);
  };
  return { cooldowns, mails, sweep };
}

/**
 * Creates an in-memory {@link AccountsStore}. One process only: tokens, cooldowns and mail records live
 * in this process and are lost on restart.
 *
 * @example
 * ```ts
 * const store = createMemoryAccountsStore();
 * const { acquired } = await store.acquireCooldown({ key: 'reset:ada@example.com', cooldownMs: 60_000 });
 * ```
 */
export function createMemoryAccountsStore(options: MemoryAccountsStoreOptions = {}): AccountsStore {
  const { clock } = parseOptions(options);
  const nowMs = () => Math.floor(clock.now());
  const tokens = tokenTable();
  const book = bookkeepingTable();
  let writes = 0;
  const written = () => {
    writes += 1;
    if (writes % SWEEP_EVERY_WRITES !== 0) return;
    tokens.sweep(nowMs());
    book.sweep(nowMs());
  };
  const lookup = (kind: AccountTokenKind, hash: string, now: number, consume: boolean): TokenLookup => {
    const record = tokens.get(kind, hash);
    if (record === undefined) return { status: 'missing' };
    // A find is read-only: a forgotten record reads as missing and is left to the sweep.
    if (consume) tokens.remove(kind, hash);
    if (forgotten(record, now)) return { status: 'missing' };
    return { status: now >= record.expiresAtMs ? 'expired' : 'valid', record };
  };

  return {
    kind: 'memory',
    async issueToken(request) {
      const { kind, tokenHash, binding, ttlMs, payload } = checkIssue(request);
      const now = nowMs();
      const old = tokens.takeOutstanding(kind, binding.userId);
      const replaced = old !== undefined && now < old.expiresAtMs;
      const record: TokenRecord = Object.freeze({
        kind,
        ...binding,
        issuedAtMs: now,
        expiresAtMs: now + ttlMs,
        ...(payload === undefined ? {} : { payload }),
      });
      tokens.put(tokenHash, record);
      written();
      return { record, replaced };
    },
    async findToken(request) {
      const { kind, tokenHash } = checkLookup(request);
      return lookup(kind, tokenHash, nowMs(), false);
    },
    async consumeToken(request) {
      const { kind, tokenHash } = checkLookup(request);
      return lookup(kind, tokenHash, nowMs(), true);
    },
    async revokeTokens(request) {
      const { userId, kinds } = checkRevoke(request);
      const now = nowMs();
      let count = 0;
      for (const kind of kinds) {
        const record = tokens.takeOutstanding(kind, userId);
        if (record !== undefined && now < record.expiresAtMs) count += 1;
      }
      return count;
    },
    async acquireCooldown(request) {
      const { key, cooldownMs } = checkCooldown(request);
      const now = nowMs();
      const untilMs = book.cooldowns.get(key);
      if (untilMs !== undefined && untilMs > now) return { acquired: false, retryAfterMs: untilMs - now };
      book.cooldowns.set(key, now + cooldownMs);
      written();
      return { acquired: true, retryAfterMs: 0 };
    },
    async putMail(request) {
      const { fields, ttlMs } = checkPutMail(request);
      const now = nowMs();
      const record: MailRecord = Object.freeze({ ...fields, updatedAtMs: now });
      book.mails.set(fields.requestId, { record, expiresAtMs: now + ttlMs });
      written();
    },
    async getMail(requestId) {
      const id = checkRequestId(requestId);
      const entry = book.mails.get(id);
      if (entry === undefined) return undefined;
      if (entry.expiresAtMs > nowMs()) return entry.record;
      book.mails.delete(id);
      return undefined;
    },
  };
}
