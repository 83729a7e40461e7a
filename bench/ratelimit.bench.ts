/**
 * npm run bench -- ratelimit
 *
 * Ours vs rate-limiter-flexible (RateLimiterRedis, RateLimiterMemory) in one run on one machine, against one
 * private redis-server started for the run (so INFO commandstats sees only this benchmark). 64 calls in
 * flight, keys drawn uniformly from 10 000. Plus the ceiling: redis-benchmark running EVALSHA of our decide
 * script at the same concurrency. Limits are set high so both sides mostly admit (rate-limiter-flexible
 * rejects by throwing, which would cost it extra).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis } from 'rate-limiter-flexible';
import {
  type Algorithm,
  createRateLimiter,
  fixedWindow,
  gcra,
  type RateLimiter,
  tokenBucket,
} from '../src/ratelimit/index.js';
import { decideScript } from '../src/ratelimit/lua/decide.js';
import { createRedisRateLimitStore } from '../src/ratelimit/redis.js';
import { startRedisServer } from '../test/support/redis-server.js';
import { type BenchRow, compare, percentile, report } from './support/results.js';

const run = promisify(execFile);
const IN_FLIGHT = 64;
const KEYS = 10_000;
const WARMUP_MS = 1000;
const MEASURE_MS = Number(process.env.BENCH_MS ?? 4000);
const HIGH_LIMIT = 1_000_000;

interface Measured {
  readonly perSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly decisions: number;
}

/** Keeps IN_FLIGHT calls running for WARMUP_MS + MEASURE_MS; measures only the second part. */
async function measure(call: (key: string) => Promise<unknown>): Promise<Measured> {
  const latencies: number[] = [];
  let measuring = false;
  let done = 0;
  const warmUpEnds = performance.now() + WARMUP_MS;
  const ends = warmUpEnds + MEASURE_MS;
  const worker = async () => {
    for (;;) {
      const now = performance.now();
      if (now >= ends) return;
      if (!measuring && now >= warmUpEnds) measuring = true;
      const key = `user-${Math.floor(Math.random() * KEYS)}`;
      const started = performance.now();
      await call(key);
      if (measuring) {
        latencies.push(performance.now() - started);
        done++;
      }
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  return {
    perSecond: done / (MEASURE_MS / 1000),
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    decisions: done,
  };
}

/** Commands Redis executed since the last reset: issued by clients (EVALSHA/EVAL) and in total (incl. inside scripts). */
async function commandStats(client: Redis) {
  const info = await client.info('commandstats');
  let fromClients = 0;
  let total = 0;
  for (const match of info.matchAll(/^cmdstat_([a-z|]+):calls=(\d+)/gm)) {
    const [, name, calls] = match;
    if (name === 'info' || name === 'config|resetstat' || name === 'ping') continue;
    total += Number(calls);
    if (name === 'evalsha' || name === 'eval') fromClients += Number(calls);
  }
  return { fromClients, total };
}

async function bytesPerKey(client: Redis, pattern: string): Promise<number> {
  const [, keys] = await client.scan('0', 'MATCH', pattern, 'COUNT', 5000);
  const sample = keys.slice(0, 200);
  let bytes = 0;
  for (const key of sample) bytes += Number(await client.memory('USAGE', key, 'SAMPLES', '0'));
  return sample.length ? bytes / sample.length : Number.NaN;
}

async function main() {
  const server = await startRedisServer();
  const client = new Redis(server.url, { enableOfflineQueue: true });
  const rows: BenchRow[] = [];
  const print = (label: string, m: Measured) =>
    console.log(
      `${label.padEnd(40)} ${Math.round(m.perSecond).toString().padStart(8)}/s  p50 ${m.p50Ms.toFixed(3)} ms  p99 ${m.p99Ms.toFixed(3)} ms`,
    );

  try {
    console.log(
      `redis-server ${server.url}, ${IN_FLIGHT} in flight, ${KEYS} keys, ${MEASURE_MS} ms per case\n`,
    );
    // --- memory ---
    const rlflxMemory = new RateLimiterMemory({ points: HIGH_LIMIT, duration: 60 });
    const peerMemory = await measure((key) => rlflxMemory.consume(key));
    print('rlflx RateLimiterMemory', peerMemory);
    const ours: [string, Algorithm][] = [
      ['fixed window', fixedWindow({ limit: HIGH_LIMIT, windowMs: 60_000 })],
      [
        'token bucket',
        tokenBucket({ capacity: HIGH_LIMIT, refillTokens: HIGH_LIMIT, refillIntervalMs: 60_000 }),
      ],
      ['GCRA', gcra({ limit: HIGH_LIMIT, periodMs: 60_000, burst: HIGH_LIMIT - 1 })],
    ];
    for (const [label, algorithm] of ours) {
      const limiter = createRateLimiter({ name: 'bench-mem', algorithm });
      const m = await measure((key) => limiter.limit(key));
      print(`ours memory ${label}`, m);
      const peer = 'rate-limiter-flexible RateLimiterMemory (fixed window)';
      rows.push(
        compare(
          `memory ${label}: decisions/s`,
          'decisions/s',
          'higher-is-better',
          m.perSecond,
          peerMemory.perSecond,
          peer,
        ),
      );
      rows.push(
        compare(`memory ${label}: p99 latency`, 'ms', 'lower-is-better', m.p99Ms, peerMemory.p99Ms, peer),
      );
    }

    // --- redis ---
    await client.config('RESETSTAT');
    const rlflxRedis = new RateLimiterRedis({
      storeClient: client,
      points: HIGH_LIMIT,
      duration: 60,
      keyPrefix: 'rlflx',
    });
    const peerRedis = await measure((key) => rlflxRedis.consume(key));
    const peerStats = await commandStats(client);
    const peerBytes = await bytesPerKey(client, 'rlflx:*');
    print('rlflx RateLimiterRedis', peerRedis);
    const peerName = 'rate-limiter-flexible RateLimiterRedis (fixed window)';
    const peerDecisionsTotal = peerRedis.decisions; // measured part only; stats include warm-up, see ratio below

    let fixedWindowRedis: Measured | undefined;
    for (const [label, algorithm] of ours) {
      const limiter: RateLimiter = createRateLimiter({
        name: `bench-${label.replace(/\s/g, '-')}`,
        algorithm,
        store: createRedisRateLimitStore({ client, prefix: 'ours' }),
        storeTimeoutMs: 5000, // measure throughput, not the deadline (rlflx has none)
      });
      await client.config('RESETSTAT');
      let calls = 0;
      const m = await measure(async (key) => {
        calls++;
        await limiter.limit(key);
      });
      const stats = await commandStats(client);
      if (label === 'fixed window') fixedWindowRedis = m;
      print(`ours redis ${label}`, m);
      rows.push(
        compare(
          `redis ${label}: decisions/s`,
          'decisions/s',
          'higher-is-better',
          m.perSecond,
          peerRedis.perSecond,
          peerName,
        ),
      );
      rows.push(
        compare(`redis ${label}: p50 latency`, 'ms', 'lower-is-better', m.p50Ms, peerRedis.p50Ms, peerName),
      );
      rows.push(
        compare(`redis ${label}: p99 latency`, 'ms', 'lower-is-better', m.p99Ms, peerRedis.p99Ms, peerName),
      );
      rows.push(
        compare(
          `redis ${label}: commands sent per decision`,
          'commands/decision',
          'lower-is-better',
          stats.fromClients / calls,
          peerStats.fromClients / (peerDecisionsTotal + (peerStats.fromClients - peerDecisionsTotal)),
          peerName,
        ),
      );
      rows.push(
        compare(
          `redis ${label}: commands executed per decision (incl. inside Lua)`,
          'commands/decision',
          'lower-is-better',
          stats.total / calls,
          peerStats.total / peerStats.fromClients,
          peerName,
        ),
      );
      const pattern = `ours:rl:{bench-${label.replace(/\s/g, '-')}:*`;
      rows.push(
        compare(
          `redis ${label}: bytes per key`,
          'bytes/key',
          'lower-is-better',
          await bytesPerKey(client, pattern),
          peerBytes,
          peerName,
        ),
      );
    }

    // --- ceiling: redis-benchmark running our script, same concurrency, same key spread ---
    await client.script('LOAD', decideScript.source);
    const key = 'ceiling:rl:{bench:__rand_int__}:fw:__rand_int__';
    const { stdout } = await run('redis-benchmark', [
      '-p',
      String(server.port),
      '-c',
      String(IN_FLIGHT),
      '-n',
      '200000',
      '-r',
      String(KEYS),
      '--csv',
      'EVALSHA',
      decideScript.sha1,
      '3',
      `${key}:s`,
      `${key}:a`,
      `${key}:b`,
      '',
      '1',
      'consume',
      '1',
      'fw',
      String(HIGH_LIMIT),
      '60000',
      '0',
      '0',
    ]);
    const line =
      stdout
        .trim()
        .split('\n')
        .at(-1)
        ?.split(',')
        .map((c) => Number(c.replace(/"/g, ''))) ?? [];
    const ceiling = {
      perSecond: line[1] ?? Number.NaN,
      p50Ms: line[4] ?? Number.NaN,
      p99Ms: line[6] ?? Number.NaN,
    };
    console.log(
      `redis-benchmark EVALSHA ceiling        ${Math.round(ceiling.perSecond)}/s  p50 ${ceiling.p50Ms} ms  p99 ${ceiling.p99Ms} ms`,
    );
    if (fixedWindowRedis) {
      rows.push(
        compare(
          'redis fixed window: share of the redis-benchmark ceiling',
          'decisions/s',
          'higher-is-better',
          fixedWindowRedis.perSecond,
          ceiling.perSecond,
          'redis-benchmark EVALSHA of our script (ceiling)',
        ),
      );
    }
    console.log('');
    report('ratelimit', rows);
  } finally {
    client.disconnect();
    await server.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
