/**
 * Partial state loss on Redis (issue 10 item 5): eviction or a stray DEL may drop one key of a limiter key
 * and keep the others. Losing a derived key (a sliding log's total, a penalty block) must never raise
 * admission above the limit; losing the key that records the admissions themselves is a full loss, which
 * admits at most one extra quota per loss (docs/ratelimit.md, "Counter state lost").
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Algorithm,
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
import { noRedis, useRedisPrefix } from '../support/redis.js';

const START = 1_800_000_000_000;

/** Per algorithm: its Redis key suffixes (the state key first) and the bound on units admitted. */
interface Case {
  readonly algorithm: Algorithm;
  readonly suffixes: readonly string[];
  /** The worst load the traffic put on the limit: compared with the limit (the bucket capacity). */
  readonly bound: (admitted: readonly [number, number][]) => number;
}

/** Most units admitted in any aligned window of `w` ms. */
const alignedMax = (w: number) => (admitted: readonly [number, number][]) => {
  const per = new Map<number, number>();
  for (const [at, n] of admitted) per.set(Math.floor(at / w), (per.get(Math.floor(at / w)) ?? 0) + n);
  return Math.max(0, ...per.values());
};
/** Most units admitted in any sliding window of `w` ms. */
const slidingMax = (w: number) => (admitted: readonly [number, number][]) => {
  let worst = 0;
  for (const [at] of admitted) {
    const inWindow = admitted.filter(([b]) => b > at - w && b <= at).reduce((a, [, n]) => a + n, 0);
    worst = Math.max(worst, inWindow);
  }
  return worst;
};
/** Most units admitted in any span beyond the `floor(span × num / den)` the refill earned in it. */
const bucketMax = (num: number, den: number) => (admitted: readonly [number, number][]) => {
  let worst = 0;
  for (let i = 0; i < admitted.length; i++) {
    let sum = 0;
    for (let j = i; j < admitted.length; j++) {
      sum += (admitted[j] as [number, number])[1];
      const span = (admitted[j] as [number, number])[0] - (admitted[i] as [number, number])[0];
      worst = Math.max(worst, sum - Math.floor((span * num) / den));
    }
  }
  return worst;
};

const cases: [string, Case, number][] = [
  [
    'fixed window',
    { algorithm: fixedWindow({ limit: 5, windowMs: 1000 }), suffixes: ['fw', 'b'], bound: alignedMax(1000) },
    5,
  ],
  [
    'sliding window counter',
    {
      algorithm: slidingWindowCounter({ limit: 5, windowMs: 1000 }),
      suffixes: ['swc', 'b'],
      bound: alignedMax(1000),
    },
    5,
  ],
  [
    'sliding window log',
    {
      algorithm: slidingWindowLog({ limit: 5, windowMs: 1000 }),
      suffixes: ['log', 'n', 'b'],
      bound: slidingMax(1000),
    },
    5,
  ],
  [
    'token bucket',
    {
      algorithm: tokenBucket({ capacity: 5, refillTokens: 2, refillIntervalMs: 1000 }),
      suffixes: ['vs', 'b'],
      bound: bucketMax(2, 1000),
    },
    5,
  ],
  [
    'GCRA',
    {
      algorithm: gcra({ limit: 3, periodMs: 1000, burst: 2 }),
      suffixes: ['vs', 'b'],
      bound: bucketMax(3, 1000),
    },
    3,
  ],
  [
    'leaky bucket',
    {
      algorithm: leakyBucket({ capacity: 4, leakPerSecond: 3 }),
      suffixes: ['vs', 'b'],
      bound: bucketMax(3, 1000),
    },
    4,
  ],
];

const traffic = fc.array(
  fc.record({ advanceMs: fc.integer({ min: 0, max: 400 }), calls: fc.integer({ min: 1, max: 6 }) }),
  { minLength: 5, maxLength: 40 },
);

describe.skipIf(noRedis)('Redis: one key of a limiter key lost between decisions', () => {
  const { client, prefix } = useRedisPrefix('rl-loss');
  let n = 0;
  for (const [name, c, limit] of cases) {
    for (const suffix of c.suffixes) {
      const recordsAdmissions = suffix === c.suffixes[0];
      const what = recordsAdmissions ? 'at most one extra quota per loss' : 'never above the limit';
      it(`${name}: DEL of its '${suffix}' key alone admits ${what}`, async () => {
        await fc.assert(
          fc.asyncProperty(traffic, async (steps) => {
            const p = `${prefix}-${n++}`;
            const clock = createManualClock(START);
            const store = createRedisRateLimitStore({ client, prefix: p, clock });
            const limiter = createRateLimiter({
              name: 'loss',
              policies: [{ name: 'p', algorithm: c.algorithm, blockDurationMs: 50 }],
              store,
              clock,
              storeTimeoutMs: 10_000,
            });
            const admitted: [number, number][] = [];
            let losses = 0;
            for (const s of steps) {
              clock.advance(s.advanceMs);
              let units = 0;
              for (let i = 0; i < s.calls; i++) if ((await limiter.limit('k')).allowed) units++;
              admitted.push([clock.now(), units]);
              const keys = (await client.keys(`${p}*`)).filter((k) => k.endsWith(`:${suffix}`));
              if (keys.length > 0) losses += await client.del(...keys);
            }
            expect(c.bound(admitted)).toBeLessThanOrEqual(recordsAdmissions ? limit * (losses + 1) : limit);
          }),
          { numRuns: 15 },
        );
      });
    }
  }
});
