import {
  createConcurrencyLimiter,
  createMemoryRateLimitStore,
  createRateLimiter,
  fixedWindow,
  type RateLimitStore,
  slidingWindowLog,
  tokenBucket,
} from 'backend-patterns/ratelimit';
import { createRedisRateLimitStore } from 'backend-patterns/ratelimit/redis';
import { createManualClock } from 'backend-patterns/testing';
import { Redis } from 'ioredis';
import type { DemoSection } from '../types.js';

const verdicts = (rs: readonly { allowed: boolean }[]) =>
  rs.map((r) => (r.allowed ? 'allow' : 'DENY')).join(' ');

export const ratelimitSection: DemoSection = {
  title: 'RateLimiter',
  problem: 'protect APIs from abuse and overload: windows, buckets, per-user + global limits, Redis failure',
  async run({ redis, metrics, prefix, step }) {
    const clock = createManualClock(Date.UTC(2026, 0, 1, 12, 0, 0));
    // With --redis, decisions run in Redis on the demo's manual clock (a test-only option) so output is stable.
    const store = (): RateLimitStore =>
      redis
        ? createRedisRateLimitStore({ client: redis, prefix, clock })
        : createMemoryRateLimitStore({ clock });

    const edge = async (
      algorithm: Parameters<typeof createRateLimiter>[0]['algorithm'],
      name: string,
      minute: number,
    ) => {
      const limiter = createRateLimiter({ name, algorithm, store: store(), clock, metrics });
      clock.set(Date.UTC(2026, 0, 1, 12, minute, 59, 900));
      const before = await Promise.all(Array.from({ length: 5 }, () => limiter.limit('alice')));
      clock.advance(200); // across the minute boundary
      const after = await Promise.all(Array.from({ length: 5 }, () => limiter.limit('alice')));
      return `${verdicts(before)} | ${verdicts(after)}`;
    };
    step(
      '5/min fixed window: 5 requests at 12:00:59.9, 5 more at 12:01:00.1',
      `${await edge(fixedWindow({ limit: 5, windowMs: 60_000 }), 'demo-fixed', 0)}  (10 in 200 ms: the burst at the edge)`,
    );
    step(
      'same traffic a minute later, 5/min sliding log (strict)',
      `${await edge(slidingWindowLog({ limit: 5, windowMs: 60_000 }), 'demo-log', 1)}  (never more than 5 in any minute)`,
    );

    const bucket = createRateLimiter({
      name: 'demo-bucket',
      algorithm: tokenBucket({ capacity: 3, refillTokens: 1, refillIntervalMs: 1000 }),
      store: store(),
      clock,
      metrics,
    });
    const burst = await Promise.all(Array.from({ length: 4 }, () => bucket.limit('bob')));
    clock.advance(1000);
    step(
      'token bucket (burst 3, 1/s): 4 at once, then 1 after a second',
      `${verdicts(burst)} | ${verdicts([await bucket.limit('bob')])}; the denial says retry after ${burst[3]?.retryAfterMs} ms`,
    );

    const api = createRateLimiter({
      name: 'demo-api',
      store: store(),
      clock,
      metrics,
      policies: [
        { name: 'per-user', algorithm: fixedWindow({ limit: 10, windowMs: 1000 }) },
        { name: 'global', by: 'global', algorithm: fixedWindow({ limit: 3, windowMs: 1000 }) },
      ],
    });
    const users = await Promise.all(['u1', 'u2', 'u3', 'u4'].map((u) => api.limit(u)));
    const fourth = users[3];
    step(
      'per-user 10/s + global 3/s, one request each from u1..u4',
      `${verdicts(users)}; u4 denied by "${fourth?.policy}", its per-user counter untouched (remaining ${fourth?.policies[0]?.remaining}/10)`,
    );

    const exports = createConcurrencyLimiter({
      name: 'demo-exports',
      limit: 2,
      leaseMs: 30_000,
      store: store(),
      clock,
      metrics,
    });
    const slots = await Promise.all([
      exports.acquire('acme'),
      exports.acquire('acme'),
      exports.acquire('acme'),
    ]);
    await slots[0]?.lease?.release();
    step(
      'concurrency 2 per tenant: 3 exports start, one finishes, another starts',
      `${verdicts(slots)} → after release: ${verdicts([await exports.acquire('acme')])}`,
    );

    // A real client aimed at a closed port: the store fails for real (connection refused).
    const dead = new Redis('redis://127.0.0.1:1', {
      lazyConnect: true,
      enableOfflineQueue: false,
      retryStrategy: () => null,
    });
    dead.on('error', () => {});
    const deadStore = createRedisRateLimitStore({ client: dead, prefix });
    for (const onStoreError of ['fail-open', 'fail-closed'] as const) {
      const limiter = createRateLimiter({
        name: `demo-${onStoreError}`,
        algorithm: fixedWindow({ limit: 100, windowMs: 1000 }),
        store: deadStore,
        onStoreError,
        metrics,
      });
      const r = await limiter.limit('carol');
      step(
        `Redis unreachable, onStoreError '${onStoreError}'`,
        `allowed=${r.allowed} reason=${r.reason} → answer HTTP ${r.allowed ? '200 (served unthrottled)' : '503 (not 429: not the client’s fault)'}`,
      );
    }
    dead.disconnect();
    step(
      'metric: rejected per second over the last minute',
      `${metrics.rate('ratelimit.requests', 60_000, { outcome: 'rejected' }).toFixed(2)}/s (ratelimit.requests{outcome="rejected"})`,
    );
  },
};
