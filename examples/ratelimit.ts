/**
 * RateLimiter wired into a plain node:http server: per-user token bucket + global fixed window, the IETF
 * RateLimit headers, 429 with Retry-After for limits and 503 for store errors. The script sends its own
 * traffic over loopback, prints what came back, and stops.
 *
 *   npm run example -- ratelimit            # memory store
 *   npm run example -- ratelimit --redis    # Redis store (REDIS_URL or redis://127.0.0.1:6379)
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRateLimiter, fixedWindow, rateLimitHeaders, tokenBucket } from 'backend-patterns/ratelimit';
import { createRedisRateLimitStore } from 'backend-patterns/ratelimit/redis';
import { createMemoryMetrics } from 'backend-patterns/testing';
import { Redis } from 'ioredis';

const redis = process.argv.includes('--redis')
  ? new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', {
      lazyConnect: true,
      enableOfflineQueue: false, // fail fast while disconnected instead of queueing a flood
      maxRetriesPerRequest: 1,
    })
  : undefined;
await redis?.connect();
const metrics = createMemoryMetrics();

const limiter = createRateLimiter({
  name: 'example-api',
  policies: [
    { name: 'per-user', algorithm: tokenBucket({ capacity: 5, refillTokens: 2, refillIntervalMs: 1000 }) },
    { name: 'global', by: 'global', algorithm: fixedWindow({ limit: 100, windowMs: 60_000 }) },
  ],
  store: redis ? createRedisRateLimitStore({ client: redis, prefix: `example-${process.pid}` }) : undefined,
  onStoreError: 'fail-open',
  metrics,
});

const server = createServer(async (req, res) => {
  // Key by the authenticated user; here a header stands in for your auth middleware.
  const user = String(req.headers['x-user'] ?? 'anonymous');
  const result = await limiter.limit(user);
  for (const [field, value] of Object.entries(rateLimitHeaders(result))) res.setHeader(field, value);
  if (!result.allowed) {
    res.statusCode = result.reason === 'store-error' ? 503 : 429;
    res.end(`${result.reason}\n`);
    return;
  }
  res.end('ok\n');
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const { port } = server.address() as AddressInfo;

console.log(
  `server on 127.0.0.1:${port} (${redis ? 'Redis' : 'memory'} store); alice sends 7 requests at once:`,
);
for (let i = 1; i <= 7; i++) {
  const response = await fetch(`http://127.0.0.1:${port}/`, { headers: { 'x-user': 'alice' } });
  const retry = response.headers.get('retry-after');
  console.log(
    `  #${i} ${response.status}  RateLimit: ${response.headers.get('ratelimit')}${retry ? `  Retry-After: ${retry}` : ''}`,
  );
}
const bob = await fetch(`http://127.0.0.1:${port}/`, { headers: { 'x-user': 'bob' } });
console.log(`bob is limited separately: ${bob.status}`);
console.log('after 1 s alice has earned 2 tokens back:');
await new Promise((r) => setTimeout(r, 1000));
for (let i = 1; i <= 3; i++) {
  const response = await fetch(`http://127.0.0.1:${port}/`, { headers: { 'x-user': 'alice' } });
  console.log(`  #${i} ${response.status}`);
}
console.log(
  `metric ratelimit.requests: allowed=${metrics.counterValue('ratelimit.requests', { outcome: 'allowed' })}, rejected=${metrics.counterValue('ratelimit.requests', { outcome: 'rejected' })}, error=${metrics.counterValue('ratelimit.requests', { outcome: 'error' })}`,
);
server.close();
redis?.disconnect();
