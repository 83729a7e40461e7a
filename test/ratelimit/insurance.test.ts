/**
 * Safe defaults, in process: the insurance limiter (the default `onStoreError`), the store guard's
 * timeout-versus-outage outcomes, the single probe of an open circuit, and hostile insurance options.
 * The stores here stand for a remote store that fails, hangs or answers when the test says so (wrapping
 * the real memory store); the real-Redis side of the same claims is test/ratelimit/safe-defaults.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { StoreError } from '../../src/core/errors.js';
import {
  type Algorithm,
  createConcurrencyLimiter,
  createMemoryRateLimitStore,
  createRateLimiter,
  type DecideRequest,
  type DecideResponse,
  fixedWindow,
  gcra,
  leakyBucket,
  type RateLimiterOptions,
  type RateLimitStore,
  slidingWindowCounter,
  slidingWindowLog,
  tokenBucket,
} from '../../src/ratelimit/index.js';
import { createManualClock, createMemoryMetrics } from '../../src/testing/index.js';
import { codeOf } from './fixtures/helpers.js';

/** A store whose every call fails as a connection would (refused). */
function brokenStore(): RateLimitStore & { calls: number } {
  const refused = () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:1'));
  const store = {
    ...createMemoryRateLimitStore(),
    decideSync: undefined,
    calls: 0,
    decide() {
      store.calls++;
      return refused();
    },
    acquireLease() {
      store.calls++;
      return refused();
    },
    reset: refused,
  };
  return store;
}

/**
 * A remote-like store over the memory store whose answers the test releases: `hold` keeps every new call
 * pending until `release()` (or forever), so a test decides which calls answer, and when.
 */
function gatedStore() {
  const memory = createMemoryRateLimitStore();
  const held: (() => void)[] = [];
  const state = { calls: 0, hold: true };
  const store: RateLimitStore = {
    ...memory,
    decideSync: undefined,
    decide(request: DecideRequest): Promise<DecideResponse> {
      state.calls++;
      if (!state.hold) return memory.decide(request);
      return new Promise((resolve) => held.push(() => resolve(memory.decideSync(request))));
    },
  };
  /** Answers the oldest held call (or all of them). */
  const release = (all = false) => {
    for (let n = all ? held.length : 1; n > 0 && held.length > 0; n--) held.shift()?.();
  };
  return { store, state, release };
}

/** Real milliseconds: the deadlines of the guard are real time (they judge a real socket). */
const realMs = (ms: number) => new Promise((r) => setTimeout(r, ms));

const admitted = async (limit: () => Promise<{ allowed: boolean }>, calls: number) => {
  let n = 0;
  for (let i = 0; i < calls; i++) if ((await limit()).allowed) n++;
  return n;
};

describe('the insurance limiter (default onStoreError)', () => {
  it('answers from a per-process memory limiter at 0.1 of the quota, degraded, counted', async () => {
    const metrics = createMemoryMetrics();
    const limiter = createRateLimiter({
      name: 'ins',
      algorithm: fixedWindow({ limit: 50, windowMs: 60_000 }),
      store: brokenStore(),
      metrics,
      storeRetryAfterMs: 0, // every call reaches the broken store: the answers are all insurance ones
    });
    const results = await Promise.all(Array.from({ length: 8 }, () => limiter.limit('k')));
    expect(results.filter((r) => r.allowed)).toHaveLength(5); // floor(50 × 0.1)
    expect(results[0]).toMatchObject({ allowed: true, reason: 'ok', degraded: true, limit: 5 });
    expect(results[7]).toMatchObject({ allowed: false, reason: 'limit', degraded: true });
    expect(results[7]?.retryAfterMs).toBeGreaterThan(0);
    expect(metrics.counterValue('ratelimit.requests', { outcome: 'error' })).toBe(8);
    expect(metrics.counterValue('ratelimit.insurance.decisions', { outcome: 'allowed' })).toBe(5);
    expect(metrics.counterValue('ratelimit.insurance.decisions', { outcome: 'rejected' })).toBe(3);
    expect(await limiter.peek('k')).toMatchObject({ allowed: false, degraded: true, remaining: 0 });
    await expect(limiter.reset('k')).rejects.toMatchObject({ code: 'ERR_STORE' });
    // reset cleared the insurance state before the store refused: the key starts fresh there
    expect((await limiter.limit('k')).remaining).toBe(4);
  });

  const share = 0.25;
  const cases: [string, Algorithm, number][] = [
    ['fixed window', fixedWindow({ limit: 40, windowMs: 60_000 }), 10],
    ['sliding log', slidingWindowLog({ limit: 40, windowMs: 60_000 }), 10],
    ['sliding counter', slidingWindowCounter({ limit: 40, windowMs: 60_000 }), 10],
    ['token bucket', tokenBucket({ capacity: 40, refillTokens: 4, refillIntervalMs: 1000 }), 10],
    ['gcra', gcra({ limit: 4, periodMs: 1000, burst: 39 }), 10],
    ['leaky bucket', leakyBucket({ capacity: 40, leakPerSecond: 4 }), 10],
    ['a quota below 1 / share', fixedWindow({ limit: 3, windowMs: 60_000 }), 1],
  ];
  for (const [label, algorithm, expected] of cases) {
    it(`${label}: admits exactly max(1, floor(quota × share)) at once, and refills at share of the rate`, async () => {
      const clock = createManualClock(1_000_000);
      const limiter = createRateLimiter({
        name: 'scaled',
        algorithm,
        clock,
        store: brokenStore(),
        insurance: { share },
      });
      expect(await admitted(() => limiter.limit('k'), 60)).toBe(expected);
      if (algorithm.engine === 'virtual-scheduling') {
        clock.advance(1000); // full rate 4/s: the insurance earns 1 per second
        expect(await admitted(() => limiter.limit('k'), 10)).toBe(1);
      }
    });
  }

  it('keeps policies, dimensions and penalties; a cost above the insurance quota is a denial', async () => {
    const limiter = createRateLimiter({
      name: 'multi',
      policies: [
        { name: 'user', by: 'user', algorithm: fixedWindow({ limit: 30, windowMs: 60_000 }) },
        {
          name: 'global',
          by: 'global',
          algorithm: fixedWindow({ limit: 100, windowMs: 60_000 }),
          blockDurationMs: 60_000,
        },
      ],
      store: brokenStore(),
    });
    expect(await admitted(() => limiter.limit({ user: 'a' }), 10)).toBe(3); // user: floor(30 × 0.1)
    expect(await admitted(() => limiter.limit({ user: 'b' }), 10)).toBe(3);
    expect(await admitted(() => limiter.limit({ user: 'c' }), 10)).toBe(3);
    expect((await limiter.limit({ user: 'd' })).allowed).toBe(true); // the global insurance quota: 10 of 10
    expect(await limiter.limit({ user: 'e' }, { cost: 2 })).toMatchObject({ allowed: false, degraded: true });
    expect((await limiter.limit({ user: 'f' })).reason).toBe('blocked'); // the global penalty runs there too
    const fat = await limiter.limit({ user: 'g' }, { cost: 20 }); // above the insurance quota 3: denied
    expect(fat).toMatchObject({ allowed: false, degraded: true });
  });

  it('shadow mode lets an insurance denial through and says so', async () => {
    const limiter = createRateLimiter({
      name: 'shadow',
      algorithm: fixedWindow({ limit: 10, windowMs: 60_000 }),
      store: brokenStore(),
      mode: 'shadow',
    });
    expect(await limiter.limit('k')).toMatchObject({ allowed: true, shadowDenied: false, degraded: true });
    expect(await limiter.limit('k')).toMatchObject({ allowed: true, shadowDenied: true, degraded: true });
  });

  it('fail-open, fail-closed and fallback stay available', async () => {
    const algorithm = fixedWindow({ limit: 10, windowMs: 60_000 });
    const make = (extra: Partial<RateLimiterOptions>) =>
      createRateLimiter({ name: 'p', algorithm, store: brokenStore(), ...extra });
    expect(await make({ onStoreError: 'fail-open' }).limit('k')).toMatchObject({
      allowed: true,
      reason: 'store-error',
      degraded: true,
    });
    expect(await make({ onStoreError: 'fail-closed' }).limit('k')).toMatchObject({
      allowed: false,
      reason: 'store-error',
    });
    const fallback = createRateLimiter({ name: 'f', algorithm: fixedWindow({ limit: 1, windowMs: 1000 }) });
    expect(await make({ onStoreError: { fallback } }).limit('k')).toMatchObject({
      allowed: true,
      degraded: true,
    });
  });
});

describe('the store guard: timeout versus outage, and the single probe', () => {
  const limiterOn = (store: RateLimitStore, storeTimeoutMs = 10) => {
    const metrics = createMemoryMetrics();
    const clock = createManualClock(0);
    const limiter = createRateLimiter({
      name: 'g',
      algorithm: fixedWindow({ limit: 1000, windowMs: 60_000 }),
      store,
      metrics,
      clock,
      storeTimeoutMs,
    });
    return { metrics, clock, limiter };
  };
  const opened = (metrics: ReturnType<typeof createMemoryMetrics>) =>
    metrics.counterValue('ratelimit.store.circuit', { state: 'open' });

  it('a burst at a silent store is one silence, not 200 failures; three silent deadlines open the circuit', async () => {
    const { store, state } = gatedStore();
    const { limiter, metrics } = limiterOn(store);
    const burst = await Promise.all(Array.from({ length: 200 }, () => limiter.limit('k')));
    expect(burst.every((r) => r.degraded)).toBe(true);
    expect(opened(metrics)).toBe(0); // the hand-written guard counted 200 failures here and opened
    await limiter.limit('k'); // a second silent deadline
    expect(opened(metrics)).toBe(0);
    await limiter.limit('k'); // the third
    expect(opened(metrics)).toBe(1);
    const before = state.calls;
    expect(await limiter.limit('other')).toMatchObject({ allowed: true, degraded: true }); // insurance, at once
    expect(state.calls).toBe(before); // the open circuit did not touch the store
  });

  it('a store answering every call late, but answering, is slow, not down: the circuit stays closed', async () => {
    const { store, state, release } = gatedStore();
    const { limiter, metrics } = limiterOn(store);
    let previous = limiter.limit('k');
    expect((await previous).degraded).toBe(true); // a silent deadline: one failure
    for (let call = 1; call < 12; call++) {
      previous = limiter.limit('k');
      release(); // the call before this one answers now, late, during this one's deadline
      expect((await previous).degraded).toBe(true); // this one misses its deadline too: neutral
    }
    expect(opened(metrics)).toBe(0); // every call timed out; the hand-written guard opened after 3
    expect(state.calls).toBe(12); // and every call went to the store
  });

  it('late answers between silent deadlines prove the store alive: the silences never add up', async () => {
    const { store, release } = gatedStore();
    const { limiter, metrics } = limiterOn(store);
    for (let round = 0; round < 6; round++) {
      expect((await limiter.limit('k')).degraded).toBe(true); // a silent deadline: one failure
      release(); // then its answer arrives, late
      await realMs(0);
    }
    expect(opened(metrics)).toBe(0);
  });

  it('open: insurance at once without the store; after the period exactly one probe; its success closes', async () => {
    const { store, state, release } = gatedStore();
    // A long deadline, so the held probe cannot time out while the test is busy (no timing assumed).
    const { limiter, metrics, clock } = limiterOn(store, 300);
    for (let i = 0; i < 3; i++) await limiter.limit('k');
    expect(opened(metrics)).toBe(1);
    release(true); // late answers while open change nothing
    const callsWhenOpened = state.calls;
    for (let i = 0; i < 20; i++) expect((await limiter.limit('k')).degraded).toBe(true);
    expect(state.calls).toBe(callsWhenOpened);

    clock.advance(1000); // storeRetryAfterMs
    const probe = limiter.limit('k'); // held by the store: the probe is out
    const others = await Promise.all(Array.from({ length: 50 }, () => limiter.limit('k')));
    expect(others.every((r) => r.degraded)).toBe(true); // insurance answers, none waited for the probe
    expect(state.calls).toBe(callsWhenOpened + 1); // exactly one call reached the store
    release();
    expect((await probe).degraded).toBe(false);
    expect(metrics.counterValue('ratelimit.store.circuit', { state: 'closed' })).toBe(1);
    state.hold = false;
    expect((await limiter.limit('k')).degraded).toBe(false);
    expect(state.calls).toBe(callsWhenOpened + 2);
  });

  it('connection errors are failures: three open the circuit; replies of the wrong shape never do', async () => {
    const broken = brokenStore();
    const { limiter, metrics } = limiterOn(broken);
    for (let i = 0; i < 5; i++) await limiter.limit('k');
    expect(broken.calls).toBe(3);
    expect(opened(metrics)).toBe(1);

    let calls = 0;
    const malformed: RateLimitStore = {
      ...createMemoryRateLimitStore(),
      decideSync: undefined,
      decide: async () => {
        calls++;
        throw new StoreError('unexpected reply from redis script ratelimit-decide: [1]: expected integer');
      },
    };
    const shape = limiterOn(malformed);
    for (let i = 0; i < 10; i++) expect((await shape.limiter.limit('k')).degraded).toBe(true);
    expect(opened(shape.metrics)).toBe(0);
    expect(calls).toBe(10);
  });
});

describe('the concurrency limiter shares the guard; its insurance is a per-process lease set', () => {
  it('insurance slots: max(1, floor(limit × share)), released in the insurance store', async () => {
    const broken = brokenStore();
    const metrics = createMemoryMetrics();
    const slots = createConcurrencyLimiter({
      name: 'c',
      limit: 20,
      leaseMs: 60_000,
      store: broken,
      metrics,
      storeRetryAfterMs: 0,
    });
    const first = await slots.acquire('k');
    const second = await slots.acquire('k');
    const third = await slots.acquire('k');
    expect(first).toMatchObject({ allowed: true, degraded: true, reason: 'ok', limit: 2 });
    expect(second.allowed).toBe(true);
    expect(third).toMatchObject({ allowed: false, degraded: true, reason: 'limit' });
    expect(await first.lease?.release()).toBe(true); // in the insurance store, not the broken one
    expect((await slots.acquire('k')).allowed).toBe(true);
    expect((await slots.acquire('k', { cost: 5 })).allowed).toBe(false); // above the 2 insurance slots
    expect(broken.calls).toBe(5);
    expect(metrics.counterValue('ratelimit.insurance.decisions', { outcome: 'allowed' })).toBe(3);
  });

  it('the same circuit: three silent deadlines stop the calls; fail-open and fail-closed say degraded', async () => {
    const clock = createManualClock(0);
    let calls = 0;
    const hung: RateLimitStore = {
      ...createMemoryRateLimitStore(),
      acquireLease: () => {
        calls++;
        return new Promise(() => {});
      },
    };
    const open = createConcurrencyLimiter({
      name: 'h',
      limit: 5,
      leaseMs: 1000,
      store: hung,
      clock,
      storeTimeoutMs: 5,
      onStoreError: 'fail-open',
    });
    for (let i = 0; i < 5; i++) {
      expect(await open.acquire('k')).toMatchObject({ allowed: true, reason: 'store-error', degraded: true });
    }
    expect(calls).toBe(3);
    const closed = createConcurrencyLimiter({
      name: 'x',
      limit: 5,
      leaseMs: 1000,
      store: brokenStore(),
      onStoreError: 'fail-closed',
    });
    expect(await closed.acquire('k')).toMatchObject({
      allowed: false,
      reason: 'store-error',
      degraded: true,
    });
  });
});

describe('hostile insurance options are refused with ERR_INVALID_OPTION', () => {
  const algorithm = fixedWindow({ limit: 10, windowMs: 1000 });
  const rate = (extra: Record<string, unknown>) => () =>
    createRateLimiter({ name: 'h', algorithm, ...extra } as never);
  const slots = (extra: Record<string, unknown>) => () =>
    createConcurrencyLimiter({ name: 'h', limit: 4, leaseMs: 1000, ...extra } as never);
  const bad: [string, Record<string, unknown>][] = [
    ['share 0', { insurance: { share: 0 } }],
    ['share negative', { insurance: { share: -0.5 } }],
    ['share NaN', { insurance: { share: Number.NaN } }],
    ['share above 1', { insurance: { share: 1.5 } }],
    ['share Infinity', { insurance: { share: Number.POSITIVE_INFINITY } }],
    ['share a string', { insurance: { share: '0.5' } }],
    ['share null', { insurance: { share: null } }],
    ['share an object', { insurance: { share: { valueOf: () => 0.5 } } }],
    ['insurance a number', { insurance: 0.5 }],
    ['insurance null', { insurance: null }],
    ['insurance an array', { insurance: [0.5] }],
    ['an unknown insurance option', { insurance: { processes: 8 } }],
    ['insurance with fail-open', { onStoreError: 'fail-open', insurance: { share: 0.5 } }],
    ['insurance with fail-closed', { onStoreError: 'fail-closed', insurance: {} }],
    ['a misspelt policy', { onStoreError: 'insurence' }],
    ['a policy of the wrong type', { onStoreError: 1 }],
  ];
  for (const [label, extra] of bad) {
    it(label, async () => {
      expect(await codeOf(rate(extra))).toBe('ERR_INVALID_OPTION');
      expect(await codeOf(slots(extra))).toBe('ERR_INVALID_OPTION');
    });
  }
  it('the message names the option without echoing the value', async () => {
    expect(() => rate({ insurance: { share: 'secret-token' } })()).toThrow(
      /`insurance.share` must be a number in \(0, 1\]/,
    );
    expect(() => rate({ insurance: { share: 'secret-token' } })()).not.toThrow(/secret-token/);
  });
  it('share 1 and a tiny share are accepted (a tiny one still admits 1 per process)', async () => {
    const tiny = createRateLimiter({
      name: 't',
      algorithm,
      store: brokenStore(),
      insurance: { share: 1e-9 },
    });
    expect(await admitted(() => tiny.limit('k'), 5)).toBe(1);
    const whole = createRateLimiter({ name: 'w', algorithm, store: brokenStore(), insurance: { share: 1 } });
    expect(await admitted(() => whole.limit('k'), 20)).toBe(10);
  });
});
