/**
 * The Redis {@link QuotaStore}.
 *
 * ## Quota store semantics
 *
 * **Atomic.** Each method on one owner is one Lua script over that owner's four keys, so a reserve sees
 * every other reserve, settle and release of the owner in some order and 200 concurrent reserves never
 * exceed the limit. A reserve then indexes itself for the sweep with a second script (other slot), and
 * `sweepExpired` is a loop of scripts (index, owner, index): each step is atomic, the whole sweep is not.
 * Time is the caller's `nowMs`; Redis `TIME` is never read, so one clock decides (inject it in tests).
 *
 * **Key layout** (`<prefix>:up:` then): per owner, under the hash tag `{o:<22 chars of base64url
 * SHA-256 of the owner>}` (so no owner — braces, colons, newlines, 512 bytes of emoji — can shape a key):
 * `ledger` (hash: used, rsv, n, v, and `f:<uploadId>` -> bytes[:attemptId] per stored file), `exp` (zset
 * `<bytes>:<uploadId>` by expiry), `res` (hash uploadId -> expiry, bytes, state), `gone` (hash of
 * reservations dropped lazily, waiting for the sweep). The sweep index: `{sweep}:idx` (zset owner ->
 * earliest expiry, a lower bound) and `{sweep}:ver` (hash owner -> version). See redis-quota-lua.ts and
 * redis-quota-index.ts.
 *
 * **TTLs.** `exp`, `res`, `idx` and `ver` expire one hour after the newest reservation they hold would
 * (`QUOTA_KEY_GRACE_MS`); `gone` lives at least as long as `exp` had left when a lazy drop wrote to it
 * (so as long as the owner's index entry), else one hour; an expired reservation stops counting at its
 * expiry, not when a key goes. The `ledger` hash has no TTL: it is the ledger of stored bytes and lives
 * as long as the owner's files. It holds one field per stored file (`f:<uploadId>` -> `<bytes>`, or
 * `<bytes>:<attemptId>` when the settle carried one, as the policy's do), removed by `free`: measured
 * on Redis 7.0 with the policy's 26-character ids, about 41 bytes per file while the owner has at most
 * 128 (a listpack) and about 85 beyond (a hashtable); a 26-character attempt id adds about 36 bytes
 * per file in a listpack and about 40 beyond (100 and 1,000 files); budget it like the file table.
 * No script reads the whole ledger, so its size costs memory, not time.
 * Losing it (eviction, FLUSHALL, a failover without persistence) forgets the owner's used bytes and
 * file records (deleting an older file then frees nothing), so the owner may store up to the limit
 * again: run Redis with `maxmemory-policy noeviction` and persistence (AOF), or rebuild used bytes and
 * records from your file table. Losing `exp` or `res` alone is healed from the other (bytes still held
 * stay counted; a reservation whose `res` entry went can no longer be read, settled or released, and
 * frees its bytes at its expiry); losing both frees the reservations they held. Losing `gone` only
 * hides its reservations from the sweep (the age-based quarantine sweep finds their objects).
 *
 * Key TTLs count from Redis' own time and expiries from the caller's `nowMs`: keep the app servers'
 * clocks within the grace (one hour) of Redis', or reservation keys may go before their reservations.
 *
 * **What a crash leaves behind.** Between the reserve script and its index entry: a reservation the
 * sweep does not return (it still expires and stops counting; its quarantine object is left for the
 * policy's age-based quarantine sweep). Mid-sweep: reservations already dropped but not returned to the
 * caller (same: the age-based sweep finds their objects); index entries left low (revisited, fixed).
 * When Redis fails mid-sweep, the call returns what it had already dropped (a later call reports the
 * failure if it lasts); a failed index fix only leaves the entry low.
 *
 * **Sweeping.** Call `sweepExpired` periodically (the policy's `sweep` does). A reservation dropped
 * lazily (by any call on its owner after its expiry) stops counting at once and moves to `gone`; the
 * owner's index entry stays (its score is at most that expiry), so the next sweep visits the owner,
 * returns what `gone` holds once and empties it, as in memory. A reserve of the same id again forgets
 * its `gone` entry (the new reservation owns the same objects).
 *
 * **Errors.** Bad arguments: `ERR_INVALID_ARGUMENT` before any round trip (the same checks as the memory
 * store). Redis errors, a dead connection, an unexpected reply: `ERR_STORE` (the cause is kept).
 *
 * **Cluster.** Owner scripts run on the owner's slot; the two index keys share one slot, so every
 * reserve and sweep step touches that one node (a hot spot at very high reserve rates; the owner
 * scripts spread). Lua numbers are doubles: exact for integers up to 2^53, the largest bytes accepted.
 *
 * **Redis version.** 6.2 or later (`ZADD LT`); tested on 7.0. Scripts replicate by effects (the
 * default since 5.0), so the heal step's unordered table walk is safe on replicas.
 */
import { createHash } from 'node:crypto';
import { defineOptions, opt } from '../core/options.js';
import { createKeyspace } from '../core/redis/keys.js';
import { type RedisScript, type RedisScriptClient, runScript } from '../core/redis/script.js';
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
import { indexAddScript, indexDueScript, indexFixScript } from './redis-quota-index.js';
import {
  freeScript,
  getScript,
  releaseScript,
  reserveScript,
  settleScript,
  sweepOwnerScript,
  usageScript,
} from './redis-quota-lua.js';
import type { QuotaStore, QuotaUsage, Reservation } from './types.js';

/** Options of {@link createRedisQuotaStore}. */
export interface RedisQuotaStoreOptions {
  /** An ioredis `Redis` or `Cluster` (anything with `evalsha` and `eval`). */
  readonly client: RedisScriptClient;
  /** Key prefix, 1..64 of [A-Za-z0-9._:-]; keys start `<prefix>:up:`. Default `bp`. */
  readonly prefix?: string;
}

const parseOptions = defineOptions('createRedisQuotaStore', {
  client: opt.port<RedisScriptClient>(['evalsha', 'eval'], 'required'),
  prefix: opt.keyPrefix(),
});

/** Most owners one index read returns; a sweep reads again until its limit or the due owners run out. */
const DUE_BATCH = 100;
/** Index reads per sweep call at most (each skips owners already visited in this call). */
const MAX_SWEEP_ROUNDS = 8;

const ownerTag = (owner: string) =>
  `o:${createHash('sha256').update(owner).digest('base64url').slice(0, 22)}`;

/**
 * The store's key names under `prefix` (already validated): an owner's four keys in script order, and
 * the two index keys. Internal (tests of the index protocol use it); not part of the public entry.
 */
export function redisQuotaKeys(prefix: string) {
  const keys = createKeyspace(prefix, 'up');
  return {
    owner(owner: string): string[] {
      const tag = ownerTag(owner);
      return [keys.key(tag, 'ledger'), keys.key(tag, 'exp'), keys.key(tag, 'res'), keys.key(tag, 'gone')];
    },
    index: [keys.key('sweep', 'idx'), keys.key('sweep', 'ver')] as const,
  };
}

/**
 * Creates a Redis quota store. Several processes may share one; each method is atomic per owner.
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis';
 * import { createRedisQuotaStore } from 'backend-patterns/uploads/redis';
 * const quota = createRedisQuotaStore({ client: new Redis(process.env.REDIS_URL!), prefix: 'myapp' });
 * ```
 */
export function createRedisQuotaStore(options: RedisQuotaStoreOptions): QuotaStore {
  const o = parseOptions(options);
  const named = redisQuotaKeys(o.prefix);
  const ownerKeys = named.owner;
  const indexKeys = named.index;
  const run = <R>(script: RedisScript<R>, k: readonly string[], a: readonly (string | number)[]) =>
    runScript(o.client, script, k, a);
  const usageOf = (usedBytes: number, reservedBytes: number): QuotaUsage => ({ usedBytes, reservedBytes });

  async function sweepOne(owner: string, nowMs: number, limit: number) {
    const { head, rest } = await run(sweepOwnerScript, ownerKeys(owner), [nowMs, limit]);
    const [version, nextMs, dropped] = head;
    // A failed fix leaves the entry low: the next sweep visits the owner again and fixes it. Failing the
    // call here would lose the reservations this owner's script has already dropped.
    await run(indexFixScript, indexKeys, [owner, version, nextMs]).catch(() => undefined);
    const found: Reservation[] = [];
    for (let i = 0; i + 3 < rest.length; i += 4) {
      const [uploadId, expiresAtMs, bytes, state] = rest.slice(i, i + 4) as [string, string, string, string];
      found.push(
        Object.freeze({ owner, uploadId, bytes: Number(bytes), expiresAtMs: Number(expiresAtMs), state }),
      );
    }
    return { dropped, found };
  }

  /** Visits due owners, each once, until `limit` reservations are dropped or none is due. */
  async function sweepAll(nowMs: number, limit: number): Promise<Reservation[]> {
    const out: Reservation[] = [];
    const visited = new Set<string>();
    let remaining = limit;
    try {
      for (let round = 0; round < MAX_SWEEP_ROUNDS && remaining > 0; round++) {
        const due = await run(indexDueScript, indexKeys, [nowMs, visited.size + DUE_BATCH]);
        const fresh = due.filter((owner) => !visited.has(owner));
        if (fresh.length === 0) break;
        for (const owner of fresh) {
          if (remaining <= 0) break;
          visited.add(owner);
          const { dropped, found } = await sweepOne(owner, nowMs, remaining);
          remaining -= dropped;
          out.push(...found);
        }
      }
    } catch (error) {
      // What was dropped already is returned (its objects must go); a lasting failure shows on the next call.
      if (out.length === 0) throw error;
    }
    return out;
  }

  return {
    async reserve(input) {
      checkReserve(input);
      const { owner, uploadId, bytes, limitBytes, ttlMs, nowMs, state } = input;
      const [ok, reason, used, reserved, version, expiresAtMs] = await run(reserveScript, ownerKeys(owner), [
        nowMs,
        uploadId,
        bytes,
        limitBytes,
        ttlMs,
        state,
      ]);
      const usage = usageOf(used, reserved);
      if (!ok) return { ok: false, reason: reason === 'duplicate' ? 'duplicate' : 'quota', usage };
      try {
        await run(indexAddScript, indexKeys, [owner, expiresAtMs, version, ttlMs]);
      } catch (error) {
        // An unindexed reservation would never be swept: undo it (best effort) and report the failure.
        await run(releaseScript, ownerKeys(owner), [nowMs, uploadId]).catch(() => undefined);
        throw error;
      }
      return { ok: true, usage };
    },
    async get(owner, uploadId, nowMs) {
      checkOwner(owner);
      checkUploadId(uploadId);
      checkNow(nowMs);
      const [found, expiresAtMs, bytes, state] = await run(getScript, ownerKeys(owner), [nowMs, uploadId]);
      return found ? Object.freeze({ owner, uploadId, bytes, expiresAtMs, state }) : undefined;
    },
    async settle(owner, uploadId, actualBytes, nowMs, attemptId) {
      checkOwner(owner);
      checkUploadId(uploadId);
      checkBytes('actualBytes', actualBytes);
      checkNow(nowMs);
      // '' never matches a recorded attempt id (those are 1..128 characters).
      const args = [nowMs, uploadId, actualBytes, checkAttemptId(attemptId) ?? ''] as const;
      const [status, reserved] = await run(settleScript, ownerKeys(owner), args);
      if (status === -1) throw settleTooLarge(actualBytes, reserved);
      return status === 1;
    },
    async release(owner, uploadId, nowMs) {
      checkOwner(owner);
      checkUploadId(uploadId);
      checkNow(nowMs);
      return run(releaseScript, ownerKeys(owner), [nowMs, uploadId]);
    },
    async free(owner, uploadId) {
      checkOwner(owner);
      checkUploadId(uploadId);
      const [used, reserved] = await run(freeScript, ownerKeys(owner), [uploadId]);
      return usageOf(used, reserved);
    },
    async usage(owner, nowMs) {
      checkOwner(owner);
      checkNow(nowMs);
      const [used, reserved] = await run(usageScript, ownerKeys(owner), [nowMs]);
      return usageOf(used, reserved);
    },
    async sweepExpired(nowMs, limit) {
      checkNow(nowMs);
      checkSweepLimit(limit);
      return sweepAll(nowMs, limit);
    },
  };
}
