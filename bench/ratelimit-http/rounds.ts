/**
 * One round of the end-to-end rate-limit case: a fresh server (fresh key prefix), a warm-up on keys of
 * its own (discarded), one measured wrk run; around the measured part a separate client reads Redis INFO
 * (cpu, commandstats), divided by the decisions the server counted. And the run's settings:
 *
 * BENCH_HTTP_ROUNDS (default 5 per side; 0 skips the case), BENCH_HTTP_SECONDS (10), BENCH_HTTP_WARMUP_S
 * (2), BENCH_HTTP_ALGO_ROUNDS (2, ours with each other algorithm on Redis), BENCH_HTTP_WINDOW_S (1),
 * BENCH_HTTP_LIMIT_REDIS (3) and BENCH_HTTP_LIMIT_MEMORY (4): the limit per window and key. Chosen so that
 * both allow and deny happen at the throughput this machine reaches (the denied share is printed per
 * round). The shares differ between the sides: a faster side sends more per key and window, and
 * rate-limiter-flexible's window starts at a key's first request rather than on the clock.
 */
import type { Redis } from 'ioredis';
import { commandStats, redisCpuUs } from '../support/redis-stats.js';
import { setting } from '../support/settings.js';
import { type ServerConfig, type ServerCounts, startServer } from './server-process.js';
import { type WrkResult, wrk } from './wrk.js';

/** wrk's connections (the outside check's figure). */
export const CONNECTIONS = 64;
/** Client keys, drawn uniformly per request. */
export const KEYS = 10_000;

/** The run's settings, from the environment. */
export function httpBenchSettings() {
  return {
    rounds: setting('BENCH_HTTP_ROUNDS', 5, 0),
    seconds: setting('BENCH_HTTP_SECONDS', 10, 1),
    warmupSeconds: setting('BENCH_HTTP_WARMUP_S', 2, 1),
    algorithmRounds: setting('BENCH_HTTP_ALGO_ROUNDS', 2, 0),
    windowS: setting('BENCH_HTTP_WINDOW_S', 1, 1),
    limit: {
      redis: setting('BENCH_HTTP_LIMIT_REDIS', 3, 1),
      memory: setting('BENCH_HTTP_LIMIT_MEMORY', 4, 1),
    },
  };
}
/** The run's settings. */
export type Settings = ReturnType<typeof httpBenchSettings>;

/** Redis cost of the measured part, per decision. */
interface RedisCost {
  readonly cpuUs: number;
  readonly scriptCalls: number;
  readonly executed: number;
  readonly scriptUs: number;
}

/** One measured round. */
export interface Round {
  readonly wrk: WrkResult;
  readonly decisions: number;
  readonly deniedShare: number;
  readonly errors: number;
  readonly redis?: RedisCost;
}

interface Snapshot {
  readonly counts: ServerCounts;
  readonly cpuUs: number;
  readonly stats: Awaited<ReturnType<typeof commandStats>>;
}

async function snapshot(counts: () => Promise<ServerCounts>, client?: Redis): Promise<Snapshot> {
  const none = { scriptCalls: 0, executed: 0, scriptUsec: 0 };
  return {
    cpuUs: client ? await redisCpuUs(client) : 0,
    stats: client ? await commandStats(client) : none,
    counts: await counts(),
  };
}

function roundOf(measured: WrkResult, before: Snapshot, after: Snapshot, redis: boolean): Round {
  const decisions = after.counts.decisions - before.counts.decisions;
  const per = (n: number) => n / decisions;
  return {
    wrk: measured,
    decisions,
    deniedShare: per(after.counts.denied - before.counts.denied),
    errors: after.counts.errors - before.counts.errors,
    ...(redis
      ? {
          redis: {
            cpuUs: per(after.cpuUs - before.cpuUs),
            scriptCalls: per(after.stats.scriptCalls - before.stats.scriptCalls),
            executed: per(after.stats.executed - before.stats.executed),
            scriptUs: per(after.stats.scriptUsec - before.stats.scriptUsec),
          },
        }
      : {}),
  };
}

/** Starts a server, warms it up (discarded), measures one wrk run, stops it. */
export async function measure(config: ServerConfig, settings: Settings, client?: Redis): Promise<Round> {
  const server = await startServer(config);
  try {
    const load = (namespace: string, seconds: number) =>
      wrk({ url: server.url, connections: CONNECTIONS, seconds, namespace, keys: KEYS });
    await load('warm', settings.warmupSeconds);
    const before = await snapshot(server.counts, client);
    const measured = await load('m', settings.seconds);
    const after = await snapshot(server.counts, client);
    return roundOf(measured, before, after, client !== undefined);
  } finally {
    await server.stop();
  }
}

/** One line per round. */
export function printRound(label: string, r: Round): void {
  const redis = r.redis
    ? `  redis ${r.redis.cpuUs.toFixed(1)} µs cpu, ${r.redis.scriptCalls.toFixed(3)} script calls, ${r.redis.executed.toFixed(2)} commands per decision`
    : '';
  const problems =
    r.errors + r.wrk.socketErrors > 0
      ? `  (${r.errors} store errors, ${r.wrk.socketErrors} socket errors)`
      : '';
  console.log(
    `${label.padEnd(38)} ${Math.round(r.wrk.perSecond).toString().padStart(7)} req/s  p50 ${r.wrk.p50Ms.toFixed(2)} ms  p99 ${r.wrk.p99Ms.toFixed(2)} ms  denied ${(100 * r.deniedShare).toFixed(1)}%${redis}${problems}`,
  );
}

let serial = 0;
/** A fresh key prefix per server, so no round sees another's state. */
export const freshPrefix = (label: string) => `http-${process.pid}-${++serial}-${label}`;
