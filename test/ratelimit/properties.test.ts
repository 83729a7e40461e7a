/**
 * Properties over random traffic: no window ever admits more than its limit (fast-check), and the Redis
 * store decides exactly like the memory store at every step (the kit's runDifferential).
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type Algorithm,
  createMemoryRateLimitStore,
  createRateLimiter,
  fixedWindow,
  gcra,
  leakyBucket,
  type RateLimitStore,
  slidingWindowCounter,
  slidingWindowLog,
  tokenBucket,
} from '../../src/ratelimit/index.js';
import { createRedisRateLimitStore } from '../../src/ratelimit/redis.js';
import { createManualClock, type ManualClock, rateLimitDifferential } from '../../src/testing/index.js';
import { connectRedis, deleteByPrefix, noRedis, randomPrefix } from '../support/redis.js';

const START = 1_800_000_000_000;
const step = fc.record({
  advanceMs: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 50 }), fc.integer({ min: 0, max: 3000 })),
  cost: fc.integer({ min: 1, max: 3 }),
});
const traffic = fc.array(step, { minLength: 1, maxLength: 120 });

async function run(
  algorithm: Algorithm,
  store: RateLimitStore,
  clock: ManualClock,
  steps: readonly { advanceMs: number; cost: number }[],
) {
  const limiter = createRateLimiter({ name: 'prop', algorithm, store, clock, storeTimeoutMs: 10_000 });
  const admitted: { atMs: number; cost: number }[] = [];
  const results = [];
  for (const s of steps) {
    clock.advance(s.advanceMs);
    const r = await limiter.limit('k', { cost: s.cost });
    results.push({
      allowed: r.allowed,
      remaining: r.remaining,
      retryAfterMs: r.retryAfterMs,
      resetAtMs: r.resetAtMs,
      delayMs: r.delayMs,
    });
    if (r.allowed) admitted.push({ atMs: clock.now(), cost: s.cost });
  }
  return { admitted, results };
}

const sum = (xs: readonly { cost: number }[]) => xs.reduce((a, x) => a + x.cost, 0);

describe('no window ever admits more than its limit (fast-check, memory store)', () => {
  const windows: [string, Algorithm, 'aligned' | 'sliding'][] = [
    ['fixed window', fixedWindow({ limit: 5, windowMs: 1000 }), 'aligned'],
    ['sliding window counter', slidingWindowCounter({ limit: 5, windowMs: 1000 }), 'aligned'],
    ['sliding window log', slidingWindowLog({ limit: 5, windowMs: 1000 }), 'sliding'],
  ];
  for (const [name, algorithm, kind] of windows) {
    it(`${name}: ${kind === 'aligned' ? 'every aligned window' : 'every sliding window'} holds at most the limit`, async () => {
      await fc.assert(
        fc.asyncProperty(traffic, async (steps) => {
          const clock = createManualClock(START);
          const { admitted } = await run(algorithm, createMemoryRateLimitStore({ clock }), clock, steps);
          const w = (algorithm as { windowMs: number }).windowMs;
          for (const a of admitted) {
            const inWindow =
              kind === 'aligned'
                ? admitted.filter((b) => Math.floor(b.atMs / w) === Math.floor(a.atMs / w))
                : admitted.filter((b) => b.atMs > a.atMs - w && b.atMs <= a.atMs);
            expect(sum(inWindow)).toBeLessThanOrEqual(5);
          }
        }),
        { numRuns: 200 },
      );
    });
  }

  const buckets: [string, Algorithm & { capacity: number; periodUs: number; units: number }][] = [
    ['token bucket', tokenBucket({ capacity: 5, refillTokens: 2, refillIntervalMs: 1000 })],
    ['GCRA', gcra({ limit: 3, periodMs: 1000, burst: 2 })],
    ['leaky bucket', leakyBucket({ capacity: 4, leakPerSecond: 3 })],
  ];
  for (const [name, algorithm] of buckets) {
    it(`${name}: any interval of d ms admits at most capacity + d / refill interval`, async () => {
      await fc.assert(
        fc.asyncProperty(traffic, async (steps) => {
          const clock = createManualClock(START);
          const { admitted } = await run(algorithm, createMemoryRateLimitStore({ clock }), clock, steps);
          for (let i = 0; i < admitted.length; i++) {
            for (let j = i; j < admitted.length; j++) {
              const spanUs = ((admitted[j]?.atMs ?? 0) - (admitted[i]?.atMs ?? 0)) * 1000;
              // Exact: `units` tokens per `periodUs`, in integers (a float interval could round the bound).
              const bound = algorithm.capacity + Math.floor((spanUs * algorithm.units) / algorithm.periodUs);
              expect(sum(admitted.slice(i, j + 1))).toBeLessThanOrEqual(bound);
            }
          }
        }),
        { numRuns: 100 },
      );
    });
  }
});

describe.skipIf(noRedis)('Redis decides exactly like memory (runDifferential)', () => {
  const client = noRedis ? undefined : connectRedis();
  const prefix = randomPrefix('rl-diff');
  afterAll(async () => {
    if (!client) return;
    await deleteByPrefix(client, prefix);
    client.disconnect();
  });
  const algorithms: Algorithm[] = [
    fixedWindow({ limit: 5, windowMs: 1000 }),
    slidingWindowLog({ limit: 5, windowMs: 1000 }),
    slidingWindowCounter({ limit: 7, windowMs: 1000 }),
    tokenBucket({ capacity: 5, refillTokens: 3, refillIntervalMs: 1000 }),
    gcra({ limit: 3, periodMs: 1000, burst: 2 }),
    leakyBucket({ capacity: 4, leakPerSecond: 3 }),
    // Odd intervals (not whole µs): the tat carries a fraction, which both stores must compute alike.
    tokenBucket({ capacity: 7, refillTokens: 7, refillIntervalMs: 999 }),
    gcra({ limit: 13, periodMs: 1999, burst: 3 }),
    leakyBucket({ capacity: 3, leakPerSecond: 2.7 }),
  ];
  let n = 0;
  for (const algorithm of algorithms) {
    it(`${algorithm.kind}: same decision, remaining, retry, reset and delay at every step`, async () => {
      await rateLimitDifferential({
        reference: (clock) => ({ subject: createMemoryRateLimitStore({ clock }) }),
        candidate: (clock) => ({
          subject: createRedisRateLimitStore({ client: client!, prefix: `${prefix}-${n++}`, clock }),
        }),
        algorithm,
      });
    });
  }
});
