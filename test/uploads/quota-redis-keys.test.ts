/**
 * The Redis quota store's keys: which ones carry a TTL after a run (all but the ledgers), and what the
 * loss of any single key (an eviction, a stray DEL) does to admission.
 */
import type { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/core/manual-clock.js';
import { createRedisQuotaStore, QUOTA_KEY_GRACE_MS } from '../../src/uploads/redis.js';
import type { QuotaStore } from '../../src/uploads/types.js';
import { connectRedis, deleteByPrefix, noRedis, randomPrefix } from '../support/redis.js';

const START_MS = Date.UTC(2026, 0, 1);
const TTL_MS = 60_000;

async function keysOf(client: Redis, prefix: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    found.push(...keys);
  } while (cursor !== '0');
  return found.sort();
}

/** The last segment of a key: `ledger`, `exp`, `res`, `gone`, `idx` or `ver`. */
const kind = (key: string) => key.slice(key.lastIndexOf(':') + 1);

describe.skipIf(noRedis)('redis quota store keys', () => {
  const client = noRedis ? undefined : connectRedis();
  const base = randomPrefix('quota-keys');
  let n = 0;
  const fresh = () => {
    const prefix = `${base}-${n++}`;
    return { prefix, store: createRedisQuotaStore({ client: client!, prefix }) };
  };
  afterAll(async () => {
    if (!client) return;
    await deleteByPrefix(client, base);
    expect(await keysOf(client, base)).toEqual([]);
    client.disconnect();
  });

  it('after a run, every key has a TTL except one ledger per owner that ever reserved', async () => {
    const { prefix, store } = fresh();
    const clock = createManualClock(START_MS);
    const owners = ['a', '{b}', 'c:\n', 'idle-after-settle'];
    for (const [i, owner] of owners.entries()) {
      for (let j = 0; j < 4; j++) {
        const ttlMs = TTL_MS * (j + 1);
        const r = { owner, uploadId: `u${j}`, bytes: 10, limitBytes: 1000, ttlMs, nowMs: clock.now() };
        expect((await store.reserve({ ...r, state: `${i}/${j}` })).ok).toBe(true);
      }
    }
    await store.settle('a', 'u0', 5, clock.now());
    await store.release('a', 'u1', clock.now());
    for (let j = 0; j < 4; j++) await store.settle('idle-after-settle', `u${j}`, 1, clock.now());
    clock.advance(TTL_MS * 2);
    await store.sweepExpired(clock.now(), 3);
    clock.advance(TTL_MS);
    // u2 of `c:\n` expired after the sweep: this call drops it lazily into `gone`, for the next sweep.
    await store.usage('c:\n', clock.now());
    await store.free('a', 'u0');

    const keys = await keysOf(client!, prefix);
    const persistent: string[] = [];
    for (const key of keys) {
      const ttl = await client!.pttl(key);
      if (ttl === -1) persistent.push(key);
      else {
        expect(ttl, key).toBeGreaterThan(0);
        expect(ttl, key).toBeLessThanOrEqual(4 * TTL_MS + QUOTA_KEY_GRACE_MS);
      }
    }
    expect(persistent.map(kind)).toEqual(['ledger', 'ledger', 'ledger', 'ledger']);
    expect(new Set(keys.filter((k) => !persistent.includes(k)).map(kind))).toEqual(
      new Set(['exp', 'res', 'gone', 'idx', 'ver']),
    );
    // The owner with nothing reserved any more keeps its ledger only; one owner has a `gone` key.
    expect(keys.length).toBe(4 + 3 * 2 + 1 + 2);
    // The ledgers hold one field per stored file: `a` freed its one, `idle-after-settle` keeps four.
    const fileFields = async (key: string) =>
      (await client!.hkeys(key)).filter((f) => f.startsWith('f:')).sort();
    const ledgers = await Promise.all(persistent.map(fileFields));
    expect(ledgers.flat().sort()).toEqual(['f:u0', 'f:u1', 'f:u2', 'f:u3']);
    const gone = keys.find((k) => kind(k) === 'gone')!;
    expect(await client!.hkeys(gone)).toEqual(['u2']);
    const swept = await store.sweepExpired(clock.now(), 100);
    expect(swept.map((r) => `${r.owner}/${r.uploadId}`)).toContain('c:\n/u2');
    expect(await client!.exists(gone)).toBe(0);
  });

  it('a lazy drop gives `gone` the TTL `exp` had left (so it lives as long as the index entry)', async () => {
    const { prefix, store } = fresh();
    const clock = createManualClock(START_MS);
    const r = { owner: 'g', bytes: 1, limitBytes: 100, nowMs: clock.now(), state: '' };
    await store.reserve({ ...r, uploadId: 'short', ttlMs: TTL_MS });
    await store.reserve({ ...r, uploadId: 'long', ttlMs: 10 * TTL_MS });
    clock.advance(TTL_MS);
    await store.usage('g', clock.now());
    const keys = await keysOf(client!, prefix);
    const ttlOf = (k: string) => client!.pttl(keys.find((key) => kind(key) === k)!);
    // Read in this order on one connection: `gone` last, so its value is never the larger by a clock tick.
    const [exp, idx, gone] = await Promise.all([ttlOf('exp'), ttlOf('idx'), ttlOf('gone')]);
    expect(gone).toBeGreaterThan(10 * TTL_MS);
    expect(gone).toBeLessThanOrEqual(exp);
    expect(gone).toBeLessThanOrEqual(idx);
  });

  /** Owner `v`: 40 stored, two live reservations of 30, limit 100: full. Returns the store and its keys. */
  async function fullOwner(clock: ReturnType<typeof createManualClock>) {
    const { prefix, store } = fresh();
    const r = { owner: 'v', limitBytes: 100, ttlMs: TTL_MS, state: 's' };
    await store.reserve({ ...r, uploadId: 'stored', bytes: 40, nowMs: clock.now() });
    await store.settle('v', 'stored', 40, clock.now());
    await store.reserve({ ...r, uploadId: 'p1', bytes: 30, nowMs: clock.now() });
    await store.reserve({ ...r, uploadId: 'p2', bytes: 30, nowMs: clock.now() });
    const keys = await keysOf(client!, prefix);
    const keyOf = (k: string) => keys.find((key) => kind(key) === k)!;
    return { store, keyOf };
  }
  const reserve = (store: QuotaStore, uploadId: string, bytes: number, nowMs: number) =>
    store.reserve({ owner: 'v', uploadId, bytes, limitBytes: 100, ttlMs: TTL_MS, nowMs, state: '' });

  for (const lost of ['exp', 'res', 'idx', 'ver'] as const) {
    it(`losing the "${lost}" key alone admits nothing over the limit`, async () => {
      const clock = createManualClock(START_MS);
      const { store, keyOf } = await fullOwner(clock);
      expect(await client!.del(keyOf(lost))).toBe(1);
      expect((await reserve(store, 'x', 1, clock.now())).ok).toBe(false);
      expect(await store.usage('v', clock.now())).toEqual({ usedBytes: 40, reservedBytes: 60 });
      clock.advance(TTL_MS);
      // Expired, the two reservations free their bytes whatever key was lost.
      expect(await store.usage('v', clock.now())).toEqual({ usedBytes: 40, reservedBytes: 0 });
      expect((await reserve(store, 'y', 60, clock.now())).ok).toBe(true);
      expect((await reserve(store, 'z', 1, clock.now())).ok).toBe(false);
    });
  }

  it('losing "exp" is healed from "res": the reservations stay readable and settle', async () => {
    const clock = createManualClock(START_MS);
    const { store, keyOf } = await fullOwner(clock);
    await client!.del(keyOf('exp'));
    expect((await store.get('v', 'p1', clock.now()))?.bytes).toBe(30);
    expect(await store.settle('v', 'p1', 30, clock.now())).toBe(true);
    expect(await client!.pttl(keyOf('exp'))).toBeGreaterThan(0);
    clock.advance(TTL_MS);
    expect((await store.sweepExpired(clock.now(), 10)).map((r) => r.uploadId)).toEqual(['p2']);
  });

  it('losing "res" keeps the bytes held until expiry, but the reservations can no longer be read or settled', async () => {
    const clock = createManualClock(START_MS);
    const { store, keyOf } = await fullOwner(clock);
    await client!.del(keyOf('res'));
    expect(await store.get('v', 'p1', clock.now())).toBeUndefined();
    expect(await store.settle('v', 'p1', 30, clock.now())).toBe(false);
    expect(await store.release('v', 'p2', clock.now())).toBe(false);
    expect(await store.usage('v', clock.now())).toEqual({ usedBytes: 40, reservedBytes: 60 });
    clock.advance(TTL_MS);
    expect(await store.sweepExpired(clock.now(), 10)).toEqual([]); // their state is gone: nothing to return
    expect(await store.usage('v', clock.now())).toEqual({ usedBytes: 40, reservedBytes: 0 });
  });

  it('losing "idx" hides the reservations from the sweep; they still expire and free their bytes', async () => {
    const clock = createManualClock(START_MS);
    const { store, keyOf } = await fullOwner(clock);
    await client!.del(keyOf('idx'));
    clock.advance(TTL_MS);
    expect(await store.sweepExpired(clock.now(), 10)).toEqual([]);
    expect(await store.usage('v', clock.now())).toEqual({ usedBytes: 40, reservedBytes: 0 });
  });

  it('losing the "ledger" forgets the stored bytes: the owner may store up to the limit again (documented: use noeviction)', async () => {
    const clock = createManualClock(START_MS);
    const { store, keyOf } = await fullOwner(clock);
    await client!.del(keyOf('ledger'));
    // The live reservations are rebuilt from their keys; only the 40 stored bytes are forgotten.
    expect(await store.usage('v', clock.now())).toEqual({ usedBytes: 0, reservedBytes: 60 });
    expect((await reserve(store, 'x', 40, clock.now())).ok).toBe(true);
    expect((await reserve(store, 'y', 1, clock.now())).ok).toBe(false);
    // 40 stored + 60 held + 40 newly admitted: 140 of a 100-byte limit once everything settles.
    for (const id of ['p1', 'p2', 'x'])
      expect(await store.settle('v', id, id === 'x' ? 40 : 30, clock.now())).toBe(true);
    expect(await store.usage('v', clock.now())).toEqual({ usedBytes: 100, reservedBytes: 0 });
  });
});
