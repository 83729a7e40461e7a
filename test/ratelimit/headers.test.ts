import { describe, expect, it } from 'vitest';
import {
  createRateLimiter,
  fixedWindow,
  type LimitResult,
  rateLimitHeaders,
  tokenBucket,
} from '../../src/ratelimit/index.js';
import { createManualClock } from '../../src/testing/index.js';

describe('rateLimitHeaders', () => {
  it('emits the IETF draft structured fields for every policy, and Retry-After on denial', async () => {
    const clock = createManualClock(1_800_000_000_000);
    const limiter = createRateLimiter({
      name: 'api',
      clock,
      policies: [
        {
          name: 'per-user',
          algorithm: tokenBucket({ capacity: 2, refillTokens: 1, refillIntervalMs: 1000 }),
        },
        { name: 'global', by: 'global', algorithm: fixedWindow({ limit: 100, windowMs: 60_000 }) },
      ],
    });
    const first = await limiter.limit('u1');
    expect(rateLimitHeaders(first)).toEqual({
      'RateLimit-Policy': '"per-user";q=2;w=2, "global";q=100;w=60',
      RateLimit: '"per-user";r=1;t=1, "global";r=99;t=60',
    });
    await limiter.limit('u1');
    clock.advance(250);
    const denied = await limiter.limit('u1');
    expect(denied.allowed).toBe(false);
    expect(rateLimitHeaders(denied, { legacy: true })).toEqual({
      'RateLimit-Policy': '"per-user";q=2;w=2, "global";q=100;w=60',
      RateLimit: '"per-user";r=0;t=2, "global";r=98;t=60',
      'Retry-After': '1',
      'X-RateLimit-Limit': '2',
      'X-RateLimit-Remaining': '0',
      'X-RateLimit-Reset': String(Math.ceil(denied.resetAtMs / 1000)),
    });
  });

  it('a store-error result carries no quota figures, only Retry-After when denied', () => {
    const failedClosed: LimitResult = {
      allowed: false,
      limit: 10,
      remaining: 0,
      resetAtMs: 0,
      retryAfterMs: 1000,
      delayMs: 0,
      policy: 'p',
      policies: [],
      reason: 'store-error',
      shadowDenied: false,
      degraded: true,
    };
    expect(rateLimitHeaders(failedClosed)).toEqual({ 'Retry-After': '1' });
    expect(rateLimitHeaders({ ...failedClosed, allowed: true })).toEqual({});
  });
});
