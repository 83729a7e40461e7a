import { describe, expect, it } from 'vitest';
import {
  createConcurrencyLimiter,
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
import { createManualClock, createMemoryMetrics } from '../../src/testing/index.js';
import { counting } from './fixtures/helpers.js';

const invalidOption = expect.objectContaining({ code: 'ERR_INVALID_OPTION' });
const invalidArgument = expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' });

describe('hostile input is refused with a typed error, never a silent allow', () => {
  const algorithm = fixedWindow({ limit: 10, windowMs: 1000 });

  it('algorithm options', () => {
    const bad: [string, () => unknown][] = [
      ['zero limit', () => fixedWindow({ limit: 0, windowMs: 1000 })],
      ['negative limit', () => slidingWindowLog({ limit: -1, windowMs: 1000 })],
      ['NaN limit', () => slidingWindowCounter({ limit: Number.NaN, windowMs: 1000 })],
      ['fractional limit', () => fixedWindow({ limit: 1.5, windowMs: 1000 })],
      ['zero window', () => fixedWindow({ limit: 1, windowMs: 0 })],
      ['negative window', () => fixedWindow({ limit: 1, windowMs: -1000 })],
      ['infinite window', () => fixedWindow({ limit: 1, windowMs: Number.POSITIVE_INFINITY })],
      ['string limit', () => fixedWindow({ limit: '10' as unknown as number, windowMs: 1000 })],
      [
        'unknown option (typo)',
        () => fixedWindow({ limit: 1, windowMS: 1000 } as unknown as { limit: number; windowMs: number }),
      ],
      ['zero capacity', () => tokenBucket({ capacity: 0, refillTokens: 1, refillIntervalMs: 1000 })],
      ['zero refill', () => tokenBucket({ capacity: 1, refillTokens: 0, refillIntervalMs: 1000 })],
      [
        'refill faster than 1/µs',
        () => tokenBucket({ capacity: 1, refillTokens: 1_000_000, refillIntervalMs: 1 }),
      ],
      ['negative burst', () => gcra({ limit: 1, periodMs: 1000, burst: -1 })],
      ['zero leak', () => leakyBucket({ capacity: 1, leakPerSecond: 0 })],
      ['no options', () => fixedWindow(undefined as unknown as { limit: number; windowMs: number })],
    ];
    for (const [what, make] of bad) expect(make, what).toThrow(invalidOption);
  });

  it('limiter options', () => {
    const bad: [string, () => unknown][] = [
      [
        'no name',
        () => createRateLimiter({ algorithm } as unknown as Parameters<typeof createRateLimiter>[0]),
      ],
      ['name with spaces', () => createRateLimiter({ name: 'my api', algorithm })],
      ['neither algorithm nor policies', () => createRateLimiter({ name: 'x' })],
      [
        'both algorithm and policies',
        () => createRateLimiter({ name: 'x', algorithm, policies: [{ name: 'p', algorithm }] }),
      ],
      ['empty policies', () => createRateLimiter({ name: 'x', policies: [] })],
      [
        'duplicate policy names',
        () =>
          createRateLimiter({
            name: 'x',
            policies: [
              { name: 'p', algorithm },
              { name: 'p', algorithm },
            ],
          }),
      ],
      ['hand-made algorithm', () => createRateLimiter({ name: 'x', algorithm: { limit: 5 } as never })],
      [
        'negative block',
        () => createRateLimiter({ name: 'x', policies: [{ name: 'p', algorithm, blockDurationMs: -1 }] }),
      ],
      ['zero timeout', () => createRateLimiter({ name: 'x', algorithm, storeTimeoutMs: 0 })],
      [
        'bad failure policy',
        () => createRateLimiter({ name: 'x', algorithm, onStoreError: 'ignore' as never }),
      ],
      [
        'fallback without a limiter',
        () => createRateLimiter({ name: 'x', algorithm, onStoreError: { fallback: {} as never } }),
      ],
      ['bad mode', () => createRateLimiter({ name: 'x', algorithm, mode: 'dry-run' as never })],
      ['unknown option', () => createRateLimiter({ name: 'x', algorithm, windowMs: 5 } as never)],
      ['concurrency zero limit', () => createConcurrencyLimiter({ name: 'c', limit: 0, leaseMs: 1000 })],
      ['concurrency NaN lease', () => createConcurrencyLimiter({ name: 'c', limit: 1, leaseMs: Number.NaN })],
      ['memory store zero keys', () => createMemoryRateLimitStore({ maxKeys: 0 })],
      ['memory store unknown option', () => createMemoryRateLimitStore({ maxkeys: 10 } as never)],
      [
        'unknown policy option',
        () => createRateLimiter({ name: 'x', policies: [{ name: 'p', algorithm, blockMs: 5 } as never] }),
      ],
      ['store that is not a store', () => createRateLimiter({ name: 'x', algorithm, store: {} as never })],
      [
        'concurrency store without leases',
        () =>
          createConcurrencyLimiter({
            name: 'c',
            limit: 1,
            leaseMs: 1000,
            store: { kind: 'half', decide: async () => ({ nowMs: 0, decisions: [] }) } as never,
          }),
      ],
      ['gcra unknown option', () => gcra({ limit: 1, periodMs: 1000, bursts: 2 } as never)],
    ];
    for (const [what, make] of bad) expect(make, what).toThrow(invalidOption);
  });

  it('call arguments: cost and keys', async () => {
    const limiter = createRateLimiter({ name: 'x', algorithm });
    const costs = [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 11, '1', null];
    for (const cost of costs) {
      await expect(limiter.limit('k', { cost: cost as number }), `cost ${String(cost)}`).rejects.toThrow(
        invalidArgument,
      );
    }
    const keys = ['', 'x'.repeat(257), 42, null, undefined, ['k'], { other: 'dimension' }];
    for (const key of keys) {
      await expect(limiter.limit(key as string), `key ${JSON.stringify(key)}`).rejects.toThrow(
        invalidArgument,
      );
    }
    await expect(limiter.limit('k', 'cheap' as never)).rejects.toThrow(invalidArgument);
    const byAccount = createRateLimiter({ name: 'y', policies: [{ name: 'a', by: 'account', algorithm }] });
    await expect(byAccount.limit('just-a-string')).rejects.toThrow(/dimension `account`/);
    await expect(byAccount.limit({ account: '' })).rejects.toThrow(invalidArgument);
    const conc = createConcurrencyLimiter({ name: 'c', limit: 2, leaseMs: 1000 });
    await expect(conc.acquire('')).rejects.toThrow(invalidArgument);
    await expect(conc.acquire('k', { cost: 3 })).rejects.toThrow(invalidArgument);
  });

  it('a refused call consumed nothing', async () => {
    const limiter = createRateLimiter({ name: 'x', algorithm: fixedWindow({ limit: 2, windowMs: 1000 }) });
    await expect(limiter.limit('k', { cost: 3 })).rejects.toThrow(invalidArgument);
    expect((await limiter.peek('k')).remaining).toBe(2);
  });
});

describe('limiter behaviour', () => {
  it('emits ratelimit.requests by outcome, from which rejected/s is read', async () => {
    const clock = createManualClock(0);
    const metrics = createMemoryMetrics({ clock });
    const limiter = createRateLimiter({
      name: 'api',
      algorithm: fixedWindow({ limit: 2, windowMs: 60_000 }),
      clock,
      metrics,
    });
    for (let i = 0; i < 5; i++) await limiter.limit('k');
    expect(metrics.counterValue('ratelimit.requests', { limiter: 'api', outcome: 'allowed' })).toBe(2);
    expect(metrics.counterValue('ratelimit.requests', { limiter: 'api', outcome: 'rejected' })).toBe(3);
    clock.advance(1);
    expect(metrics.rate('ratelimit.requests', 1000, { outcome: 'rejected' })).toBe(3);
    expect(metrics.observations('ratelimit.store.duration', { limiter: 'api' })).toHaveLength(5);
  });

  it('shadow mode never denies but counts and flags what it would deny', async () => {
    const metrics = createMemoryMetrics();
    const limiter = createRateLimiter({
      name: 'dark',
      algorithm: fixedWindow({ limit: 1, windowMs: 60_000 }),
      mode: 'shadow',
      metrics,
    });
    await limiter.limit('k');
    const r = await limiter.limit('k');
    expect(r).toMatchObject({ allowed: true, shadowDenied: true, reason: 'limit' });
    expect(metrics.counterValue('ratelimit.requests', { outcome: 'rejected', mode: 'shadow' })).toBe(1);
  });

  it('a blocked key is answered from the local cache without calling the store', async () => {
    const clock = createManualClock(0);
    const { store, calls } = counting(createMemoryRateLimitStore({ clock }));
    const limiter = createRateLimiter({
      name: 'brute',
      store,
      clock,
      policies: [
        { name: 'p', algorithm: fixedWindow({ limit: 1, windowMs: 1000 }), blockDurationMs: 60_000 },
      ],
    });
    await limiter.limit('k');
    expect((await limiter.limit('k')).reason).toBe('blocked');
    const before = calls.decide;
    for (let i = 0; i < 10; i++) expect((await limiter.limit('k')).reason).toBe('blocked');
    expect(calls.decide).toBe(before);
    clock.advance(60_000);
    expect((await limiter.limit('k')).allowed).toBe(true);
    expect(calls.decide).toBe(before + 1);
  });

  it('the deciding policy: the denying one with the longest wait, else the least remaining', async () => {
    const limiter = createRateLimiter({
      name: 'pick',
      policies: [
        { name: 'second', algorithm: fixedWindow({ limit: 5, windowMs: 1000 }) },
        { name: 'minute', algorithm: fixedWindow({ limit: 2, windowMs: 60_000 }) },
      ],
    });
    expect((await limiter.limit('k')).policy).toBe('minute');
    await limiter.limit('k');
    const denied = await limiter.limit('k');
    expect(denied.policy).toBe('minute');
    expect(denied.retryAfterMs).toBeGreaterThan(1000);
  });

  it('fail-open, fail-closed and fallback when the store fails; never a 429 for a store error', async () => {
    const broken: RateLimitStore = {
      ...createMemoryRateLimitStore(),
      decideSync: undefined,
      decide: async () => {
        throw new Error('ECONNREFUSED');
      },
      reset: async () => {
        throw new Error('ECONNREFUSED');
      },
    };
    const algorithm = fixedWindow({ limit: 1, windowMs: 60_000 });
    const metrics = createMemoryMetrics();
    const open = createRateLimiter({
      name: 'open',
      algorithm,
      store: broken,
      metrics,
      onStoreError: 'fail-open',
    });
    expect(await open.limit('k')).toMatchObject({ allowed: true, reason: 'store-error', degraded: true });
    const closed = createRateLimiter({
      name: 'closed',
      algorithm,
      store: broken,
      metrics,
      onStoreError: 'fail-closed',
    });
    expect(await closed.limit('k')).toMatchObject({ allowed: false, reason: 'store-error', degraded: true });
    const fallback = createRateLimiter({ name: 'insurance', algorithm });
    const insured = createRateLimiter({
      name: 'insured',
      algorithm,
      store: broken,
      onStoreError: { fallback },
    });
    expect(await insured.limit('k')).toMatchObject({ allowed: true, degraded: true, reason: 'ok' });
    expect(await insured.limit('k')).toMatchObject({ allowed: false, degraded: true, reason: 'limit' });
    expect(metrics.counterValue('ratelimit.requests', { outcome: 'error' })).toBe(2);
    expect(metrics.counterValue('ratelimit.requests', { outcome: 'rejected' })).toBe(0);
    await expect(open.reset('k')).rejects.toMatchObject({ code: 'ERR_STORE' });
  });

  it('a store slower than storeTimeoutMs is abandoned; after 3 failures the store is skipped for a while', async () => {
    const clock = createManualClock(0);
    let calls = 0;
    const slow: RateLimitStore = {
      ...createMemoryRateLimitStore(),
      decideSync: undefined, // it stands for a remote store that hangs
      decide: () => {
        calls++;
        return new Promise(() => {}); // never answers
      },
    };
    const limiter = createRateLimiter({
      name: 'slow',
      algorithm: fixedWindow({ limit: 1, windowMs: 1000 }),
      store: slow,
      clock,
      storeTimeoutMs: 5,
      storeRetryAfterMs: 1000,
    });
    for (let i = 0; i < 3; i++) expect((await limiter.limit('k')).degraded).toBe(true);
    expect(calls).toBe(3);
    expect((await limiter.limit('k')).degraded).toBe(true);
    expect(calls).toBe(3); // circuit open: no call, no wait
    clock.advance(1000);
    await limiter.limit('k');
    expect(calls).toBe(4); // probed again
  });
});

describe('memory store bounds', () => {
  it('beyond maxKeys it evicts idle keys and keeps hot ones (CLOCK)', async () => {
    const store = createMemoryRateLimitStore({ maxKeys: 100 });
    const limiter = createRateLimiter({
      name: 'b',
      algorithm: fixedWindow({ limit: 1, windowMs: 60_000 }),
      store,
    });
    await limiter.limit('hot');
    for (let i = 0; i < 1000; i++) {
      await limiter.limit(`user-${i}`);
      await limiter.limit('hot'); // read between every insert: always spared
    }
    expect(store.size()).toBe(100);
    expect((await limiter.limit('hot')).allowed).toBe(false); // its state survived 900 evictions
    let kept = 0;
    for (let i = 0; i < 1000; i++) if ((await limiter.peek(`user-${i}`)).remaining === 0) kept++;
    expect(kept).toBeLessThan(100); // idle keys were evicted: they start fresh (documented over-admission)
  });

  it('drops expired keys as new ones arrive, without timers', async () => {
    const clock = createManualClock(0);
    const store = createMemoryRateLimitStore({ clock });
    const limiter = createRateLimiter({
      name: 'e',
      algorithm: fixedWindow({ limit: 1, windowMs: 1000 }),
      store,
      clock,
    });
    for (let i = 0; i < 50; i++) await limiter.limit(`old-${i}`);
    expect(store.size()).toBe(50);
    clock.advance(10_000); // every old key has expired
    // Only insertions grow the map, so each one moves the sweeping cursor: the expired keys go.
    for (let i = 0; i < 50; i++) await limiter.limit(`new-${i}`);
    expect(store.size()).toBeLessThanOrEqual(55);
    expect(clock.pendingSleepers()).toBe(0);
  });
});
