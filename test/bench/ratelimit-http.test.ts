/**
 * The end-to-end rate-limit bench's moving parts, without measuring anything: the wrk output parser, the
 * settings, and the server (both libraries, memory and Redis) answering 200 / 429 / 400 and counting, on
 * good and hostile input. The figures themselves come only from `npm run bench`.
 */
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { httpBenchSettings } from '../../bench/ratelimit-http/rounds.js';
import { type ServerConfig, startServer } from '../../bench/ratelimit-http/server-process.js';
import { durationMs, parseWrk, requireWrk } from '../../bench/ratelimit-http/wrk.js';
import { useEnvPrefix } from '../support/env.js';
import { noRedis, redisUrl, useRedisPrefix } from '../support/redis.js';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../..');

const SAMPLE = `Running 10s test @ http://127.0.0.1:39379/
  1 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     2.72ms    7.50ms  73.91ms   96.36%
    Req/Sec    47.97k    19.40k   64.90k    81.82%
  Latency Distribution
     50%  950.00us
     75%    1.49ms
     90%    3.25ms
     99%    1.02s
  52298 requests in 10.10s, 8.03MB read
  Socket errors: connect 1, read 2, write 3, timeout 4
  Non-2xx or 3xx responses: 5227
Requests/sec:   5178.07
Transfer/sec:      7.30MB
`;

describe('wrk output', () => {
  it('reads req/s, p50, p99 (in any of its units), the counts and the socket errors', () => {
    expect(parseWrk(SAMPLE)).toEqual({
      perSecond: 5178.07,
      p50Ms: 0.95,
      p99Ms: 1020,
      requests: 52298,
      non2xx: 5227,
      socketErrors: 10,
    });
    expect(durationMs('2m')).toBe(120_000);
  });

  it('refuses output it cannot read, naming what is missing', () => {
    expect(() => parseWrk('')).toThrow(/no Requests\/sec/);
    expect(() => parseWrk('<html>502 Bad Gateway</html>')).toThrow(/no Requests\/sec/);
    expect(() => parseWrk(SAMPLE.replace(/^\s+99%.*$/m, ''))).toThrow(/no 99% latency/);
    expect(() => parseWrk(SAMPLE.replace('950.00us', '950.00xs'))).toThrow(/unexpected duration/);
    expect(() => durationMs('NaNms')).toThrow(/unexpected duration/);
    expect(() => durationMs('1.2.3ms')).toThrow(/unexpected duration/);
  });

  it('says how to install wrk when it is not on PATH', () => {
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      expect(() => requireWrk()).toThrow(/apt-get install wrk/);
    } finally {
      process.env.PATH = path;
    }
  });
});

describe('settings', () => {
  useEnvPrefix('BENCH_HTTP_');

  it('defaults to 5 rounds of 10 s per side', () => {
    for (const name of Object.keys(process.env)) if (name.startsWith('BENCH_HTTP_')) delete process.env[name];
    expect(httpBenchSettings()).toMatchObject({ rounds: 5, seconds: 10 });
  });

  it.each([
    ['BENCH_HTTP_ROUNDS', 'five'],
    ['BENCH_HTTP_ROUNDS', '-1'],
    ['BENCH_HTTP_SECONDS', '0'],
    ['BENCH_HTTP_SECONDS', '2.5'],
    ['BENCH_HTTP_LIMIT_REDIS', 'Infinity'],
    ['BENCH_HTTP_WINDOW_S', '1; rm -rf /'],
  ])('refuses %s=%s, naming the variable', (name, value) => {
    process.env[name] = value;
    expect(() => httpBenchSettings()).toThrow(new RegExp(`${name} must be an integer`));
  });
});

/** What the server answers to one request with `key` (undefined: no header). */
async function ask(url: string, key?: string) {
  const response = await fetch(url, { headers: key === undefined ? {} : { 'x-client-key': key } });
  await response.text();
  return {
    status: response.status,
    remaining: response.headers.get('ratelimit-remaining'),
    retryAfter: response.headers.get('retry-after'),
  };
}

const cases = [
  ['ours', 'memory'],
  ['rlf', 'memory'],
  ['ours', 'redis'],
  ['rlf', 'redis'],
] as const;

describe('the bench server', () => {
  beforeAll(async () => {
    // The server imports the package by name, so dist must be current (as npm run bench makes it).
    await run(process.execPath, ['--import', 'tsx', 'scripts/ensure-build.ts'], { cwd: root });
  }, 120_000);
  const redis = useRedisPrefix('bench-http');

  it.each(cases)(
    '%s on %s: allows the limit, then 429 with Retry-After; 400 without a key',
    async (limiter, store) => {
      if (store === 'redis' && noRedis) return;
      const config: ServerConfig = {
        limiter,
        store,
        algorithm: 'fixed-window',
        limit: 2,
        windowS: 60, // long enough that no window ends during the test
        prefix: `${redis.prefix}-${limiter}`,
        redisUrl: redisUrl() ?? 'redis://127.0.0.1:6379',
      };
      const server = await startServer(config);
      try {
        expect(await ask(server.url, 'alice')).toEqual({ status: 200, remaining: '1', retryAfter: null });
        expect(await ask(server.url, 'alice')).toEqual({ status: 200, remaining: '0', retryAfter: null });
        const denied = await ask(server.url, 'alice');
        expect(denied.status).toBe(429);
        expect(Number(denied.retryAfter)).toBeGreaterThanOrEqual(1);
        expect((await ask(server.url, 'bob')).status).toBe(200);
        expect((await ask(server.url)).status).toBe(400);
        expect((await ask(server.url, '')).status).toBe(400);
        expect(await server.counts()).toEqual({ decisions: 4, allowed: 3, denied: 1, errors: 0 });
      } finally {
        expect(await server.stop()).toBe('decisions 4 allowed 3 denied 1 errors 0');
      }
    },
  );

  it.each(cases)('%s on %s: hostile keys get an answer and the server stays up', async (limiter, store) => {
    if (store === 'redis' && noRedis) return;
    const server = await startServer({
      limiter,
      store,
      algorithm: 'fixed-window',
      limit: 2,
      windowS: 60,
      prefix: `${redis.prefix}-hostile-${limiter}`,
      redisUrl: redisUrl() ?? 'redis://127.0.0.1:6379',
    });
    try {
      // Ours refuses keys over 256 characters (a 503 here, counted as an error); the peer takes them.
      for (const key of [
        'k'.repeat(8000),
        '*:{}\\"',
        '__proto__',
        'constructor',
        encodeURIComponent('ключ'),
      ]) {
        expect([200, 429, 503]).toContain((await ask(server.url, key)).status);
      }
      expect((await ask(server.url, 'still-up')).status).toBe(200);
      expect((await server.counts()).decisions).toBe(6);
    } finally {
      await server.stop();
    }
  });

  it.each([
    ['--limiter', { limiter: 'nope' }, /--limiter must be ours, rlf or none/],
    ['--store', { store: 'disk' }, /--store must be redis or memory/],
    ['--limit', { limit: 0 }, /--limit and --window-s must be integers/],
    ['--window-s', { windowS: 0.5 }, /--limit and --window-s must be integers/],
    ['--algorithm', { algorithm: 'leaky' }, /unknown --algorithm leaky/],
    ['--algorithm for rlf', { limiter: 'rlf', algorithm: 'gcra' }, /rlf runs its fixed window only/],
  ])('refuses a bad %s before it is ready', async (_, change, message) => {
    const config = {
      limiter: 'ours',
      store: 'memory',
      algorithm: 'fixed-window',
      limit: 2,
      windowS: 1,
      prefix: 'unused',
      redisUrl: 'redis://127.0.0.1:6379',
      ...change,
    } as ServerConfig;
    await expect(startServer(config)).rejects.toThrow(message);
  });
});
