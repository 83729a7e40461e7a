/**
 * The card's failure mode, provoked for real: a private redis-server is killed mid-run and restarted, and
 * another runs with a tiny maxmemory to show what eviction does to limiter state.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRateLimiter, fixedWindow, type StoreErrorPolicy } from '../../src/ratelimit/index.js';
import { createRedisRateLimitStore } from '../../src/ratelimit/redis.js';
import { createMemoryMetrics } from '../../src/testing/index.js';
import { onPath, waitFor } from '../support/processes.js';
import { type PrivateRedis, startRedisServer } from '../support/redis-server.js';

const noServer = !onPath('redis-server');
const connect = (url: string) =>
  new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, retryStrategy: () => 50 });
const ready = (client: Redis) =>
  waitFor('redis client ready', async () => client.status === 'ready' && (await client.ping()) === 'PONG');

/** Generous deadline: these tests share a loaded machine; the failure tests kill the server instead. */
const PATIENT_MS = 5000;

describe.skipIf(noServer)('Redis stops mid-run and comes back', () => {
  let server: PrivateRedis;
  let client: Redis;
  beforeAll(async () => {
    server = await startRedisServer();
    client = connect(server.url);
    await ready(client);
  });
  afterAll(async () => {
    client?.disconnect();
    await server?.stop();
  });

  type Expected = { allowed: boolean; reason: string };
  const policies: [string, () => StoreErrorPolicy, (call: number) => Expected][] = [
    ['fail-open', () => 'fail-open', () => ({ allowed: true, reason: 'store-error' })],
    ['fail-closed', () => 'fail-closed', () => ({ allowed: false, reason: 'store-error' })],
    [
      'fallback',
      // The in-memory insurance limiter keeps limiting while Redis is away: 1 per minute here.
      () => ({
        fallback: createRateLimiter({
          storeTimeoutMs: PATIENT_MS,
          name: 'insurance',
          algorithm: fixedWindow({ limit: 1, windowMs: 60_000 }),
        }),
      }),
      (call) => (call === 0 ? { allowed: true, reason: 'ok' } : { allowed: false, reason: 'limit' }),
    ],
  ];

  for (const [label, onStoreError, whileDown] of policies) {
    it(`${label}: decides without Redis, counts the error, and returns to Redis when it is back`, async () => {
      const metrics = createMemoryMetrics();
      const limiter = createRateLimiter({
        storeTimeoutMs: PATIENT_MS,
        name: `failover-${label}`,
        algorithm: fixedWindow({ limit: 2, windowMs: 60_000 }),
        store: createRedisRateLimitStore({ client, prefix: 'fail' }),
        metrics,
        onStoreError: onStoreError(),
        storeRetryAfterMs: 100,
      });
      expect((await limiter.limit('k')).allowed).toBe(true);
      expect((await limiter.limit('k')).allowed).toBe(true);
      expect(await limiter.limit('k')).toMatchObject({ allowed: false, reason: 'limit', degraded: false });

      await server.kill();
      for (let i = 0; i < 5; i++) {
        expect(await limiter.limit('k')).toMatchObject({ ...whileDown(i), degraded: true });
      }
      expect(metrics.counterValue('ratelimit.requests', { outcome: 'error' })).toBe(5);
      expect(metrics.counterValue('ratelimit.requests', { outcome: 'rejected' })).toBe(1); // only the real one

      await server.restart();
      await ready(client);
      await new Promise((r) => setTimeout(r, 150)); // let the circuit's retry time pass
      // No persistence: the counter was lost with the crash, so the key starts fresh (documented).
      expect(await limiter.limit('k')).toMatchObject({
        allowed: true,
        reason: 'ok',
        degraded: false,
        remaining: 1,
      });
    });
  }
});

describe.skipIf(noServer)('Redis evicts limiter keys under memory pressure', () => {
  const fill = async (client: Redis, until: () => Promise<boolean>) => {
    const blob = 'x'.repeat(10_000);
    for (let i = 0; i < 2000; i++) {
      try {
        await client.set(`junk:${i}`, blob);
      } catch {
        return; // noeviction: out of memory
      }
      if (i % 20 === 0 && (await until())) return;
    }
  };

  it('allkeys-lru: an evicted counter starts fresh, admitting more than the limit (documented)', async () => {
    const server = await startRedisServer({
      args: ['--maxmemory', '2mb', '--maxmemory-policy', 'allkeys-lru'],
    });
    const client = connect(server.url);
    try {
      await ready(client);
      const limiter = createRateLimiter({
        storeTimeoutMs: PATIENT_MS,
        name: 'evict',
        algorithm: fixedWindow({ limit: 1, windowMs: 600_000 }),
        store: createRedisRateLimitStore({ client, prefix: 'ev' }),
        onStoreError: 'fail-closed',
      });
      expect((await limiter.limit('victim')).allowed).toBe(true);
      expect((await limiter.limit('victim')).allowed).toBe(false);
      const stateKey = 'ev:rl:{evict:victim}:fw';
      expect(await client.exists(stateKey)).toBe(1);
      await fill(client, async () => (await client.exists(stateKey)) === 0);
      expect(await client.exists(stateKey)).toBe(0);
      expect(await limiter.limit('victim')).toMatchObject({ allowed: true, reason: 'ok' });
    } finally {
      client.disconnect();
      await server.stop();
    }
  });

  it('noeviction: writes fail with OOM, which the limiter reports as a store error, not as a limit', async () => {
    const server = await startRedisServer({
      args: ['--maxmemory', '2mb', '--maxmemory-policy', 'noeviction'],
    });
    const client = connect(server.url);
    try {
      await ready(client);
      const metrics = createMemoryMetrics();
      const limiter = createRateLimiter({
        storeTimeoutMs: PATIENT_MS,
        name: 'oom',
        algorithm: fixedWindow({ limit: 10, windowMs: 600_000 }),
        store: createRedisRateLimitStore({ client, prefix: 'oom' }),
        onStoreError: 'fail-closed',
        metrics,
      });
      await fill(client, async () => false);
      expect(await limiter.limit('new-key')).toMatchObject({ allowed: false, reason: 'store-error' });
      expect(metrics.counterValue('ratelimit.requests', { outcome: 'error' })).toBe(1);
      expect(metrics.counterValue('ratelimit.requests', { outcome: 'rejected' })).toBe(0);
    } finally {
      client.disconnect();
      await server.stop();
    }
  });
});
