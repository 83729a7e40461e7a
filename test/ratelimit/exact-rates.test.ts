/**
 * Exact rates (issue 10 item 4): the bucket algorithms keep the emission interval as an exact rational, so
 * no configuration admits more than its bound, however the interval divides into microseconds. Checked on
 * the memory store and on Redis (manual clock on both), with greedy callers that take all they can.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../../src/core/errors.js';
import {
  type Algorithm,
  createMemoryRateLimitStore,
  createRateLimiter,
  gcra,
  leakyBucket,
  type RateLimitStore,
  tokenBucket,
} from '../../src/ratelimit/index.js';
import { createRedisRateLimitStore } from '../../src/ratelimit/redis.js';
import { createManualClock, type ManualClock } from '../../src/testing/index.js';
import { noRedis, useRedisPrefix } from '../support/redis.js';

const START = 1_800_000_000_123;

/** Takes everything the limiter admits at this instant (largest costs first); returns the units admitted. */
async function drain(limiter: ReturnType<typeof createRateLimiter>, capacity: number): Promise<number> {
  let admitted = 0;
  let cost = 2 ** Math.floor(Math.log2(capacity));
  while (cost >= 1) {
    const r = await limiter.limit('k', { cost });
    if (r.allowed) admitted += cost;
    else cost = Math.floor(cost / 2);
  }
  return admitted;
}

/** Greedy traffic: after each advance, drain the bucket; returns [atMs, admitted] per step. */
async function greedy(
  algorithm: Algorithm,
  store: RateLimitStore,
  clock: ManualClock,
  advances: readonly number[],
): Promise<[number, number][]> {
  // fail-closed: a store call lost on a loaded machine must show as a shortfall, never as a silent allow.
  const limiter = createRateLimiter({
    name: 'exact',
    algorithm,
    store,
    clock,
    storeTimeoutMs: 10_000,
    onStoreError: 'fail-closed',
  });
  const out: [number, number][] = [];
  for (const advanceMs of advances) {
    clock.advance(advanceMs);
    out.push([clock.now(), await drain(limiter, algorithm.quota)]);
  }
  return out;
}

/** Largest excess over `capacity + floor(span × num / den)` for any span of steps (≤ 0 means within). */
function worstExcess(steps: readonly [number, number][], capacity: number, num: number, den: number): number {
  let worst = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < steps.length; i++) {
    let sum = 0;
    for (let j = i; j < steps.length; j++) {
      sum += (steps[j] as [number, number])[1];
      const spanMs = (steps[j] as [number, number])[0] - (steps[i] as [number, number])[0];
      worst = Math.max(worst, sum - (capacity + Math.floor((spanMs * num) / den)));
    }
  }
  return worst;
}

/** An odd configuration with its exact rate: `num` units per `den` ms. */
interface Case {
  readonly algorithm: Algorithm;
  readonly capacity: number;
  readonly num: number;
  readonly den: number;
}

const oddCase: fc.Arbitrary<Case> = fc.oneof(
  fc
    .record({
      capacity: fc.integer({ min: 1, max: 40 }),
      refillTokens: fc.integer({ min: 1, max: 997 }),
      refillIntervalMs: fc.integer({ min: 1, max: 977 }),
    })
    .map((o) => ({
      algorithm: tokenBucket(o),
      capacity: o.capacity,
      num: o.refillTokens,
      den: o.refillIntervalMs,
    })),
  fc
    .record({
      limit: fc.integer({ min: 1, max: 99_991 }),
      periodMs: fc.integer({ min: 100, max: 4999 }),
      burst: fc.integer({ min: 0, max: 39 }),
    })
    .map((o) => ({ algorithm: gcra(o), capacity: o.burst + 1, num: o.limit, den: o.periodMs })),
  fc
    .record({
      capacity: fc.integer({ min: 1, max: 40 }),
      milliPerSecond: fc.integer({ min: 1, max: 999_999 }),
    })
    .map((o) => ({
      algorithm: leakyBucket({ capacity: o.capacity, leakPerSecond: o.milliPerSecond / 1000 }),
      capacity: o.capacity,
      num: o.milliPerSecond,
      den: 1_000_000,
    })),
);
const advances = fc.array(fc.integer({ min: 0, max: 3001 }), { minLength: 2, maxLength: 40 });

function stores(): [string, (clock: ManualClock) => RateLimitStore][] {
  const list: [string, (clock: ManualClock) => RateLimitStore][] = [
    ['memory', (clock) => createMemoryRateLimitStore({ clock })],
  ];
  if (!noRedis) {
    const { client, prefix } = useRedisPrefix('rl-exact');
    let n = 0;
    list.push(['redis', (clock) => createRedisRateLimitStore({ client, prefix: `${prefix}-${n++}`, clock })]);
  }
  return list;
}

describe('exact rates', () => {
  for (const [storeName, makeStore] of stores()) {
    it(`${storeName}: tokenBucket(100, 3 per 2 ms) admits at most 30,100 in 20 s`, async () => {
      const clock = createManualClock(START);
      const algorithm = tokenBucket({ capacity: 100, refillTokens: 3, refillIntervalMs: 2 });
      const steps = await greedy(algorithm, makeStore(clock), clock, [0, ...Array(19_999).fill(1)]);
      const total = steps.reduce((a, [, n]) => a + n, 0);
      expect(total).toBeLessThanOrEqual(30_100);
      expect(total).toBeGreaterThanOrEqual(30_098); // the configured rate, not less
    }, 120_000); // some 30,000 sequential round trips: slow on a loaded machine, not a timing claim

    it(`${storeName}: gcra(1e6 per 1999 ms, burst 999) runs at its configured rate, not 2x`, async () => {
      const clock = createManualClock(START);
      const algorithm = gcra({ limit: 1e6, periodMs: 1999, burst: 999 });
      const steps = await greedy(algorithm, makeStore(clock), clock, [0, ...Array(1999).fill(1)]);
      const total = steps.reduce((a, [, n]) => a + n, 0);
      expect(total).toBeLessThanOrEqual(1_000_000 + 1000);
      expect(total).toBeGreaterThanOrEqual(1_000_000);
    }, 120_000);

    it(`${storeName}: odd intervals never admit more than capacity + span × rate (fast-check)`, async () => {
      await fc.assert(
        fc.asyncProperty(oddCase, advances, async (c, steps) => {
          const clock = createManualClock(START);
          const admitted = await greedy(c.algorithm, makeStore(clock), clock, steps);
          expect(worstExcess(admitted, c.capacity, c.num, c.den)).toBeLessThanOrEqual(0);
        }),
        { numRuns: storeName === 'memory' ? 150 : 25 },
      );
    });
  }

  it('rejects, with ERR_INVALID_OPTION, a configuration whose exact arithmetic would overflow', () => {
    const huge = () =>
      tokenBucket({ capacity: 1e9, refillTokens: 999_999_937, refillIntervalMs: 366 * 24 * 3600_000 });
    expect(huge).toThrow(InvalidOptionError);
    expect(() => leakyBucket({ capacity: 1e9, leakPerSecond: 1e-9 })).toThrow(InvalidOptionError);
  });
});
