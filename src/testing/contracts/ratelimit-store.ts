/**
 * The RateLimitStore contract, of the one contract shape: `rateLimitStoreContract(t, { name, setup })`
 * where `setup(clock)` builds a fresh, empty store on the manual clock it is given and returns
 * `{ subject: store, close? }`. It drives real limiters over the store, so any store that keeps the
 * semantics gives the same decisions at every step.
 */
import assert from 'node:assert/strict';
import type { ManualClock } from '../../core/manual-clock.js';
import {
  type Algorithm,
  createConcurrencyLimiter,
  createRateLimiter,
  fixedWindow,
  gcra,
  leakyBucket,
  type RateLimitStore,
  slidingWindowCounter,
  slidingWindowLog,
  tokenBucket,
} from '../../ratelimit/index.js';
import { type ContractOptions, type ContractTestApi, withFixture } from './test-api.js';

/**
 * Options of {@link rateLimitStoreContract}. `setup(clock)` builds a fresh, empty store whose notion of
 * time is `clock` (the Redis store takes it as its `clock` option); use a unique key prefix per call.
 */
export type RateLimitStoreContractOptions = ContractOptions<RateLimitStore>;

/** One step of a deterministic trace: at `atMs` after the start, a request of `cost` gets `expect`. */
interface Step {
  readonly atMs: number;
  readonly cost?: number;
  readonly allowed: boolean;
  readonly remaining: number;
  readonly retryAfterMs?: number;
  readonly delayMs?: number;
}

/** Contract runs share machines with other suites: a store call may be slow without being broken. */
const PATIENT = { storeTimeoutMs: 10_000 } as const;

/** Window-aligned start: divisible by every window used below (the traces depend on it). */
const START_MS = 1_800_000_000_000;

const A = (atMs: number, remaining: number, extra: Partial<Step> = {}): Step => ({
  atMs,
  allowed: true,
  remaining,
  ...extra,
});
const D = (atMs: number, remaining: number, retryAfterMs: number, extra: Partial<Step> = {}): Step => ({
  atMs,
  allowed: false,
  remaining,
  retryAfterMs,
  ...extra,
});

/** Expected decisions at every step, per algorithm: the same on every store. */
export const rateLimitTraces: readonly { name: string; algorithm: Algorithm; steps: readonly Step[] }[] = [
  {
    name: 'fixed window 3/1s',
    algorithm: fixedWindow({ limit: 3, windowMs: 1000 }),
    steps: [
      A(0, 2),
      A(100, 1),
      A(200, 0),
      D(300, 0, 700),
      D(999, 0, 1),
      A(1000, 2),
      A(1500, 0, { cost: 2 }),
      D(1600, 0, 400),
    ],
  },
  {
    name: 'sliding window log 3/1s',
    algorithm: slidingWindowLog({ limit: 3, windowMs: 1000 }),
    steps: [
      A(0, 2),
      A(400, 1),
      A(800, 0),
      D(900, 0, 100),
      A(1000, 0),
      D(1001, 0, 399),
      A(1400, 0),
      D(1500, 0, 500, { cost: 2 }),
    ],
  },
  {
    name: 'sliding window counter 10/1s',
    algorithm: slidingWindowCounter({ limit: 10, windowMs: 1000 }),
    steps: [A(0, 0, { cost: 10 }), D(500, 0, 600), A(1100, 0), A(1200, 0), D(1250, 0, 50), A(1300, 0)],
  },
  {
    name: 'token bucket capacity 3, 1 per s',
    algorithm: tokenBucket({ capacity: 3, refillTokens: 1, refillIntervalMs: 1000 }),
    steps: [
      A(0, 2),
      A(0, 1),
      A(0, 0),
      D(0, 0, 1000),
      D(500, 0, 500),
      A(1000, 0),
      A(4000, 2),
      A(10_000, 0, { cost: 3 }),
    ],
  },
  {
    name: 'GCRA 2/s, burst 1',
    algorithm: gcra({ limit: 2, periodMs: 1000, burst: 1 }),
    steps: [A(0, 1), A(0, 0), D(0, 0, 500), A(500, 0), D(600, 0, 400)],
  },
  {
    name: 'leaky bucket capacity 3, 2 per s',
    algorithm: leakyBucket({ capacity: 3, leakPerSecond: 2 }),
    steps: [
      A(0, 2, { delayMs: 0 }),
      A(0, 1, { delayMs: 500 }),
      A(0, 0, { delayMs: 1000 }),
      D(0, 0, 500),
      A(600, 0, { delayMs: 900 }),
    ],
  },
];

/**
 * The RateLimitStore contract: run it against every store (ours or yours). It drives a real limiter with a
 * manual clock, so any store that keeps the semantics gives the same decisions at every step.
 *
 * @example
 * ```ts
 * import { describe, it } from 'vitest';
 * rateLimitStoreContract({ describe, it }, { name: 'memory', setup: (clock) => ({ subject: createMemoryRateLimitStore({ clock }) }) });
 * ```
 */
export function rateLimitStoreContract(t: ContractTestApi, options: RateLimitStoreContractOptions): void {
  const withStore = (body: (store: RateLimitStore, clock: ManualClock) => Promise<void>) =>
    withFixture(options.setup, body, START_MS);

  t.describe(`RateLimitStore contract: ${options.name}`, () => {
    t.it(
      'port shape: a kind, and close() when there is one',
      withStore(async (store) => {
        assert.equal(typeof store.kind, 'string');
        assert.ok(store.kind.length > 0, 'kind is not empty');
        assert.ok(store.close === undefined || typeof store.close === 'function', 'close is a function');
      }),
    );

    for (const trace of rateLimitTraces) {
      t.it(
        `trace: ${trace.name}`,
        withStore(async (store, clock) => {
          const limiter = createRateLimiter({
            name: 'trace',
            algorithm: trace.algorithm,
            store,
            clock,
            ...PATIENT,
          });
          for (const [i, step] of trace.steps.entries()) {
            clock.set(START_MS + step.atMs);
            const r = await limiter.limit('k', { cost: step.cost ?? 1 });
            const where = `${trace.name}, step ${i} at +${step.atMs} ms`;
            assert.equal(r.allowed, step.allowed, `${where}: allowed`);
            assert.equal(r.remaining, step.remaining, `${where}: remaining`);
            assert.equal(r.retryAfterMs, step.retryAfterMs ?? 0, `${where}: retryAfterMs`);
            if (step.delayMs !== undefined) assert.equal(r.delayMs, step.delayMs, `${where}: delayMs`);
            assert.equal(r.reason, step.allowed ? 'ok' : 'limit', `${where}: reason`);
          }
        }),
      );
    }

    t.it(
      'several policies are all-or-nothing: a denial by one charges none',
      withStore(async (store, clock) => {
        const limiter = createRateLimiter({
          name: 'multi',
          store,
          clock,
          ...PATIENT,
          policies: [
            { name: 'per-user', algorithm: fixedWindow({ limit: 5, windowMs: 60_000 }) },
            { name: 'global', by: 'global', algorithm: fixedWindow({ limit: 3, windowMs: 60_000 }) },
          ],
        });
        for (const user of ['a', 'b', 'c']) assert.equal((await limiter.limit(user)).allowed, true);
        const denied = await limiter.limit('a');
        assert.equal(denied.allowed, false);
        assert.equal(denied.policy, 'global');
        assert.deepEqual(
          denied.policies.map((p) => [p.policy, p.allowed, p.remaining]),
          [
            ['per-user', true, 4],
            ['global', false, 0],
          ],
        );
        const peek = await limiter.peek('a');
        assert.equal(peek.policies[0]?.remaining, 4, 'the denied call did not charge per-user');
      }),
    );

    t.it(
      'dimensions: per account and per IP in one decision',
      withStore(async (store, clock) => {
        const limiter = createRateLimiter({
          name: 'login',
          store,
          clock,
          ...PATIENT,
          policies: [
            { name: 'account', by: 'account', algorithm: fixedWindow({ limit: 2, windowMs: 60_000 }) },
            { name: 'ip', by: 'ip', algorithm: fixedWindow({ limit: 3, windowMs: 60_000 }) },
          ],
        });
        assert.equal((await limiter.limit({ account: 'x', ip: '10.0.0.1' })).allowed, true);
        assert.equal((await limiter.limit({ account: 'x', ip: '10.0.0.2' })).allowed, true);
        const third = await limiter.limit({ account: 'x', ip: '10.0.0.1' });
        assert.equal(third.allowed, false);
        assert.equal(third.policy, 'account');
        assert.equal((await limiter.limit({ account: 'y', ip: '10.0.0.1' })).allowed, true);
        assert.equal(
          (await limiter.limit({ account: 'z', ip: '10.0.0.1' })).allowed,
          true,
          'the denied call was not charged to the IP',
        );
        const ipFull = await limiter.limit({ account: 'z', ip: '10.0.0.1' });
        assert.equal(ipFull.allowed, false);
        assert.equal(ipFull.policy, 'ip');
      }),
    );

    t.it(
      'peek charges nothing; reset clears state and blocks',
      withStore(async (store, clock) => {
        const limiter = createRateLimiter({
          name: 'pr',
          store,
          clock,
          ...PATIENT,
          localBlockCacheSize: 0,
          policies: [
            { name: 'p', algorithm: fixedWindow({ limit: 2, windowMs: 1000 }), blockDurationMs: 10_000 },
          ],
        });
        assert.equal((await limiter.peek('k')).remaining, 2);
        assert.equal((await limiter.peek('k')).remaining, 2);
        await limiter.limit('k');
        await limiter.limit('k');
        const denied = await limiter.limit('k');
        assert.equal(denied.allowed, false);
        assert.equal(denied.reason, 'blocked', 'the denial that starts a penalty reports the block');
        assert.equal((await limiter.limit('k')).reason, 'blocked');
        await limiter.reset('k');
        const after = await limiter.limit('k');
        assert.equal(after.allowed, true);
        assert.equal(after.remaining, 1);
      }),
    );

    t.it(
      'a penalty block outlives the window and ends on time',
      withStore(async (store, clock) => {
        const limiter = createRateLimiter({
          name: 'blk',
          store,
          clock,
          ...PATIENT,
          localBlockCacheSize: 0,
          policies: [
            { name: 'p', algorithm: fixedWindow({ limit: 1, windowMs: 1000 }), blockDurationMs: 5000 },
          ],
        });
        await limiter.limit('k');
        const denied = await limiter.limit('k');
        assert.equal(denied.reason, 'blocked');
        assert.equal(denied.retryAfterMs, 5000);
        clock.advance(2000); // the window has turned, the block has not
        const blocked = await limiter.limit('k');
        assert.equal(blocked.allowed, false);
        assert.equal(blocked.reason, 'blocked');
        assert.equal(blocked.retryAfterMs, 3000);
        clock.advance(3000);
        assert.equal((await limiter.limit('k')).allowed, true);
        assert.equal((await limiter.limit('other')).allowed, true, 'blocks are per key');
      }),
    );

    t.it(
      'limiters and keys do not share state',
      withStore(async (store, clock) => {
        const algorithm = fixedWindow({ limit: 1, windowMs: 1000 });
        const a = createRateLimiter({ name: 'iso-a', algorithm, store, clock, ...PATIENT });
        const b = createRateLimiter({ name: 'iso-b', algorithm, store, clock, ...PATIENT });
        assert.equal((await a.limit('k')).allowed, true);
        assert.equal((await a.limit('k')).allowed, false);
        assert.equal((await b.limit('k')).allowed, true);
        assert.equal((await a.limit('k2')).allowed, true);
        assert.equal((await a.limit('k}:x{')).allowed, true, 'braces in keys do not collide');
      }),
    );

    t.it(
      '200 concurrent calls on one key with limit 100 admit exactly 100',
      withStore(async (store, clock) => {
        for (const algorithm of [
          fixedWindow({ limit: 100, windowMs: 60_000 }),
          slidingWindowLog({ limit: 100, windowMs: 60_000 }),
          tokenBucket({ capacity: 100, refillTokens: 1, refillIntervalMs: 60_000 }),
        ]) {
          const limiter = createRateLimiter({
            name: `race-${algorithm.kind}`,
            algorithm,
            store,
            clock,
            ...PATIENT,
            storeTimeoutMs: 10_000,
          });
          const results = await Promise.all(Array.from({ length: 200 }, () => limiter.limit('hot')));
          assert.equal(results.filter((r) => r.allowed).length, 100, algorithm.kind);
        }
      }),
    );

    t.it(
      'leases: slots are taken, freed on release, freed by expiry, extended while held',
      withStore(async (store, clock) => {
        const limiter = createConcurrencyLimiter({
          name: 'conc',
          limit: 2,
          leaseMs: 10_000,
          store,
          clock,
          ...PATIENT,
        });
        const first = await limiter.acquire('k');
        const second = await limiter.acquire('k');
        assert.equal(first.allowed && second.allowed, true);
        const third = await limiter.acquire('k');
        assert.equal(third.allowed, false);
        assert.equal(third.inUse, 2);
        assert.equal(third.retryAfterMs, 10_000);
        assert.equal(await first.lease?.release(), true);
        assert.equal(await first.lease?.release(), false, 'a second release is a no-op');
        const fourth = await limiter.acquire('k');
        assert.equal(fourth.allowed, true);
        clock.advance(5000);
        assert.equal(await fourth.lease?.extend(), true);
        clock.advance(6000); // second expired (11 s), fourth extended to +15 s
        assert.equal(await second.lease?.extend(), false, 'an expired lease cannot be extended');
        const fifth = await limiter.acquire('k');
        assert.equal(fifth.allowed, true, 'the expired slot was freed');
        assert.equal((await limiter.acquire('k')).allowed, false);
        assert.equal((await limiter.acquire('k', { cost: 1 })).inUse, 2);
        assert.equal((await limiter.acquire('other', { cost: 2 })).allowed, true, 'slots are per key');
      }),
    );
  });
}
