/**
 * The end-to-end case of `npm run bench -- ratelimit` (alone: `npm run bench -- ratelimit-http`): the same
 * node:http server (server.ts) with only the limiter swapped, ours or rate-limiter-flexible, on a private
 * redis-server and in memory, driven by wrk at 64 connections over 10 000 client keys (keys.lua). Rounds
 * alternate ours/peer in ABBA order so drifting load on a shared machine hits both sides; the ratios are
 * medians of the per-pair ratios. Then ours with each other algorithm on Redis, for Redis CPU per decision
 * against the peer's fixed window. Settings: rounds.ts.
 */
import { Redis } from 'ioredis';
import { startRedisServer } from '../../test/support/redis-server.js';
import { type BenchRow, compare, compareRounds, percentile } from '../support/results.js';
import { freshPrefix, httpBenchSettings, measure, printRound, type Round, type Settings } from './rounds.js';
import type { ServerConfig } from './server-process.js';
import { requireWrk } from './wrk.js';

const OTHER_ALGORITHMS = ['token-bucket', 'gcra', 'sliding-window-counter', 'sliding-window-log'];
const PEER = {
  redis: 'rate-limiter-flexible RateLimiterRedis (fixed window)',
  memory: 'rate-limiter-flexible RateLimiterMemory (fixed window)',
};
/** The issue's goal, as oriented ratios (> 1: ours is better). */
const GOAL = { perSecond: 1.2, p99: 1 };

type Store = ServerConfig['store'];
interface Duel {
  readonly ours: Round[];
  readonly peer: Round[];
}

const median = (values: readonly number[]) => percentile(values, 50);

function config(
  settings: Settings,
  redisUrl: string,
  store: Store,
  limiter: ServerConfig['limiter'],
  algorithm = 'fixed-window',
): ServerConfig {
  const prefix = freshPrefix(`${limiter}-${algorithm}`);
  return {
    limiter,
    store,
    algorithm,
    limit: settings.limit[store],
    windowS: settings.windowS,
    prefix,
    redisUrl,
  };
}

/** `rounds` rounds per side, ABBA: ours first in even rounds, the peer first in odd ones. */
async function duel(settings: Settings, redisUrl: string, store: Store, client?: Redis): Promise<Duel> {
  const result: Duel = { ours: [], peer: [] };
  for (let r = 0; r < settings.rounds; r++) {
    const order = r % 2 === 0 ? (['ours', 'rlf'] as const) : (['rlf', 'ours'] as const);
    for (const limiter of order) {
      const round = await measure(config(settings, redisUrl, store, limiter), settings, client);
      printRound(`${store} ${limiter === 'ours' ? 'ours' : 'rate-limiter-flexible'} #${r + 1}`, round);
      (limiter === 'ours' ? result.ours : result.peer).push(round);
    }
  }
  return result;
}

function duelRows(store: Store, { ours, peer }: Duel): BenchRow[] {
  const row = (what: string, unit: string, higher: boolean, pick: (r: Round) => number) =>
    compareRounds(
      `http ${store} fixed window: ${what}`,
      unit,
      higher ? 'higher-is-better' : 'lower-is-better',
      ours.map(pick),
      peer.map(pick),
      PEER[store],
    );
  const rows = [
    row('req/s', 'req/s', true, (r) => r.wrk.perSecond),
    row('p50 latency', 'ms', false, (r) => r.wrk.p50Ms),
    row('p99 latency', 'ms', false, (r) => r.wrk.p99Ms),
  ];
  if (store === 'redis') {
    const cost = (pick: (c: NonNullable<Round['redis']>) => number) => (r: Round) => pick(r.redis!);
    rows.push(
      row(
        'Redis CPU per decision',
        'µs/decision',
        false,
        cost((c) => c.cpuUs),
      ),
      row(
        'Redis script calls per decision',
        'calls/decision',
        false,
        cost((c) => c.scriptCalls),
      ),
      row(
        'Redis commands executed per decision',
        'commands/decision',
        false,
        cost((c) => c.executed),
      ),
    );
  }
  // Not a score: the share the limit denied, which depends on each side's throughput and window shape.
  rows.push({ ...row('denied share', 'share of decisions', false, (r) => r.deniedShare), ratio: null });
  return rows;
}

function printVerdict(store: Store, rows: readonly BenchRow[]): void {
  const ratio = (what: string) => rows.find((r) => r.case.endsWith(`: ${what}`))?.ratio ?? Number.NaN;
  const perSecond = ratio('req/s');
  const p99 = ratio('p99 latency');
  const met = perSecond >= GOAL.perSecond && (store === 'memory' || p99 >= GOAL.p99);
  const want =
    store === 'redis'
      ? `>= ${GOAL.perSecond}x req/s with p99 >= ${GOAL.p99}x`
      : `>= ${GOAL.perSecond}x req/s`;
  console.log(
    `${store}: median ratio ours/peer (> 1 = ours better): req/s ${perSecond}x, p50 ${ratio('p50 latency')}x, p99 ${p99}x${store === 'redis' ? `, Redis CPU/decision ${ratio('Redis CPU per decision')}x` : ''}; goal ${want}: ${met ? 'met' : 'NOT met'}\n`,
  );
}

/** Ours with each other algorithm on Redis, against the peer's fixed window of the main rounds. */
async function algorithmRows(settings: Settings, redisUrl: string, client: Redis, peer: Round[]) {
  const peerCpu = median(peer.map((r) => r.redis!.cpuUs));
  const peerPerSecond = median(peer.map((r) => r.wrk.perSecond));
  const peerName = `${PEER.redis}, median of the main rounds`;
  const rows: BenchRow[] = [];
  for (const algorithm of OTHER_ALGORITHMS) {
    const rounds: Round[] = [];
    for (let r = 0; r < settings.algorithmRounds; r++) {
      rounds.push(await measure(config(settings, redisUrl, 'redis', 'ours', algorithm), settings, client));
      printRound(`redis ours ${algorithm} #${r + 1}`, rounds.at(-1)!);
    }
    if (rounds.length === 0) continue;
    const cpu = median(rounds.map((x) => x.redis!.cpuUs));
    const perSecond = median(rounds.map((x) => x.wrk.perSecond));
    rows.push(
      compare(
        `http redis ${algorithm}: Redis CPU per decision`,
        'µs/decision',
        'lower-is-better',
        cpu,
        peerCpu,
        peerName,
      ),
      compare(
        `http redis ${algorithm}: req/s`,
        'req/s',
        'higher-is-better',
        perSecond,
        peerPerSecond,
        peerName,
      ),
    );
  }
  return rows;
}

/**
 * The same server with no limiter at all, against the peer's memory rounds: how much faster than the peer
 * any limiter could make this server (a goal above this ratio cannot be met by the limiter alone).
 */
async function ceilingRow(settings: Settings, redisUrl: string, peer: Round[]): Promise<BenchRow> {
  const rounds: Round[] = [];
  for (let r = 0; r < Math.max(1, Math.ceil(settings.rounds / 2)); r++) {
    rounds.push(await measure(config(settings, redisUrl, 'memory', 'none'), settings));
    printRound(`memory no limiter (ceiling) #${r + 1}`, rounds.at(-1)!);
  }
  return compare(
    'http no limiter (ceiling): req/s',
    'req/s',
    'higher-is-better',
    median(rounds.map((x) => x.wrk.perSecond)),
    median(peer.map((x) => x.wrk.perSecond)),
    `${PEER.memory}, median of the memory rounds`,
  );
}

/** Runs the end-to-end case and returns its rows (none when BENCH_HTTP_ROUNDS=0). */
export async function runHttpBench(): Promise<BenchRow[]> {
  const settings = httpBenchSettings();
  if (settings.rounds === 0) {
    console.log('end-to-end HTTP case skipped (BENCH_HTTP_ROUNDS=0)\n');
    return [];
  }
  requireWrk();
  const redis = await startRedisServer();
  const client = new Redis(redis.url);
  try {
    console.log(
      `end-to-end HTTP: node ${process.version} node:http server per round, wrk -t1 -c64, 10000 keys, private redis-server ${redis.url}; ` +
        `${settings.rounds} rounds per side (ABBA) of ${settings.seconds} s after a ${settings.warmupSeconds} s warm-up; ` +
        `fixed window of ${settings.limit.redis} (Redis) / ${settings.limit.memory} (memory) per ${settings.windowS} s per key, so that both allow and deny happen\n`,
    );
    const rows: BenchRow[] = [];
    const redisDuel = await duel(settings, redis.url, 'redis', client);
    rows.push(...duelRows('redis', redisDuel));
    printVerdict('redis', rows);
    const memoryDuel = await duel(settings, redis.url, 'memory');
    const memoryRows = duelRows('memory', memoryDuel);
    printVerdict('memory', memoryRows);
    memoryRows.push(await ceilingRow(settings, redis.url, memoryDuel.peer));
    rows.push(...memoryRows, ...(await algorithmRows(settings, redis.url, client, redisDuel.peer)));
    return rows;
  } finally {
    client.disconnect();
    await redis.stop();
  }
}
