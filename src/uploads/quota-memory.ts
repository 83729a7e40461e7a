/**
 * The in-memory {@link QuotaStore}: one process, exact semantics, time only from the `nowMs` arguments.
 * It is the reference the Redis store is tested against (contract and differential), so every rule of
 * the port lives here in plain code:
 *
 * - a reservation is live while `nowMs < expiresAtMs`; from `expiresAtMs` on it counts for nothing;
 * - every call on an owner that carries `nowMs` first drops that owner's expired reservations: they stop
 *   counting and move to the owner's `gone` list, which `sweepExpired` returns (once) and empties, so the
 *   sweeper still cleans what a lazily dropped upload left behind; an expired id may be reserved again
 *   (its `gone` entry is then forgotten: the new reservation owns the same objects);
 * - `settle` records the file's bytes (and its attempt id, if given) under its upload id (one record
 *   per stored file, kept until `free`); a settle of a gone reservation whose record carries the same
 *   attempt id answers true and changes nothing; `free(owner, uploadId)` removes that record and
 *   subtracts what it held, once; an id with a record cannot be reserved again (`duplicate`), so a
 *   sweep never returns the id of a stored file;
 * - `free` has no `nowMs`: its `reservedBytes` counts the reservations not dropped yet;
 * - memory: an owner costs nothing once idle; each stored file keeps one map entry until freed;
 * - `sweepExpired` takes the earliest expiries first (ties: owner, then upload id).
 */
import {
  checkAttemptId,
  checkBytes,
  checkNow,
  checkOwner,
  checkReserve,
  checkSweepLimit,
  checkUploadId,
  settleTooLarge,
} from './quota-args.js';
import type { QuotaStore, QuotaUsage, Reservation, ReserveInput, ReserveResult } from './types.js';

interface Held {
  readonly bytes: number;
  readonly expiresAtMs: number;
  readonly state: string;
}

/** What a settle recorded of one stored file. */
interface StoredRecord {
  readonly bytes: number;
  readonly attemptId: string | undefined;
}

interface Ledger {
  usedBytes: number;
  reservedBytes: number;
  readonly held: Map<string, Held>;
  /** Expired reservations dropped lazily, not yet returned by a sweep (they count for nothing). */
  readonly gone: Map<string, Held>;
  /** Stored files: upload id -> the bytes its settle added to `usedBytes` and its attempt id, if any. */
  readonly files: Map<string, StoredRecord>;
}

/** Every expired reservation (lazily dropped or not yet), earliest first (ties: owner, then upload id). */
function expiredOf(ledgers: ReadonlyMap<string, Ledger>, nowMs: number): Reservation[] {
  const expired: Reservation[] = [];
  for (const [owner, l] of ledgers) {
    for (const [uploadId, held] of l.gone) expired.push(Object.freeze({ owner, uploadId, ...held }));
    for (const [uploadId, held] of l.held) {
      if (held.expiresAtMs <= nowMs) expired.push(Object.freeze({ owner, uploadId, ...held }));
    }
  }
  return expired.sort(
    (a, b) =>
      a.expiresAtMs - b.expiresAtMs ||
      (a.owner < b.owner ? -1 : a.owner > b.owner ? 1 : 0) ||
      (a.uploadId < b.uploadId ? -1 : a.uploadId > b.uploadId ? 1 : 0),
  );
}

/**
 * Creates an in-memory quota store (per process: use `backend-patterns/uploads/redis` when several
 * processes admit uploads for the same owners).
 *
 * @example
 * ```ts
 * const quota = createMemoryQuotaStore();
 * const r = await quota.reserve({
 *   owner: 'user-1', uploadId: 'u1', bytes: 1024, limitBytes: 10_000_000,
 *   ttlMs: 900_000, nowMs: 1_767_225_600_000, state: '{}',
 * });
 * if (!r.ok) console.log(r.reason); // 'quota' | 'duplicate'
 * ```
 */
export function createMemoryQuotaStore(): QuotaStore {
  const ledgers = new Map<string, Ledger>();

  const ledger = (owner: string): Ledger => {
    let found = ledgers.get(owner);
    if (!found) {
      found = { usedBytes: 0, reservedBytes: 0, held: new Map(), gone: new Map(), files: new Map() };
      ledgers.set(owner, found);
    }
    return found;
  };
  /** Reads the usage and forgets an idle owner (nothing used, held, waiting for the sweep or stored). */
  const usageOf = (owner: string, l: Ledger): QuotaUsage => {
    forgetIfIdle(owner, l);
    return { usedBytes: l.usedBytes, reservedBytes: l.reservedBytes };
  };
  const drop = (l: Ledger, uploadId: string, held: Held) => {
    l.held.delete(uploadId);
    l.reservedBytes -= held.bytes;
  };
  /** Moves the owner's expired reservations to `gone`: the lazy expiry of every call with a `nowMs`. */
  const prepare = (owner: string, nowMs: number): Ledger => {
    const l = ledger(owner);
    for (const [uploadId, held] of l.held) {
      if (held.expiresAtMs > nowMs) continue;
      drop(l, uploadId, held);
      l.gone.set(uploadId, held);
    }
    return l;
  };
  const live = (owner: string, uploadId: string, nowMs: number) => {
    checkOwner(owner);
    checkUploadId(uploadId);
    const l = prepare(owner, checkNow(nowMs));
    return { l, held: l.held.get(uploadId) };
  };
  const forgetIfIdle = (owner: string, l: Ledger) => {
    if (l.usedBytes === 0 && l.held.size === 0 && l.gone.size === 0 && l.files.size === 0) {
      ledgers.delete(owner);
    }
  };

  return {
    async reserve(input: ReserveInput): Promise<ReserveResult> {
      checkReserve(input);
      const l = prepare(input.owner, input.nowMs);
      if (l.held.has(input.uploadId) || l.files.has(input.uploadId))
        return { ok: false, reason: 'duplicate', usage: usageOf(input.owner, l) };
      // Compared as a difference: every term is a safe integer, so no sum can round.
      if (input.bytes > input.limitBytes - l.usedBytes - l.reservedBytes) {
        return { ok: false, reason: 'quota', usage: usageOf(input.owner, l) };
      }
      l.held.set(input.uploadId, {
        bytes: input.bytes,
        expiresAtMs: input.nowMs + input.ttlMs,
        state: input.state,
      });
      l.reservedBytes += input.bytes;
      l.gone.delete(input.uploadId);
      return { ok: true, usage: usageOf(input.owner, l) };
    },
    async get(owner, uploadId, nowMs) {
      const { l, held } = live(owner, uploadId, nowMs);
      forgetIfIdle(owner, l);
      if (!held) return undefined;
      return Object.freeze({ owner, uploadId, ...held });
    },
    async settle(owner, uploadId, actualBytes, nowMs, attemptId) {
      checkBytes('actualBytes', actualBytes);
      checkAttemptId(attemptId);
      const { l, held } = live(owner, uploadId, nowMs);
      if (held && actualBytes > held.bytes) throw settleTooLarge(actualBytes, held.bytes);
      if (held) {
        drop(l, uploadId, held);
        l.usedBytes += actualBytes;
        l.files.set(uploadId, { bytes: actualBytes, attemptId });
      }
      // Gone, but our own earlier commit (same attempt): true again, nothing changes.
      const ours = !held && attemptId !== undefined && l.files.get(uploadId)?.attemptId === attemptId;
      forgetIfIdle(owner, l);
      return held !== undefined || ours;
    },
    async release(owner, uploadId, nowMs) {
      const { l, held } = live(owner, uploadId, nowMs);
      if (held) drop(l, uploadId, held);
      forgetIfIdle(owner, l);
      return held !== undefined;
    },
    async free(owner, uploadId) {
      checkOwner(owner);
      checkUploadId(uploadId);
      const l = ledger(owner);
      const file = l.files.get(uploadId);
      if (file !== undefined) {
        l.files.delete(uploadId);
        l.usedBytes = Math.max(0, l.usedBytes - file.bytes);
      }
      return usageOf(owner, l);
    },
    async usage(owner, nowMs) {
      checkOwner(owner);
      return usageOf(owner, prepare(owner, checkNow(nowMs)));
    },
    async sweepExpired(nowMs, limit) {
      checkNow(nowMs);
      checkSweepLimit(limit);
      const taken = expiredOf(ledgers, nowMs).slice(0, limit);
      for (const r of taken) {
        const l = ledger(r.owner);
        const held = l.held.get(r.uploadId);
        // An id is in `held` or in `gone`, never both (a reserve forgets its `gone` entry).
        if (held) drop(l, r.uploadId, held);
        else l.gone.delete(r.uploadId);
        forgetIfIdle(r.owner, l);
      }
      return taken;
    },
  };
}
