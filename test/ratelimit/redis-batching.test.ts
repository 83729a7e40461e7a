/**
 * The Redis store's Nagle-style batching, against the real Redis. The client is the real ioredis client
 * behind a pass-through that counts script calls and can hold one back (a slow call on the wire), so the
 * batching rules are checked by what was sent, never by timing.
 */
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { RedisScriptClient } from '../../src/core/redis/script.js';
import { createRateLimiter, fixedWindow, type RateLimiter } from '../../src/ratelimit/index.js';
import { createRedisRateLimitStore } from '../../src/ratelimit/redis.js';
import { noRedis, useRedisPrefix } from '../support/redis.js';

/** Forwards to the real client; records how many decisions each call carried; can hold calls back. */
function countingClient(real: RedisScriptClient) {
  const sizes: number[] = [];
  let gate: Promise<void> | undefined;
  let open: (() => void) | undefined;
  // ARGV[2] is the number of distinct policies p, then 6 per policy, then m: the decisions carried.
  const decisionsOf = (numberOfKeys: number, rest: (string | number)[]) => {
    const args = rest.slice(numberOfKeys);
    return Number(args[2 + 6 * Number(args[1])]);
  };
  const forward =
    (method: 'evalsha' | 'eval') =>
    async (script: string, numberOfKeys: number, ...rest: (string | number)[]) => {
      if (method === 'evalsha' || !sizes.length) sizes.push(decisionsOf(numberOfKeys, rest));
      if (gate) await gate;
      return real[method](script, numberOfKeys, ...rest);
    };
  return {
    client: { evalsha: forward('evalsha'), eval: forward('eval') } as RedisScriptClient,
    sizes,
    hold() {
      gate = new Promise((resolve) => {
        open = resolve;
      });
    },
    release() {
      gate = undefined;
      open?.();
    },
  };
}

const nextTick = () => new Promise((resolve) => setImmediate(resolve));

async function until(check: () => boolean) {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(check()).toBe(true);
}

describe.skipIf(noRedis)('redis store batching (Nagle-style)', () => {
  const { client, prefix } = useRedisPrefix('rl-batch');
  let n = 0;
  const setup = (storeOptions: { maxBatchSize?: number; maxInFlight?: number; maxBatchDelayMs?: number }) => {
    const counted = countingClient(client);
    const limiter = createRateLimiter({
      name: 'nagle',
      algorithm: fixedWindow({ limit: 1000, windowMs: 60_000 }),
      store: createRedisRateLimitStore({
        client: counted.client,
        prefix: `${prefix}-${n++}`,
        ...storeOptions,
      }),
      storeTimeoutMs: 30_000,
    });
    return { ...counted, limiter };
  };

  it('a decision alone goes at once, in its own call (an idle server waits for nothing)', async () => {
    const { limiter, sizes } = setup({});
    for (let i = 0; i < 5; i++) expect((await limiter.limit('solo')).allowed).toBe(true);
    expect(sizes).toEqual([1, 1, 1, 1, 1]);
  });

  it('decisions made in later ticks while a call is in flight leave together in the next call', async () => {
    const { limiter, sizes, hold, release } = setup({ maxInFlight: 1, maxBatchDelayMs: 1000 });
    hold();
    const first = limiter.limit('k');
    await until(() => sizes.length === 1);
    const later: Promise<unknown>[] = [];
    for (let i = 0; i < 10; i++) {
      later.push(limiter.limit('k'));
      await nextTick(); // each in its own tick, as behind an HTTP server
    }
    expect(sizes).toEqual([1]); // nothing more sent while the first call is on the wire
    release();
    const results = (await Promise.all([first, ...later])) as { allowed: boolean; remaining: number }[];
    expect(sizes).toEqual([1, 10]);
    expect(results.every((r) => r.allowed)).toBe(true);
    expect(results.map((r) => r.remaining).sort((a, b) => b - a)).toEqual(
      Array.from({ length: 11 }, (_, i) => 999 - i),
    );
  });

  it('a batch never exceeds maxBatchSize; the rest follow call by call', async () => {
    const { limiter, sizes, hold, release } = setup({
      maxInFlight: 1,
      maxBatchSize: 4,
      maxBatchDelayMs: 1000,
    });
    hold();
    const all = [limiter.limit('k')];
    await until(() => sizes.length === 1);
    for (let i = 0; i < 10; i++) all.push(limiter.limit('k'));
    release();
    await Promise.all(all);
    expect(sizes).toEqual([1, 4, 4, 2]);
  });

  it('behind a slow call, waiting decisions go anyway after maxBatchDelayMs (beyond maxInFlight)', async () => {
    const { limiter, sizes, hold, release } = setup({ maxInFlight: 1, maxBatchDelayMs: 20 });
    hold();
    const all = [limiter.limit('k')];
    await until(() => sizes.length === 1);
    for (let i = 0; i < 5; i++) all.push(limiter.limit('k'));
    await until(() => sizes.length === 2); // the cap fired while the first call is still held
    expect(sizes).toEqual([1, 5]);
    release();
    expect((await Promise.all(all)).every((r) => r.allowed)).toBe(true);
  });

  it('maxInFlight 2 keeps two calls on the wire before decisions wait', async () => {
    const { limiter, sizes, hold, release } = setup({ maxInFlight: 2, maxBatchDelayMs: 1000 });
    hold();
    const all = [limiter.limit('k')];
    await until(() => sizes.length === 1);
    all.push(limiter.limit('k'));
    await until(() => sizes.length === 2);
    for (let i = 0; i < 6; i++) all.push(limiter.limit('k'));
    await nextTick();
    expect(sizes).toEqual([1, 1]);
    release();
    await Promise.all(all);
    expect(sizes).toEqual([1, 1, 6]);
  });

  it('a store error reaches every decision of the batch, and the next batch still goes', async () => {
    const broken: RedisScriptClient = {
      evalsha: () => Promise.reject(new Error('connection lost')),
      eval: () => Promise.reject(new Error('connection lost')),
    };
    const limiter = createRateLimiter({
      name: 'nagle-broken',
      algorithm: fixedWindow({ limit: 10, windowMs: 60_000 }),
      store: createRedisRateLimitStore({ client: broken, prefix: `${prefix}-broken` }),
      onStoreError: 'fail-closed',
    });
    const results = await Promise.all(Array.from({ length: 5 }, () => limiter.limit('k')));
    expect(results.every((r) => !r.allowed && r.reason === 'store-error')).toBe(true);
    expect((await limiter.limit('k')).reason).toBe('store-error');
  });

  it('behind a real HTTP server under concurrent load, fewer script calls than decisions', async () => {
    const { limiter, sizes } = setup({});
    const served = await serve(limiter);
    try {
      const keys = Array.from({ length: 400 }, (_, i) => `client-${i % 50}`);
      const statuses: number[] = [];
      // 32 connections at once, each sending its share one request after another.
      await Promise.all(
        Array.from({ length: 32 }, async (_, lane) => {
          for (let i = lane; i < keys.length; i += 32)
            statuses.push(await get(served.port, keys[i] as string));
        }),
      );
      expect(statuses.filter((s) => s === 200)).toHaveLength(400);
      const decisions = sizes.reduce((a, b) => a + b, 0);
      expect(decisions).toBe(400);
      expect(sizes.length).toBeLessThan(400);
    } finally {
      await served.close();
    }
  });
});

async function serve(limiter: RateLimiter) {
  const server = createServer((req, res) => {
    limiter.limit(String(req.headers['x-client-key'])).then((r) => {
      res.statusCode = r.allowed ? 200 : 429;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function get(port: number, key: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { port, host: '127.0.0.1', headers: { 'x-client-key': key }, agent: false },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end();
  });
}
