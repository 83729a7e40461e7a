/**
 * The in-memory {@link QuotaStore}: one process, exact semantics, time only from the `nowMs` arguments.
 * It is the reference the Redis store is tested against (contract and differential), so every rule of
 * the port lives here in plain code:
 *
 * - a reservation is live while `nowMs < expiresAtMs`; from `expiresAtMs` on it counts for nothing;
 * - every call on an owner that carries `nowMs` first drops that owner's expired reservations (so an
 *   expired id may be reserved again, and `sweepExpired` no longer returns what was dropped lazily);
 * - `free` has no `nowMs`: its `reservedBytes` counts the reservations not dropped yet;
 * - `sweepExpired` takes the earliest expiries first (ties: owner, then upload id).
 */
import {
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

interface Ledger {
  usedBytes: number;
  reservedBytes: number;
  readonly held: Map<string, Held>;
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
      found = { usedBytes: 0, reservedBytes: 0, held: new Map() };
      ledgers.set(owner, found);
    }
    return found;
  };
  /** Reads the usage and forgets an owner with nothing used or held, so idle owners cost no memory. */
  const usageOf = (owner: string, l: Ledger): QuotaUsage => {
    forgetIfIdle(owner, l);
    return { usedBytes: l.usedBytes, reservedBytes: l.reservedBytes };
  };
  const drop = (l: Ledger, uploadId: string, held: Held) => {
    l.held.delete(uploadId);
    l.reservedBytes -= held.bytes;
  };
  /** Drops the owner's expired reservations (the lazy expiry every call with a `nowMs` performs). */
  const prepare = (owner: string, nowMs: number): Ledger => {
    const l = ledger(owner);
    for (const [uploadId, held] of l.held) if (held.expiresAtMs <= nowMs) drop(l, uploadId, held);
    return l;
  };
  const live = (owner: string, uploadId: string, nowMs: number) => {
    checkOwner(owner);
    checkUploadId(uploadId);
    const l = prepare(owner, checkNow(nowMs));
    return { l, held: l.held.get(uploadId) };
  };
  const forgetIfIdle = (owner: string, l: Ledger) => {
    if (l.usedBytes === 0 && l.held.size === 0) ledgers.delete(owner);
  };

  return {
    async reserve(input: ReserveInput): Promise<ReserveResult> {
      checkReserve(input);
      const l = prepare(input.owner, input.nowMs);
      if (l.held.has(input.uploadId))
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
      return { ok: true, usage: usageOf(input.owner, l) };
    },
    async get(owner, uploadId, nowMs) {
      const { l, held } = live(owner, uploadId, nowMs);
      forgetIfIdle(owner, l);
      if (!held) return undefined;
      return Object.freeze({ owner, uploadId, ...held });
    },
    async settle(owner, uploadId, actualBytes, nowMs) {
      checkBytes('actualBytes', actualBytes);
      const { l, held } = live(owner, uploadId, nowMs);
      if (held && actualBytes > held.bytes) throw settleTooLarge(actualBytes, held.bytes);
      if (held) {
        drop(l, uploadId, held);
        l.usedBytes += actualBytes;
      }
      forgetIfIdle(owner, l);
      return held !== undefined;
    },
    async release(owner, uploadId, nowMs) {
      const { l, held } = live(owner, uploadId, nowMs);
      if (held) drop(l, uploadId, held);
      forgetIfIdle(owner, l);
      return held !== undefined;
    },
    async free(owner, bytes) {
      checkOwner(owner);
      checkBytes('bytes', bytes);
      const l = ledger(owner);
      l.usedBytes = Math.max(0, l.usedBytes - bytes);
      return usageOf(owner, l);
    },
    async usage(owner, nowMs) {
      checkOwner(owner);
      return usageOf(owner, prepare(owner, checkNow(nowMs)));
    },
    async sweepExpired(nowMs, limit) {
      checkNow(nowMs);
      checkSweepLimit(limit);
      const expired: Reservation[] = [];
      for (const [owner, l] of ledgers) {
        for (const [uploadId, held] of l.held) {
          if (held.expiresAtMs <= nowMs) expired.push(Object.freeze({ owner, uploadId, ...held }));
        }
      }
      expired.sort(
        (a, b) =>
          a.expiresAtMs - b.expiresAtMs ||
          (a.owner < b.owner ? -1 : a.owner > b.owner ? 1 : 0) ||
          (a.uploadId < b.uploadId ? -1 : a.uploadId > b.uploadId ? 1 : 0),
      );
      const taken = expired.slice(0, limit);
      for (const r of taken) {
        const l = ledger(r.owner);
        const held = l.held.get(r.uploadId);
        if (held) drop(l, r.uploadId, held);
        forgetIfIdle(r.owner, l);
      }
      return taken;
    },
  };
}
