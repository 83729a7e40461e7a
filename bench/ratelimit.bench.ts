/**
 * npm run bench -- ratelimit
 *
 * First the end-to-end case (bench/ratelimit-http/case.ts, alone: `npm run bench -- ratelimit-http`): the
 * same node:http server with only the limiter swapped, driven by wrk; its rows come first in the results.
 * Then the in-process cases:
 * ours vs rate-limiter-flexible (RateLimiterRedis, RateLimiterMemory) in one run on one machine, against one
 * private redis-server started for the run (so INFO commandstats sees only this benchmark). 64 calls in
 * flight, keys drawn uniformly from 10 000, limits high so both sides mostly admit (rate-limiter-flexible
 * rejects by throwing, which would cost it extra). Each pair is measured in alternating rounds (ours, peer,
 * ours, peer, ...) and the medians are reported, so that load drifting on a shared machine hits both sides.
 * Plus the ceiling: redis-benchmark running EVALSHA of our decide script at the same concurrency.
 *
 * It measures the built package (dist/, built by `npm run bench`), as users run it.
 * BENCH_ROUNDS (default 9) and BENCH_MS (per round, default 1500) tune the run.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis } from 'rate-limiter-flexible';
import { REDIS_TIME } from '../src/core/redis/script.js';
import { ENGINE_CODES, HEAD_MAX_POLICIES, HEAD_POLICY_SLOTS } from '../src/ratelimit/constants.js';
import type * as RateLimitModule from '../src/ratelimit/index.js';
import type { Algorithm } from '../src/ratelimit/index.js';
import { decideScript } from '../src/ratelimit/lua/decide.js';
import type * as RateLimitRedisModule from '../src/ratelimit/redis.js';
import { startRedisServer } from '../test/support/redis-server.js';
import { runHttpBench } from './ratelimit-http/case.js';
import { importBuilt } from './support/built.js';
import { commandStats } from './support/redis-stats.js';
import { type BenchRow, compare, percentile, report } from './support/results.js';

const { createRateLimiter, fixedWindow, gcra, tokenBucket } =
  await importBuilt<typeof RateLimitModule>('ratelimit/index.js');
const { createRedisRateLimitStore } = await importBuilt<typeof RateLimitRedisModule>('ratelimit/redis.js');

const run = promisify(execFile);
const IN_FLIGHT = 64;
const KEYS = 10_000;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9);
const ROUND_MS = Number(process.env.BENCH_MS ?? 1500);
const WARMUP_MS = 300;
const LATENCY_SAMPLE = 8;
const HIGH_LIMIT = 1_000_000;
const keyNames = Array.from({ length: KEYS }, (_, i) => `user-${i}`);

interface Round {
  readonly perSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Node CPU (user + system) per decision, µs. */
  readonly nodeCpuUs: number;
  readonly decisions: number;
}

/** Keeps IN_FLIGHT calls running for WARMUP_MS + ROUND_MS; measures the second part. */
async function round(call: (key: string) => Promise<unknown>): Promise<Round> {
  const latencies: number[] = [];
  let measuring = false;
  let done = 0;
  let cpuAtStart = process.cpuUsage();
  const warmUpEnds = performance.now() + WARMUP_MS;
  const ends = warmUpEnds + ROUND_MS;
  const worker = async () => {
    for (let i = 0; ; i++) {
      const now = performance.now();
      if (now >= ends) return;
      if (!measuring && now >= warmUpEnds) {
        measuring = true;
        cpuAtStart = process.cpuUsage();
      }
      // Latency is sampled on every LATENCY_SAMPLE-th call of each worker: timing every call costs as much
      // as an in-memory decision and would hide the difference being measured (both sides alike).
      const sampled = i % LATENCY_SAMPLE === 0;
      const started = sampled ? performance.now() : 0;
      await call(keyNames[Math.floor(Math.random() * KEYS)] as string);
      if (measuring) {
        if (sampled) latencies.push(performance.now() - started);
        done++;
      }
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  const cpu = process.cpuUsage(cpuAtStart);
  return {
    perSecond: done / (ROUND_MS / 1000),
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    nodeCpuUs: (cpu.user + cpu.system) / done,
    decisions: done,
  };
}

const median = (values: readonly number[]) => percentile(values, 50);

interface Summary {
  readonly perSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly nodeCpuUs: number;
  /** Redis-side figures, when measured. */
  readonly redisCpuUs?: number;
  readonly sentPerDecision?: number;
  readonly executedPerDecision?: number;
}

interface Contender {
  readonly label: string;
  /** Decisions asked since the last Redis statistics reset (warm-up included, like the statistics). */
  calls: number;
  readonly call: (key: string) => Promise<unknown>;
  readonly rounds: Round[];
  readonly redis: { cpuUs: number; sent: number; executed: number; decisions: number }[];
}

/** Runs the contenders in alternating rounds; with `client`, also reads Redis statistics per round. */
async function duel(contenders: Contender[], client?: Redis): Promise<Summary[]> {
  for (let r = 0; r < ROUNDS; r++) {
    for (const c of contenders) {
      if (client) await client.config('RESETSTAT');
      c.calls = 0;
      const measured = await round(c.call);
      c.rounds.push(measured);
      if (client) {
        // Statistics cover warm-up and measured calls alike, and so does the call count.
        const stats = await commandStats(client);
        c.redis.push({
          cpuUs: stats.scriptUsec,
          sent: stats.scriptCalls,
          executed: stats.executed,
          decisions: c.calls,
        });
      }
    }
  }
  return contenders.map((c) => {
    const sum = (pick: (x: Contender['redis'][number]) => number) => c.redis.reduce((a, x) => a + pick(x), 0);
    const decisions = sum((x) => x.decisions);
    return {
      perSecond: median(c.rounds.map((x) => x.perSecond)),
      p50Ms: median(c.rounds.map((x) => x.p50Ms)),
      p99Ms: median(c.rounds.map((x) => x.p99Ms)),
      nodeCpuUs: median(c.rounds.map((x) => x.nodeCpuUs)),
      ...(client
        ? {
            redisCpuUs: sum((x) => x.cpuUs) / decisions,
            sentPerDecision: sum((x) => x.sent) / decisions,
            executedPerDecision: sum((x) => x.executed) / decisions,
          }
        : {}),
    };
  });
}

const contender = (label: string, call: (key: string) => Promise<unknown>): Contender => {
  const c: Contender = {
    label,
    calls: 0,
    call: (key) => {
      c.calls++;
      return call(key);
    },
    rounds: [],
    redis: [],
  };
  return c;
};

function print(label: string, s: Summary) {
  const redis = s.redisCpuUs === undefined ? '' : `  redis cpu ${s.redisCpuUs.toFixed(1)} µs/decision`;
  console.log(
    `${label.padEnd(34)} ${Math.round(s.perSecond).toString().padStart(8)}/s  p50 ${s.p50Ms.toFixed(3)} ms  p99 ${s.p99Ms.toFixed(3)} ms  node cpu ${s.nodeCpuUs.toFixed(1)} µs/decision${redis}`,
  );
}

async function bytesPerKey(client: Redis, pattern: string): Promise<number> {
  const sample: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    sample.push(...keys);
  } while (cursor !== '0' && sample.length < 200);
  let bytes = 0;
  for (const key of sample.slice(0, 200)) bytes += Number(await client.memory('USAGE', key, 'SAMPLES', '0'));
  return sample.length ? bytes / Math.min(200, sample.length) : Number.NaN;
}

/**
 * Bytes per key right after writing 200 fresh keys: bucket keys of a barely used, very large bucket expire
 * within a second, so sampling after the run would find none.
 */
async function probeBytesPerKey(client: Redis, write: (key: string) => Promise<unknown>, pattern: string) {
  await Promise.all(Array.from({ length: 200 }, (_, i) => write(`probe-${i}`)));
  return bytesPerKey(client, pattern);
}

const algorithms: [string, Algorithm][] = [
  ['fixed window', fixedWindow({ limit: HIGH_LIMIT, windowMs: 60_000 })],
  ['token bucket', tokenBucket({ capacity: HIGH_LIMIT, refillTokens: HIGH_LIMIT, refillIntervalMs: 60_000 })],
  ['GCRA', gcra({ limit: HIGH_LIMIT, periodMs: 60_000, burst: HIGH_LIMIT - 1 })],
];

async function main() {
  const httpRows = await runHttpBench();
  const server = await startRedisServer();
  const client = new Redis(server.url);
  const rows: BenchRow[] = [];
  try {
    console.log(
      `node ${process.version}, redis-server ${server.url}, ${IN_FLIGHT} in flight, ${KEYS} keys, ${ROUNDS} alternating rounds of ${ROUND_MS} ms\n`,
    );

    // --- memory: each of ours against RateLimiterMemory, alternating ---
    const peerMemoryName = 'rate-limiter-flexible RateLimiterMemory (fixed window)';
    for (const [label, algorithm] of algorithms) {
      const ours = createRateLimiter({ name: `bench-mem-${label.replace(/\s/g, '-')}`, algorithm });
      const peer = new RateLimiterMemory({ points: HIGH_LIMIT, duration: 60 });
      const [o, p] = await duel([
        contender('ours', (k) => ours.limit(k)),
        contender('peer', (k) => peer.consume(k)),
      ]);
      print(`memory ${label} (ours)`, o as Summary);
      print('memory RateLimiterMemory (peer)', p as Summary);
      rows.push(
        compare(
          `memory ${label}: decisions/s`,
          'decisions/s',
          'higher-is-better',
          o!.perSecond,
          p!.perSecond,
          peerMemoryName,
        ),
      );
      rows.push(
        compare(`memory ${label}: p99 latency`, 'ms', 'lower-is-better', o!.p99Ms, p!.p99Ms, peerMemoryName),
      );
    }

    // --- redis: each of ours against RateLimiterRedis on the same client and server, alternating ---
    const peerRedisName = 'rate-limiter-flexible RateLimiterRedis (fixed window)';
    let fixedWindowRedis: Summary | undefined;
    for (const [label, algorithm] of algorithms) {
      const name = `bench-${label.replace(/\s/g, '-')}`;
      const ours = createRateLimiter({
        name,
        algorithm,
        store: createRedisRateLimitStore({ client, prefix: 'ours' }),
        storeTimeoutMs: 5000, // measure throughput, not the deadline (rate-limiter-flexible has none)
      });
      const peer = new RateLimiterRedis({
        storeClient: client,
        points: HIGH_LIMIT,
        duration: 60,
        keyPrefix: 'rlflx',
      });
      const [o, p] = await duel(
        [contender('ours', (k) => ours.limit(k)), contender('peer', (k) => peer.consume(k))],
        client,
      );
      if (!o || !p) throw new Error('missing results');
      if (label === 'fixed window') fixedWindowRedis = o;
      print(`redis ${label} (ours)`, o);
      print('redis RateLimiterRedis (peer)', p);
      rows.push(
        compare(
          `redis ${label}: decisions/s`,
          'decisions/s',
          'higher-is-better',
          o.perSecond,
          p.perSecond,
          peerRedisName,
        ),
      );
      rows.push(
        compare(`redis ${label}: p50 latency`, 'ms', 'lower-is-better', o.p50Ms, p.p50Ms, peerRedisName),
      );
      rows.push(
        compare(`redis ${label}: p99 latency`, 'ms', 'lower-is-better', o.p99Ms, p.p99Ms, peerRedisName),
      );
      rows.push(
        compare(
          `redis ${label}: Redis commands sent per decision`,
          'commands/decision',
          'lower-is-better',
          o.sentPerDecision ?? Number.NaN,
          p.sentPerDecision ?? Number.NaN,
          peerRedisName,
        ),
      );
      rows.push(
        compare(
          `redis ${label}: Redis commands executed per decision (incl. inside Lua)`,
          'commands/decision',
          'lower-is-better',
          o.executedPerDecision ?? Number.NaN,
          p.executedPerDecision ?? Number.NaN,
          peerRedisName,
        ),
      );
      rows.push(
        compare(
          `redis ${label}: Redis CPU per decision`,
          'µs/decision',
          'lower-is-better',
          o.redisCpuUs ?? Number.NaN,
          p.redisCpuUs ?? Number.NaN,
          peerRedisName,
        ),
      );
      rows.push(
        compare(
          `redis ${label}: Node CPU per decision`,
          'µs/decision',
          'lower-is-better',
          o.nodeCpuUs,
          p.nodeCpuUs,
          peerRedisName,
        ),
      );
      rows.push(
        compare(
          `redis ${label}: bytes per key`,
          'bytes/key',
          'lower-is-better',
          await probeBytesPerKey(client, (key) => ours.limit(key), `ours:rl:{${name}:probe-*`),
          await probeBytesPerKey(client, (key) => peer.consume(key), 'rlflx:probe-*'),
          peerRedisName,
        ),
      );
    }

    // --- ceiling: redis-benchmark running our decide script, same concurrency, same key spread ---
    await client.script('LOAD', decideScript.source);
    const key = 'ceiling:rl:{bench:__rand_int__}:p:__rand_int__:fw';
    let best = { perSecond: 0, p50Ms: Number.NaN, p99Ms: Number.NaN, threads: 1 };
    for (const threads of [1, 2]) {
      const { stdout } = await run('redis-benchmark', [
        '-p',
        String(server.port),
        '-c',
        String(IN_FLIGHT),
        '-n',
        '100000',
        '-r',
        String(KEYS),
        '--threads',
        String(threads),
        '--csv',
        'EVALSHA',
        decideScript.sha1,
        '1',
        key,
        REDIS_TIME,
        '1', // one distinct policy:
        ENGINE_CODES['fixed-window'],
        String(HIGH_LIMIT), // p1 = limit
        '60000', // p2 = windowMs
        '0', // p3 (unused by windows)
        '0', // p4 (unused by windows)
        '0', // blockDurationMs
        '1', // one decision per call, its head: consume, cost 1, one policy, index 0
        String(((1 * 2 + 0) * HEAD_MAX_POLICIES + 1) * HEAD_POLICY_SLOTS + 0),
      ]);
      const cells =
        stdout
          .trim()
          .split('\n')
          .at(-1)
          ?.split(',')
          .map((c) => Number(c.replace(/"/g, ''))) ?? [];
      const perSecond = cells[1] ?? 0;
      if (perSecond > best.perSecond)
        best = { perSecond, p50Ms: cells[4] ?? Number.NaN, p99Ms: cells[6] ?? Number.NaN, threads };
    }
    console.log(
      `redis-benchmark EVALSHA ceiling (--threads ${best.threads}) ${Math.round(best.perSecond)}/s  p50 ${best.p50Ms} ms  p99 ${best.p99Ms} ms`,
    );
    if (fixedWindowRedis) {
      rows.push(
        compare(
          'redis fixed window: share of the redis-benchmark ceiling',
          'decisions/s',
          'higher-is-better',
          fixedWindowRedis.perSecond,
          best.perSecond,
          `redis-benchmark EVALSHA of our script, --threads ${best.threads} (ceiling)`,
        ),
      );
    }
    console.log('');
    report('ratelimit', [...httpRows, ...rows]);
  } finally {
    client.disconnect();
    await server.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
