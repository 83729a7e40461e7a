/** What is specific to the Redis store: Redis time, TTLs on every key, one command per decision. */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createConcurrencyLimiter,
  createRateLimiter,
  fixedWindow,
  gcra,
  leakyBucket,
  slidingWindowCounter,
  slidingWindowLog,
  tokenBucket,
} from '../../src/ratelimit/index.js';
import { createRedisRateLimitStore } from '../../src/ratelimit/redis.js';
import { createManualClock } from '../../src/testing/index.js';
import { onPath } from '../support/processes.js';
import { connectRedis, deleteByPrefix, noRedis, randomPrefix } from '../support/redis.js';
import { startRedisServer } from '../support/redis-server.js';

/** These tests start their own server (MONITOR and INFO must not see other suites' traffic). */
const noServerBinary = !onPath('redis-server');

/** Generous deadline: these tests share a loaded machine; the failure tests kill the server instead. */
const PATIENT_MS = 5000;

describe.skipIf(noRedis)('redis store specifics', () => {
  let client: Redis;
  /** Every key matching `pattern`: SCAN pages through a shared server holding other suites' keys. */
  const scanAll = async (pattern: string) => {
    const found: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      found.push(...keys);
    } while (cursor !== '0');
    return found;
  };
  const prefix = randomPrefix('rl-redis');
  beforeAll(() => {
    client = connectRedis();
  });
  afterAll(async () => {
    await deleteByPrefix(client, prefix);
    client.disconnect();
  });

  it('decides on Redis time: app servers with drifting clocks share one limit', async () => {
    const store = createRedisRateLimitStore({ client, prefix });
    const algorithm = fixedWindow({ limit: 3, windowMs: 60_000 });
    const in2000 = createRateLimiter({
      storeTimeoutMs: PATIENT_MS,
      name: 'drift',
      algorithm,
      store,
      clock: createManualClock(Date.UTC(2000, 0, 1)),
    });
    const in2040 = createRateLimiter({
      storeTimeoutMs: PATIENT_MS,
      name: 'drift',
      algorithm,
      store,
      clock: createManualClock(Date.UTC(2040, 0, 1)),
    });
    const results = [
      await in2000.limit('k'),
      await in2040.limit('k'),
      await in2000.limit('k'),
      await in2040.limit('k'),
    ];
    expect(results.map((r) => r.allowed)).toEqual([true, true, true, false]);
    const now = Date.now();
    for (const r of results) {
      expect(r.resetAtMs).toBeGreaterThan(now - 5_000);
      expect(r.resetAtMs).toBeLessThanOrEqual(now + 65_000);
    }
  });

  it('every key written carries a TTL (no key can lock a client out forever)', async () => {
    const keyPrefix = `${prefix}-ttl`;
    const store = createRedisRateLimitStore({ client, prefix: keyPrefix });
    const algorithms = [
      fixedWindow({ limit: 1, windowMs: 60_000 }),
      slidingWindowLog({ limit: 1, windowMs: 60_000 }),
      slidingWindowCounter({ limit: 1, windowMs: 60_000 }),
      tokenBucket({ capacity: 1, refillTokens: 1, refillIntervalMs: 60_000 }),
      gcra({ limit: 1, periodMs: 60_000 }),
      leakyBucket({ capacity: 1, leakPerSecond: 1 }),
    ];
    for (const algorithm of algorithms) {
      const limiter = createRateLimiter({
        storeTimeoutMs: PATIENT_MS,
        name: `ttl-${algorithm.kind}`,
        store,
        policies: [{ name: 'p', algorithm, blockDurationMs: 30_000 }],
      });
      await limiter.limit('k');
      await limiter.limit('k'); // denied: writes the block key
    }
    const lease = await createConcurrencyLimiter({
      storeTimeoutMs: PATIENT_MS,
      name: 'ttl-conc',
      limit: 1,
      leaseMs: 60_000,
      store,
    }).acquire('k');
    expect(lease.allowed).toBe(true);
    const keys = await scanAll(`${keyPrefix}:*`);
    expect(keys.length).toBeGreaterThanOrEqual(6 * 2 + 1);
    for (const key of keys) {
      const ttl = await client.pttl(key);
      expect(ttl, key).toBeGreaterThan(0);
      expect(ttl, key).toBeLessThanOrEqual(2 * 60_000 + 1000); // the sliding counter keeps two windows
    }
  });

  it('keys of one decision share a hash tag: per key for one dimension, per limiter across dimensions', async () => {
    const keyPrefix = `${prefix}-tag`;
    const store = createRedisRateLimitStore({ client, prefix: keyPrefix });
    const algorithm = fixedWindow({ limit: 5, windowMs: 60_000 });
    await createRateLimiter({ storeTimeoutMs: PATIENT_MS, name: 'one', algorithm, store }).limit('user-1');
    await createRateLimiter({
      storeTimeoutMs: PATIENT_MS,
      name: 'two',
      store,
      policies: [
        { name: 'user', algorithm },
        { name: 'all', by: 'global', algorithm },
      ],
    }).limit('user-1');
    await createRateLimiter({
      storeTimeoutMs: PATIENT_MS,
      name: 'three',
      store,
      policies: [
        { name: 'three', algorithm },
        { name: 'burst', algorithm: slidingWindowLog({ limit: 5, windowMs: 1000 }), blockDurationMs: 10 },
      ],
    }).limit('user-1');
    const keys = await scanAll(`${keyPrefix}:*`);
    // Short keys: neither the key nor the limiter's own policy name is repeated after the hash tag.
    expect(keys.sort()).toEqual([
      `${keyPrefix}:rl:{one:user-1}:fw`,
      `${keyPrefix}:rl:{three:user-1}:burst:log`,
      `${keyPrefix}:rl:{three:user-1}:burst:n`,
      `${keyPrefix}:rl:{three:user-1}:fw`,
      `${keyPrefix}:rl:{two}:all:*:fw`,
      `${keyPrefix}:rl:{two}:user:user-1:fw`,
    ]);
  });

  it.skipIf(noServerBinary)(
    'one decision over two policies is exactly one command from the client (MONITOR, private server)',
    async () => {
      // A private server: MONITOR on the shared one would also see every other test's commands.
      const server = await startRedisServer();
      const own = new Redis(server.url);
      try {
        const limiter = createRateLimiter({
          storeTimeoutMs: PATIENT_MS,
          name: 'cmd',
          store: createRedisRateLimitStore({ client: own, prefix }),
          policies: [
            { name: 'user', algorithm: gcra({ limit: 100, periodMs: 1000, burst: 10 }) },
            { name: 'all', by: 'global', algorithm: fixedWindow({ limit: 1000, windowMs: 1000 }) },
          ],
        });
        await limiter.limit('warm-up'); // loads the script
        const monitor = await own.monitor();
        const fromClients: string[] = [];
        monitor.on('monitor', (_time: string, args: string[], source: string) => {
          if (!source.includes('lua')) fromClients.push(args[0]?.toLowerCase() ?? '');
        });
        await new Promise((r) => setTimeout(r, 50));
        for (let i = 0; i < 20; i++) await limiter.limit(`u${i}`);
        await new Promise((r) => setTimeout(r, 100));
        monitor.disconnect();
        expect(fromClients.filter((c) => c === 'evalsha')).toHaveLength(20);
        expect(fromClients.filter((c) => c !== 'evalsha' && c !== 'monitor')).toEqual([]);
      } finally {
        own.disconnect();
        await server.stop();
      }
    },
  );

  it('changing a policy’s algorithm starts from fresh state instead of misreading the old one', async () => {
    const store = createRedisRateLimitStore({ client, prefix: `${prefix}-swap` });
    const before = createRateLimiter({
      storeTimeoutMs: PATIENT_MS,
      name: 'swap',
      algorithm: slidingWindowLog({ limit: 1, windowMs: 60_000 }),
      store,
    });
    expect((await before.limit('k')).allowed).toBe(true);
    const after = createRateLimiter({
      storeTimeoutMs: PATIENT_MS,
      name: 'swap',
      algorithm: tokenBucket({ capacity: 2, refillTokens: 1, refillIntervalMs: 60_000 }),
      store,
    });
    expect(await after.limit('k')).toMatchObject({ allowed: true, degraded: false, remaining: 1 });
  });

  it('a fixed-window key holds only the current window, however sparse the traffic', async () => {
    const clock = createManualClock(1_800_000_000_000);
    const keyPrefix = `${prefix}-fields`;
    const limiter = createRateLimiter({
      storeTimeoutMs: PATIENT_MS,
      name: 'fields',
      algorithm: fixedWindow({ limit: 5, windowMs: 100 }),
      store: createRedisRateLimitStore({ client, prefix: keyPrefix, clock }),
      clock,
    });
    for (let i = 0; i < 20; i++) {
      await limiter.limit('k');
      clock.advance(250); // skips windows; the key outlives them thanks to its TTL slack
    }
    expect(await client.hlen(`${keyPrefix}:rl:{fields:k}:fw`)).toBe(1);
  });

  it.skipIf(noServerBinary)(
    'decisions issued in the same tick share one script call; maxBatchSize: 1 sends each alone',
    async () => {
      const server = await startRedisServer();
      const own = new Redis(server.url);
      try {
        const count = async (maxBatchSize: number) => {
          const limiter = createRateLimiter({
            storeTimeoutMs: PATIENT_MS,
            name: `batch-${maxBatchSize}`,
            algorithm: fixedWindow({ limit: 1, windowMs: 60_000 }),
            store: createRedisRateLimitStore({ client: own, prefix, maxBatchSize }),
          });
          await limiter.limit('warm-up');
          await own.config('RESETSTAT');
          const results = await Promise.all(
            Array.from({ length: 64 }, (_, i) => limiter.limit(`k${i % 32}`)),
          );
          const info = await own.info('commandstats');
          expect(results.filter((r) => r.allowed)).toHaveLength(32); // 32 keys, limit 1 each
          return Number(/cmdstat_evalsha:calls=(\d+)/.exec(info)?.[1] ?? 0);
        };
        expect(await count(64)).toBe(1);
        expect(await count(16)).toBe(4); // the default
        expect(await count(1)).toBe(64);
      } finally {
        own.disconnect();
        await server.stop();
      }
    },
  );

  it('keeps deciding after SCRIPT FLUSH (NOSCRIPT → EVAL)', async () => {
    const limiter = createRateLimiter({
      storeTimeoutMs: PATIENT_MS,
      name: 'flush',
      algorithm: fixedWindow({ limit: 2, windowMs: 60_000 }),
      store: createRedisRateLimitStore({ client, prefix }),
    });
    expect((await limiter.limit('k')).allowed).toBe(true);
    await client.script('FLUSH');
    expect(await limiter.limit('k')).toMatchObject({ allowed: true, degraded: false, remaining: 0 });
    expect((await limiter.limit('k')).allowed).toBe(false);
  });

  it('refuses a client that is not an ioredis client', () => {
    expect(() => createRedisRateLimitStore({ client: {} as never })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
    );
    expect(() => createRedisRateLimitStore({ client, prefix: 'bad{prefix}' })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
    );
    expect(() => createRedisRateLimitStore({ client, maxBatch: 4 } as never)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION', message: expect.stringMatching(/maxBatch/) }),
    );
    expect(createRedisRateLimitStore({ client }).kind).toBe('redis');
  });
});
