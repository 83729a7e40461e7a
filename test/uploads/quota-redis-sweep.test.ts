/**
 * The sweep index under concurrency: reserves (owner script, then index entry) interleaved with sweeps
 * (index, owner, index) from two connections must neither lose a reservation from the index nor return
 * one twice.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { runScript } from '../../src/core/redis/script.js';
import { seededRandom } from '../../src/testing/index.js';
import { createRedisQuotaStore } from '../../src/uploads/redis.js';
import { indexDueScript, indexFixScript } from '../../src/uploads/redis-quota-index.js';
import { sweepOwnerScript } from '../../src/uploads/redis-quota-lua.js';
import { redisQuotaKeys } from '../../src/uploads/redis-quota-store.js';
import type { Reservation } from '../../src/uploads/types.js';
import { connectRedis, deleteByPrefix, noRedis, randomPrefix } from '../support/redis.js';

const START_MS = Date.UTC(2026, 0, 1);

describe.skipIf(noRedis)('redis quota sweep index', () => {
  const clients = noRedis ? [] : [connectRedis(), connectRedis()];
  const prefix = randomPrefix('quota-sweep');
  afterAll(async () => {
    if (!clients[0]) return;
    await deleteByPrefix(clients[0], prefix);
    for (const c of clients) c.disconnect();
  });

  it('concurrent reserves and sweeps: every reservation is swept exactly once', async () => {
    const [a, b] = clients.map((client) => createRedisQuotaStore({ client: client!, prefix })) as [
      ReturnType<typeof createRedisQuotaStore>,
      ReturnType<typeof createRedisQuotaStore>,
    ];
    const random = seededRandom(99);
    const owners = ['x', 'y', '{z}'];
    const swept: Reservation[] = [];
    const reserved: string[] = [];
    const work: Promise<unknown>[] = [];
    for (let i = 0; i < 300; i++) {
      const owner = random.pick(owners);
      const store = i % 2 ? a : b;
      reserved.push(`${owner}/r${i}`);
      work.push(
        store
          .reserve({
            owner,
            uploadId: `r${i}`,
            bytes: 1,
            limitBytes: 1_000_000,
            ttlMs: random.int(1, 60),
            // One reserve instant: a later one would drop the owner's expired reservations lazily.
            nowMs: START_MS,
            state: '',
          })
          .then((r) => expect(r.ok).toBe(true)),
      );
      if (i % 10 === 0) {
        const sweeper = i % 20 ? a : b;
        work.push(sweeper.sweepExpired(START_MS + i / 5, random.int(1, 20)).then((r) => swept.push(...r)));
      }
    }
    await Promise.all(work);
    swept.push(...(await a.sweepExpired(START_MS + 10_000, 10_000)));
    const ids = swept.map((r) => `${r.owner}/${r.uploadId}`);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual([...reserved].sort());
    for (const owner of owners) {
      expect(await a.usage(owner, START_MS + 10_000)).toEqual({ usedBytes: 0, reservedBytes: 0 });
    }
  });

  it("a reserve between a sweep's owner step and its index step keeps its index entry (step by step)", async () => {
    const client = clients[0]!;
    const p = `${prefix}-steps`;
    const store = createRedisQuotaStore({ client, prefix: p });
    const keys = redisQuotaKeys(p);
    const input = { owner: 'o', bytes: 1, limitBytes: 100, nowMs: START_MS, state: 's' };
    expect((await store.reserve({ ...input, uploadId: 'r1', ttlMs: 10 })).ok).toBe(true);
    // A sweep at +20 reads the index and sweeps the owner: r1 goes, nothing is left, version 1...
    expect(await runScript(client, indexDueScript, keys.index, [START_MS + 20, 10])).toEqual(['o']);
    const { head } = await runScript(client, sweepOwnerScript, keys.owner('o'), [START_MS + 20, 10]);
    expect(head).toEqual([1, -1, 1]);
    // ...then, before it fixes the index, a reserve lands and indexes itself...
    expect((await store.reserve({ ...input, uploadId: 'r2', ttlMs: 100 })).ok).toBe(true);
    // ...and the late index step must not remove the owner on the strength of what it saw.
    await runScript(client, indexFixScript, keys.index, ['o', head[0], head[1]]);
    const swept = await store.sweepExpired(START_MS + 1000, 10);
    expect(swept.map((r) => r.uploadId)).toEqual(['r2']);
    expect(await client.zcard(keys.index[0])).toBe(0);
  });
});
