/**
 * Uncharged figures (issue 10 item 7): a denial charges nothing, so the policies that passed but did not
 * decide must report what they hold now, not what they would hold had the request been charged: their
 * `remaining` and `resetAfterMs` equal those of a policy nobody asked. Memory and Redis alike.
 */
import { describe, expect, it } from 'vitest';
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
import { createManualClock, type ManualClock } from '../../src/testing/index.js';
import { noRedis, useRedisPrefix } from '../support/redis.js';

const START = 1_800_000_000_250;

const algorithms: Algorithm[] = [
  fixedWindow({ limit: 10, windowMs: 1000 }),
  slidingWindowCounter({ limit: 10, windowMs: 1000 }),
  slidingWindowLog({ limit: 10, windowMs: 1000 }),
  tokenBucket({ capacity: 10, refillTokens: 3, refillIntervalMs: 1000 }),
  gcra({ limit: 10, periodMs: 1000, burst: 9 }),
  leakyBucket({ capacity: 10, leakPerSecond: 7 }),
];

function stores(): [string, (clock: ManualClock) => RateLimitStore][] {
  const list: [string, (clock: ManualClock) => RateLimitStore][] = [
    ['memory', (clock) => createMemoryRateLimitStore({ clock })],
  ];
  if (!noRedis) {
    const { client, prefix } = useRedisPrefix('rl-uncharged');
    let n = 0;
    list.push(['redis', (clock) => createRedisRateLimitStore({ client, prefix: `${prefix}-${n++}`, clock })]);
  }
  return list;
}

describe('a denial reports the policies that did not decide as uncharged', () => {
  for (const [storeName, makeStore] of stores()) {
    for (const algorithm of algorithms) {
      it(`${storeName}, ${algorithm.kind}: remaining and resetAfterMs as before the denied request`, async () => {
        const clock = createManualClock(START);
        const limiter = createRateLimiter({
          name: 'two',
          policies: [
            { name: 'user', algorithm },
            { name: 'global', by: 'global', algorithm: fixedWindow({ limit: 2, windowMs: 60_000 }) },
          ],
          store: makeStore(clock),
          clock,
          storeTimeoutMs: 10_000,
        });
        // `a` is charged once; then `b` (fresh) takes the last global unit; then `a` and a fresh `c` are
        // denied by the global policy, which must leave their own policy untouched.
        const first = await limiter.limit({ key: 'a' });
        expect(first.allowed).toBe(true);
        const charged = first.policies[0];
        clock.advance(100);
        expect((await limiter.limit({ key: 'b' })).allowed).toBe(true);
        const idleA = await limiter.peek({ key: 'a' });
        for (const [key, expected] of [
          ['a', idleA.policies[0]],
          ['c', undefined],
        ] as const) {
          const denied = await limiter.limit({ key });
          expect(denied.allowed).toBe(false);
          expect(denied.policy).toBe('global');
          const user = denied.policies[0];
          expect(user?.allowed).toBe(true);
          if (expected === undefined) {
            // Nothing was ever charged to `c`: full and already replenished.
            expect(user?.remaining).toBe(algorithm.quota);
            expect(user?.resetAfterMs).toBe(0);
          } else {
            expect(user?.remaining).toBe(expected.remaining);
            expect(user?.resetAfterMs).toBe(expected.resetAfterMs);
            expect(user?.remaining).toBeGreaterThanOrEqual(charged?.remaining ?? Number.NaN);
            expect(user?.resetAfterMs).toBeLessThanOrEqual(charged?.resetAfterMs ?? Number.NaN);
          }
        }
      });
    }
  }
});
