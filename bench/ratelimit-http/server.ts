/**
 * The server of the end-to-end rate-limit benchmark (bench/ratelimit-http/run.ts starts it as a child
 * process, one per round). A plain `node:http` server with one limited route; only the limiter differs
 * between runs. It imports the package by name, through its self-reference to the built dist/, as an app
 * would (and as examples/ do).
 *
 *   node --import tsx bench/ratelimit-http/server.ts --limiter ours|rlf --store redis|memory \
 *     [--algorithm fixed-window] [--limit 2] [--window-s 1] [--prefix p] [--redis-url redis://...]
 *
 * `GET /` reads the client key from `x-client-key`, decides, and answers 200 `ok` with
 * `RateLimit-Remaining`, or 429 with `Retry-After` (503 when the store failed). Both libraries do the
 * same work per request: one decision, the same two-field reply; no headers helper, no caching.
 * `GET /_stats` (not limited) returns the counters as JSON so the driver can count the measured part.
 * Prints `ready <port>` when listening; on SIGTERM prints `decisions <n> ...` and exits.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import {
  type Algorithm,
  createRateLimiter,
  fixedWindow,
  gcra,
  slidingWindowCounter,
  slidingWindowLog,
  tokenBucket,
} from 'backend-patterns/ratelimit';
import { createRedisRateLimitStore } from 'backend-patterns/ratelimit/redis';
import { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';

const { values } = parseArgs({
  options: {
    limiter: { type: 'string' },
    store: { type: 'string' },
    algorithm: { type: 'string', default: 'fixed-window' },
    limit: { type: 'string', default: '2' },
    'window-s': { type: 'string', default: '1' },
    prefix: { type: 'string', default: 'bench-http' },
    'redis-url': { type: 'string', default: 'redis://127.0.0.1:6379' },
  },
});

/** What one decision came to, whichever library made it. */
interface Verdict {
  /** 200, 429 or 503. */
  readonly status: number;
  readonly remaining: number;
  readonly retryAfterMs: number;
}
type Decide = (key: string) => Promise<Verdict>;

const limit = Number(values.limit);
const windowS = Number(values['window-s']);
// rate-limiter-flexible counts its duration in whole seconds; both sides get the same whole-second window.
if (!Number.isInteger(limit) || limit < 1 || !Number.isInteger(windowS) || windowS < 1) {
  throw new Error('server: --limit and --window-s must be integers >= 1');
}
const windowMs = windowS * 1000;

/** Ours, configured with the equivalent of `limit` per `windowS`. */
const algorithms: Record<string, () => Algorithm> = {
  'fixed-window': () => fixedWindow({ limit, windowMs }),
  'sliding-window-counter': () => slidingWindowCounter({ limit, windowMs }),
  'sliding-window-log': () => slidingWindowLog({ limit, windowMs }),
  'token-bucket': () => tokenBucket({ capacity: limit, refillTokens: limit, refillIntervalMs: windowMs }),
  gcra: () => gcra({ limit, periodMs: windowMs, burst: limit - 1 }),
};

function ours(redis: Redis | undefined): Decide {
  const algorithm = algorithms[values.algorithm];
  if (!algorithm) throw new Error(`server: unknown --algorithm ${values.algorithm}`);
  const limiter = createRateLimiter({
    name: 'http',
    algorithm: algorithm(),
    store: redis ? createRedisRateLimitStore({ client: redis, prefix: values.prefix }) : undefined,
    // Measure throughput, not the 50 ms deadline (rate-limiter-flexible has none); failures still count.
    storeTimeoutMs: 5000,
  });
  return async (key) => {
    const result = await limiter.limit(key);
    if (result.reason === 'store-error') return { status: 503, remaining: 0, retryAfterMs: 1000 };
    return {
      status: result.allowed ? 200 : 429,
      remaining: result.remaining,
      retryAfterMs: result.retryAfterMs,
    };
  };
}

function rlf(redis: Redis | undefined): Decide {
  if (values.algorithm !== 'fixed-window') throw new Error('server: rlf runs its fixed window only');
  const options = { points: limit, duration: windowS, keyPrefix: values.prefix };
  const limiter = redis
    ? new RateLimiterRedis({ ...options, storeClient: redis })
    : new RateLimiterMemory(options);
  return async (key) => {
    try {
      const res = await limiter.consume(key);
      return { status: 200, remaining: res.remainingPoints, retryAfterMs: 0 };
    } catch (rejection) {
      // Its documented contract: a RateLimiterRes when out of points, an Error when the store failed.
      if (rejection instanceof RateLimiterRes) {
        return { status: 429, remaining: 0, retryAfterMs: rejection.msBeforeNext };
      }
      return { status: 503, remaining: 0, retryAfterMs: 1000 };
    }
  };
}

/** No limiter: what the server itself costs, so a ratio can be read against the ceiling. */
function none(): Decide {
  return async () => ({ status: 200, remaining: limit, retryAfterMs: 0 });
}

async function connect(): Promise<Redis | undefined> {
  if (values.store === 'memory') return undefined;
  if (values.store !== 'redis') throw new Error('server: --store must be redis or memory');
  // One client, the same options for both libraries.
  const redis = new Redis(values['redis-url'], { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  return redis;
}

const counts = { decisions: 0, allowed: 0, denied: 0, errors: 0 };

function reply(res: ServerResponse, verdict: Verdict): void {
  counts.decisions++;
  if (verdict.status === 200) {
    counts.allowed++;
    res.setHeader('RateLimit-Remaining', String(Math.max(0, verdict.remaining)));
    res.end('ok\n');
    return;
  }
  if (verdict.status === 429) counts.denied++;
  else counts.errors++;
  res.statusCode = verdict.status;
  res.setHeader('Retry-After', String(Math.max(1, Math.ceil(verdict.retryAfterMs / 1000))));
  res.end(verdict.status === 429 ? 'limited\n' : 'store error\n');
}

const redis = await connect();
const builders: Record<string, (client: Redis | undefined) => Decide> = { ours, rlf, none };
const build = builders[values.limiter ?? ''];
if (!build) throw new Error('server: --limiter must be ours, rlf or none');
const decide = build(redis);

const server = createServer((req, res) => {
  if (req.url === '/_stats') {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(counts));
    return;
  }
  const key = req.headers['x-client-key'];
  if (typeof key !== 'string' || key === '') {
    res.statusCode = 400;
    res.end('x-client-key is required\n');
    return;
  }
  decide(key).then(
    (verdict) => reply(res, verdict),
    () => reply(res, { status: 503, remaining: 0, retryAfterMs: 1000 }),
  );
});
server.listen(0, '127.0.0.1', () => {
  console.log(`ready ${(server.address() as AddressInfo).port}`);
});
process.once('SIGTERM', () => {
  console.log(
    `decisions ${counts.decisions} allowed ${counts.allowed} denied ${counts.denied} errors ${counts.errors}`,
  );
  redis?.disconnect();
  process.exit(0);
});
