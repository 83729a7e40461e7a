/**
 * The Redis quota store when Redis fails for real: a private redis-server is killed (every method then
 * rejects with ERR_STORE, none hangs and none answers as if it had decided), then restarted without
 * persistence (the ledger is gone: documented), and a server without the store's scripts cached
 * (SCRIPT FLUSH) is served through the EVAL fallback.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/core/manual-clock.js';
import { createRedisQuotaStore } from '../../src/uploads/redis.js';
import { indexAddScript, indexFixScript } from '../../src/uploads/redis-quota-index.js';
import { sweepOwnerScript } from '../../src/uploads/redis-quota-lua.js';
import type { QuotaStore } from '../../src/uploads/types.js';
import { onPath, waitFor } from '../support/processes.js';
import { type PrivateRedis, startRedisServer } from '../support/redis-server.js';

const noServer = !onPath('redis-server');
const connect = (url: string) =>
  new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, retryStrategy: () => 50 });
const ready = (client: Redis) =>
  waitFor('redis client ready', async () => client.status === 'ready' && (await client.ping()) === 'PONG');

const storeError = { code: 'ERR_STORE' } as const;

describe.skipIf(noServer)('redis quota store: Redis killed and restarted', () => {
  let server: PrivateRedis;
  let client: Redis;
  let store: QuotaStore;
  const clock = createManualClock(Date.UTC(2026, 0, 1));
  const input = (uploadId: string, bytes: number) => ({
    owner: 'o',
    uploadId,
    bytes,
    limitBytes: 100,
    ttlMs: 60_000,
    nowMs: clock.now(),
    state: '{}',
  });

  beforeAll(async () => {
    server = await startRedisServer();
    client = connect(server.url);
    await ready(client);
    store = createRedisQuotaStore({ client, prefix: 'fail' });
  });
  afterAll(async () => {
    client?.disconnect();
    await server?.stop();
  });

  it('scripts flushed from the server are sent again (NOSCRIPT falls back to EVAL)', async () => {
    expect((await store.reserve(input('a', 10))).ok).toBe(true);
    await client.script('FLUSH');
    expect((await store.reserve(input('b', 10))).ok).toBe(true);
    expect(await store.usage('o', clock.now())).toEqual({ usedBytes: 0, reservedBytes: 20 });
  });

  it('a reserve whose index step fails is undone and reported, not left unsweepable', async () => {
    // The real server, with one failure injected into the second step of a reserve.
    let failures = 1;
    const flaky = {
      evalsha: (sha1: string, keys: number, ...rest: (string | number)[]) =>
        sha1 === indexAddScript.sha1 && failures-- > 0
          ? Promise.reject(new Error('injected: connection reset'))
          : client.evalsha(sha1, keys, ...rest),
      eval: (source: string, keys: number, ...rest: (string | number)[]) =>
        client.eval(source, keys, ...rest),
    };
    const other = createRedisQuotaStore({ client: flaky, prefix: 'flaky' });
    await expect(other.reserve({ ...input('f', 10), owner: 'p' })).rejects.toMatchObject(storeError);
    expect(await other.get('p', 'f', clock.now())).toBeUndefined();
    expect(await other.usage('p', clock.now())).toEqual({ usedBytes: 0, reservedBytes: 0 });
    expect((await other.reserve({ ...input('f', 10), owner: 'p' })).ok).toBe(true);
  });

  it('a sweep that fails midway returns what it already dropped; the rest is found by the next sweep', async () => {
    // Fail the first index fix and the second owner's sweep script, once each.
    const fail = new Map([
      [indexFixScript.sha1, 1],
      [sweepOwnerScript.sha1, 0],
    ]);
    const flaky = {
      evalsha: (sha1: string, keys: number, ...rest: (string | number)[]) => {
        const left = fail.get(sha1);
        if (left !== undefined) {
          fail.set(sha1, left - 1);
          if (left === 1) return Promise.reject(new Error('injected: connection reset'));
        }
        return client.evalsha(sha1, keys, ...rest);
      },
      eval: (source: string, keys: number, ...rest: (string | number)[]) =>
        client.eval(source, keys, ...rest),
    };
    const other = createRedisQuotaStore({ client: flaky, prefix: 'flaky-sweep' });
    for (const owner of ['s1', 's2', 's3']) {
      expect((await other.reserve({ ...input('x', 1), owner, ttlMs: 10 })).ok).toBe(true);
    }
    fail.set(sweepOwnerScript.sha1, 2); // the first visit passes, the second fails
    const later = clock.now() + 1000;
    const first = await other.sweepExpired(later, 100);
    expect(first).toHaveLength(1);
    const second = await other.sweepExpired(later, 100);
    expect([...first, ...second].map((r) => r.owner).sort()).toEqual(['s1', 's2', 's3']);
    expect(await other.sweepExpired(later, 100)).toEqual([]);
  });

  it('every method rejects with ERR_STORE while Redis is down', async () => {
    await store.settle('o', 'a', 10, clock.now());
    await server.kill();
    const now = clock.now();
    await expect(store.reserve(input('c', 1))).rejects.toMatchObject(storeError);
    await expect(store.get('o', 'b', now)).rejects.toMatchObject(storeError);
    await expect(store.settle('o', 'b', 1, now)).rejects.toMatchObject(storeError);
    await expect(store.release('o', 'b', now)).rejects.toMatchObject(storeError);
    await expect(store.free('o', 'a')).rejects.toMatchObject(storeError);
    await expect(store.usage('o', now)).rejects.toMatchObject(storeError);
    await expect(store.sweepExpired(now, 10)).rejects.toMatchObject(storeError);
    // Bad arguments are still refused as such, before any round trip.
    await expect(store.usage('', now)).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
  });

  it('after a restart without persistence the store works again, with an empty ledger (documented)', async () => {
    await server.restart();
    await ready(client);
    expect(await store.usage('o', clock.now())).toEqual({ usedBytes: 0, reservedBytes: 0 });
    expect((await store.reserve(input('d', 100))).ok).toBe(true);
    expect((await store.reserve(input('e', 1))).ok).toBe(false);
  });
});
