/**
 * Hostile configuration: every value a careless or hostile caller can hand the limiter is a typed error
 * with a stable code (never a silent allow, never an untyped TypeError), and keys JS and Redis would see
 * differently (lone surrogates, which UTF-8 encoding turns into U+FFFD) are refused on every store alike.
 */
import { describe, expect, it } from 'vitest';
import {
  createMemoryRateLimitStore,
  createRateLimiter,
  fixedWindow,
  gcra,
  leakyBucket,
  type RateLimiter,
  rateLimitHeaders,
  slidingWindowLog,
  tokenBucket,
} from '../../src/ratelimit/index.js';
import { createRedisRateLimitStore } from '../../src/ratelimit/redis.js';
import { noRedis, useRedisPrefix } from '../support/redis.js';
import { codeOf } from './fixtures/helpers.js';

const fw = fixedWindow({ limit: 2, windowMs: 1000 });
const tb = tokenBucket({ capacity: 2, refillTokens: 1, refillIntervalMs: 1000 });
const clockOf = (now: () => unknown) => ({ now, sleep: async () => {} });

const limiterWith = (extra: Record<string, unknown>) => () =>
  createRateLimiter({ name: 'h', algorithm: fw, ...extra } as never);
const withAlgorithm = (algorithm: unknown) => limiterWith({ algorithm });

const cases: readonly (readonly [string, () => unknown, string])[] = [
  ['algorithm { engine: bogus }', withAlgorithm({ engine: 'bogus', quota: 1 }), 'ERR_INVALID_OPTION'],
  [
    'algorithm limit: Infinity',
    withAlgorithm({ ...fw, limit: Infinity, quota: Infinity }),
    'ERR_INVALID_OPTION',
  ],
  ['algorithm windowMs: 0', withAlgorithm({ ...fw, windowMs: 0 }), 'ERR_INVALID_OPTION'],
  ['algorithm intervalUs: 0', withAlgorithm({ ...tb, intervalUs: 0 }), 'ERR_INVALID_OPTION'],
  ['algorithm negative limit', withAlgorithm({ ...fw, limit: -1, quota: -1 }), 'ERR_INVALID_OPTION'],
  ['algorithm fractional limit', withAlgorithm({ ...fw, limit: 1.5, quota: 1.5 }), 'ERR_INVALID_OPTION'],
  [
    'algorithm missing field',
    withAlgorithm({ kind: 'fixed-window', engine: 'fixed-window', quota: 2 }),
    'ERR_INVALID_OPTION',
  ],
  ['algorithm extra field', withAlgorithm({ ...fw, extra: 1 }), 'ERR_INVALID_OPTION'],
  ['algorithm copied by hand', withAlgorithm({ ...tb }), 'ERR_INVALID_OPTION'],
  ['algorithm null', withAlgorithm(null), 'ERR_INVALID_OPTION'],
  [
    'policy algorithm hand-built',
    limiterWith({ algorithm: undefined, policies: [{ name: 'p', algorithm: { ...fw } }] }),
    'ERR_INVALID_OPTION',
  ],
  ['metrics: {}', limiterWith({ metrics: {} }), 'ERR_INVALID_OPTION'],
  ['clock: {}', limiterWith({ clock: {} }), 'ERR_INVALID_OPTION'],
  ['clock.now() NaN at construction', limiterWith({ clock: clockOf(() => NaN) }), 'ERR_INVALID_OPTION'],
  ['clock.now() Infinity', limiterWith({ clock: clockOf(() => Infinity) }), 'ERR_INVALID_OPTION'],
  ['clock.now() a string', limiterWith({ clock: clockOf(() => '5') }), 'ERR_INVALID_OPTION'],
  ['clock.now() negative', limiterWith({ clock: clockOf(() => -1) }), 'ERR_INVALID_OPTION'],
  [
    'clock.now() throws',
    limiterWith({
      clock: clockOf(() => {
        throw new Error('x');
      }),
    }),
    'ERR_INVALID_OPTION',
  ],
  [
    'memory store clock NaN',
    () => createMemoryRateLimitStore({ clock: clockOf(() => NaN) as never }),
    'ERR_INVALID_OPTION',
  ],
  ['gcra burst: null', () => gcra({ limit: 1, periodMs: 1000, burst: null } as never), 'ERR_INVALID_OPTION'],
  [
    'tokenBucket fractional',
    () => tokenBucket({ capacity: 1.5, refillTokens: 1, refillIntervalMs: 1 }),
    'ERR_INVALID_OPTION',
  ],
  ['leakyBucket NaN', () => leakyBucket({ capacity: 1, leakPerSecond: NaN }), 'ERR_INVALID_OPTION'],
  [
    'slidingWindowLog extra',
    () => slidingWindowLog({ limit: 1, windowMs: 1, extra: 1 } as never),
    'ERR_INVALID_OPTION',
  ],
  ['onStoreError: null', limiterWith({ onStoreError: null }), 'ERR_INVALID_OPTION'],
  ['onStoreError: { fallback: {} }', limiterWith({ onStoreError: { fallback: {} } }), 'ERR_INVALID_OPTION'],
  ['options null', () => createRateLimiter(null as never), 'ERR_INVALID_OPTION'],
  ['storeTimeoutMs NaN', limiterWith({ storeTimeoutMs: NaN }), 'ERR_INVALID_OPTION'],
  ['maxKeyLength Infinity', limiterWith({ maxKeyLength: Infinity }), 'ERR_INVALID_OPTION'],
  ['localBlockCacheSize -1', limiterWith({ localBlockCacheSize: -1 }), 'ERR_INVALID_OPTION'],
  ['mode null', limiterWith({ mode: null }), 'ERR_INVALID_OPTION'],
  [
    'policy by null',
    limiterWith({ algorithm: undefined, policies: [{ name: 'p', by: null, algorithm: fw }] }),
    'ERR_INVALID_OPTION',
  ],
  [
    'limit(null)',
    () => createRateLimiter({ name: 'h', algorithm: fw }).limit(null as never),
    'ERR_INVALID_ARGUMENT',
  ],
  [
    'limit cost NaN',
    () => createRateLimiter({ name: 'h', algorithm: fw }).limit('k', { cost: NaN }),
    'ERR_INVALID_ARGUMENT',
  ],
  [
    'limit cost Infinity',
    () => createRateLimiter({ name: 'h', algorithm: fw }).limit('k', { cost: Infinity }),
    'ERR_INVALID_ARGUMENT',
  ],
  [
    'limit options null',
    () => createRateLimiter({ name: 'h', algorithm: fw }).limit('k', null as never),
    'ERR_INVALID_ARGUMENT',
  ],
  [
    'rateLimitHeaders options "x"',
    () => rateLimitHeaders({ allowed: true, policies: [] } as never, 'x' as never),
    'ERR_INVALID_ARGUMENT',
  ],
  ['rateLimitHeaders(null)', () => rateLimitHeaders(null as never), 'ERR_INVALID_ARGUMENT'],
  ['rateLimitHeaders({})', () => rateLimitHeaders({} as never), 'ERR_INVALID_ARGUMENT'],
  ['rateLimitHeaders("x")', () => rateLimitHeaders('x' as never), 'ERR_INVALID_ARGUMENT'],
  [
    'rateLimitHeaders bad policies',
    () => rateLimitHeaders({ allowed: true, policies: [null] } as never),
    'ERR_INVALID_ARGUMENT',
  ],
  [
    'rateLimitHeaders NaN retry',
    () => rateLimitHeaders({ allowed: false, policies: [], retryAfterMs: NaN } as never),
    'ERR_INVALID_ARGUMENT',
  ],
];

describe('hostile configuration of the RateLimiter', () => {
  it.each(cases)('%s is a typed error', async (_label, attempt, code) => {
    expect(await codeOf(attempt)).toBe(code);
  });

  it('a clock that turns NaN (or Infinity, or a string) after construction fails the call, never allows', async () => {
    for (const bad of [NaN, Infinity, -Infinity, '5', undefined]) {
      let reading: unknown = 1_800_000_000_000;
      const limiter = createRateLimiter({ name: 'h', algorithm: fw, clock: clockOf(() => reading) as never });
      reading = bad;
      expect(await codeOf(() => limiter.limit('k'))).toBe('ERR_INVALID_OPTION');
      expect(await codeOf(() => limiter.peek('k'))).toBe('ERR_INVALID_OPTION');
    }
  });

  it('a clock going back a long way is tolerated: no error, at most one fresh quota', async () => {
    const algorithms = [
      fw,
      tb,
      slidingWindowLog({ limit: 2, windowMs: 1000 }),
      gcra({ limit: 2, periodMs: 1000, burst: 1 }),
    ];
    for (const algorithm of algorithms) {
      let now = 1_800_000_000_000;
      const limiter = createRateLimiter({ name: 'h', algorithm, clock: clockOf(() => now) as never });
      let admitted = 0;
      for (let i = 0; i < 3; i++) if ((await limiter.limit('k')).allowed) admitted++;
      now = 1_000; // decades back
      for (let i = 0; i < 3; i++) if ((await limiter.limit('k')).allowed) admitted++;
      expect(admitted).toBeLessThanOrEqual(2 * algorithm.quota);
    }
  });

  it('a memory store whose own clock turns NaN fails the call too', async () => {
    let reading = 1_800_000_000_000;
    const store = createMemoryRateLimitStore({ clock: clockOf(() => reading) as never });
    const limiter = createRateLimiter({ name: 'h', algorithm: fw, store });
    reading = NaN;
    expect(await codeOf(() => limiter.limit('k'))).toBe('ERR_INVALID_OPTION');
  });

  it('a store answering at a non-finite time is a malformed answer: a store failure, not an allow', async () => {
    const store = {
      decide: async () => ({
        nowMs: Number.NaN,
        decisions: [
          { allowed: true, remaining: 1, resetAfterMs: 0, retryAfterMs: 0, delayMs: 0, blocked: false },
        ],
      }),
      reset: async () => {},
    };
    const closed = createRateLimiter({
      name: 'h',
      algorithm: fw,
      store: store as never,
      onStoreError: 'fail-closed',
    });
    const denied = await closed.limit('k');
    expect({ allowed: denied.allowed, reason: denied.reason }).toEqual({
      allowed: false,
      reason: 'store-error',
    });
  });

  it('factory-made algorithms still pass, shared between limiters', async () => {
    const a = createRateLimiter({ name: 'a', algorithm: tb });
    const b = createRateLimiter({ name: 'b', policies: [{ name: 'p', algorithm: tb }] });
    expect((await a.limit('k')).allowed).toBe(true);
    expect((await b.limit('k')).allowed).toBe(true);
  });
});

/** Lone surrogates: the same refusal on every store, so no two JS keys can share a Redis key. */
function surrogateSuite(label: string, make: () => RateLimiter) {
  it(`${label}: keys with lone surrogates are ERR_INVALID_ARGUMENT; well-formed pairs are fine`, async () => {
    const limiter = make();
    for (const key of ['\uD800', 'a\uDC00b', '\uDFFF\uD800', 'x\uD83D']) {
      expect(await codeOf(() => limiter.limit(key))).toBe('ERR_INVALID_ARGUMENT');
      expect(await codeOf(() => limiter.peek(key))).toBe('ERR_INVALID_ARGUMENT');
      expect(await codeOf(() => limiter.reset(key))).toBe('ERR_INVALID_ARGUMENT');
      expect(await codeOf(() => limiter.limit({ key } as never))).toBe('ERR_INVALID_ARGUMENT');
    }
    // '\uFFFD' is what Redis would have stored for a lone surrogate: it stays a key of its own.
    expect((await limiter.limit('\uFFFD')).remaining).toBe(1);
    expect((await limiter.limit('😀')).remaining).toBe(1);
    expect((await limiter.limit('😀')).remaining).toBe(0);
  });
}

describe('lone surrogates in keys', () => {
  surrogateSuite('memory', () =>
    createRateLimiter({ name: 'sur', algorithm: fixedWindow({ limit: 2, windowMs: 60_000 }) }),
  );
  describe.skipIf(noRedis)('redis', () => {
    const { client, prefix } = useRedisPrefix('rl-hostile');
    it('a Redis store clock: NaN at construction is refused; NaN later is a store failure, never a plain allow', async () => {
      expect(
        await codeOf(() => createRedisRateLimitStore({ client, prefix, clock: clockOf(() => NaN) as never })),
      ).toBe('ERR_INVALID_OPTION');
      let reading = 1_800_000_000_000;
      const store = createRedisRateLimitStore({ client, prefix, clock: clockOf(() => reading) as never });
      const make = (onStoreError: 'fail-open' | 'fail-closed') =>
        createRateLimiter({
          name: `clk-${onStoreError}`,
          algorithm: fw,
          store,
          storeTimeoutMs: 5000,
          onStoreError,
        });
      const open = make('fail-open');
      const closed = make('fail-closed');
      reading = NaN;
      const opened = await open.limit('k');
      expect({ reason: opened.reason, degraded: opened.degraded }).toEqual({
        reason: 'store-error',
        degraded: true,
      });
      expect((await closed.limit('k')).allowed).toBe(false);
    });
    surrogateSuite('redis', () =>
      createRateLimiter({
        name: 'sur',
        algorithm: fixedWindow({ limit: 2, windowMs: 60_000 }),
        store: createRedisRateLimitStore({ client, prefix }),
        storeTimeoutMs: 5000,
      }),
    );
  });
  it('memory, multi-policy limiter by object key', async () => {
    const limiter = createRateLimiter({
      name: 'sur2',
      policies: [
        { name: 'u', by: 'user', algorithm: fw },
        { name: 'i', by: 'ip', algorithm: fw },
      ],
    });
    expect(await codeOf(() => limiter.limit({ user: 'ok', ip: 'a\uDC00' }))).toBe('ERR_INVALID_ARGUMENT');
  });
});
