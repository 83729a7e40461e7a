/**
 * npm run bench -- jobs
 *
 * Ours (Redis backend, at-least-once with leases) vs BullMQ (default locks) in one run, on one private
 * redis-server started for the run (persistence off, noeviction), so INFO commandstats sees only this
 * benchmark. Same guarantees on both sides: leased/locked jobs, completed jobs removed
 * (`keepCompletedMs: 0` / `removeOnComplete: true`), no event listeners beyond what each needs to count.
 *
 * Cases: add 10k one by one; addBulk 10k; drain 10k no-op jobs at concurrency 1 and 50; add-to-start
 * latency p50/p99 at a fixed arrival rate; Redis commands per job over a full add + drain cycle. The
 * phases alternate between the two sides (ours, BullMQ, ours, BullMQ, ...) so that load changes on a
 * shared machine do not all land on one side.
 *
 * Then the RabbitMQ section (bench/jobs/amqp.ts; `BENCH_AMQP_JOBS`, default 2000, 0 skips it; broker at
 * `AMQP_URL`): add and drain at concurrency 1 and 50 for our RabbitMQ backend, our Redis backend (the
 * same private server) and plain amqplib, with our overhead over plain amqplib.
 */
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { resolve } from 'node:path';
import { Worker as BullWorker, Queue } from 'bullmq';
import { Redis } from 'ioredis';
import type * as JobsModule from '../src/jobs/index.js';
import type { JobQueue } from '../src/jobs/index.js';
import type * as JobsRedisModule from '../src/jobs/redis.js';
import { startRedisServer } from '../test/support/redis-server.js';
import { amqpSection, brokerVersion } from './jobs/amqp.js';
import { completionCounter } from './jobs/completions.js';
import { importBuilt } from './support/built.js';
import { type BenchRow, compare, percentile, report } from './support/results.js';
import { setting } from './support/settings.js';

// The built package (dist/), as users run it; npm run bench builds it first.
const { createJobQueue, createWorker } = await importBuilt<typeof JobsModule>('jobs/index.js');
const { createRedisJobBackend } = await importBuilt<typeof JobsRedisModule>('jobs/redis.js');

const JOBS = Number(process.env.BENCH_JOBS ?? 10_000);
const WARMUP_JOBS = 1000;
const LATENCY_RATE_PER_SEC = 500;
const LATENCY_JOBS = 2000;
const LATENCY_CONCURRENCY = 50;
/** Rounds per side; figures are medians (a shared 2-core machine is noisy). */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
/** Jobs per add and per drain in the RabbitMQ section (a confirm per add is slower than Redis); 0 skips it. */
const AMQP_JOBS = setting('BENCH_AMQP_JOBS', 2000, 0);
const AMQP_URL = process.env.AMQP_URL || 'amqp://guest:guest@127.0.0.1:5672';

/** One side of the comparison. */
interface Side {
  readonly name: string;
  addOne(n: number): Promise<void>;
  addBulk(count: number): Promise<void>;
  /** Starts a worker, resolves after `count` completions (recorded in Redis), closes the worker. */
  drain(count: number, concurrency: number): Promise<void>;
  /** Starts a worker whose handler reports when each job started. */
  startLatencyWorker(onStart: (addedAtMs: number) => void): Promise<() => Promise<void>>;
  addTimed(addedAtMs: number): Promise<void>;
  close(): Promise<void>;
}

function oursSide(url: string): Side {
  const client = new Redis(url, { maxRetriesPerRequest: null });
  const counter = completionCounter();
  const queue: JobQueue = createJobQueue({
    name: 'bench',
    backend: createRedisJobBackend({ client, prefix: 'bench' }),
    keepCompletedMs: 0,
    metrics: counter.metrics,
  });
  return {
    name: 'ours',
    addOne: async (n) => void (await queue.add('noop', { n })),
    addBulk: async (count) =>
      void (await queue.addBulk(Array.from({ length: count }, (_, n) => ({ type: 'noop', payload: { n } })))),
    async drain(count, concurrency) {
      const done = counter.until(count);
      const worker = createWorker(queue, () => undefined, { concurrency });
      await done;
      await worker.close();
    },
    async startLatencyWorker(onStart) {
      const worker = createWorker<{ t: number }>(queue, (job) => void onStart(job.payload.t), {
        concurrency: LATENCY_CONCURRENCY,
      });
      return () => worker.close();
    },
    addTimed: async (addedAtMs) => void (await queue.add('noop', { t: addedAtMs })),
    async close() {
      await queue.close();
      client.disconnect();
    },
  };
}

function bullSide(port: number): Side {
  const connection = { host: '127.0.0.1', port, maxRetriesPerRequest: null };
  const queue = new Queue('bench', { connection, defaultJobOptions: { removeOnComplete: true } });
  return {
    name: 'bullmq',
    addOne: async (n) => void (await queue.add('noop', { n })),
    addBulk: async (count) =>
      void (await queue.addBulk(Array.from({ length: count }, (_, n) => ({ name: 'noop', data: { n } })))),
    async drain(count, concurrency) {
      let completed = 0;
      const worker = new BullWorker('bench', async () => undefined, { connection, concurrency });
      await new Promise<void>((r) => {
        worker.on('completed', () => {
          if (++completed === count) r();
        });
      });
      await worker.close();
    },
    async startLatencyWorker(onStart) {
      const worker = new BullWorker<{ t: number }>('bench', async (job) => void onStart(job.data.t), {
        connection,
        concurrency: LATENCY_CONCURRENCY,
      });
      await worker.waitUntilReady();
      return () => worker.close();
    },
    addTimed: async (addedAtMs) => void (await queue.add('noop', { t: addedAtMs })),
    close: () => queue.close(),
  };
}

async function commandCalls(admin: Redis): Promise<{ total: number; scripts: number }> {
  const info = String(await admin.info('commandstats'));
  let total = 0;
  let scripts = 0;
  for (const match of info.matchAll(/cmdstat_([a-z|]+):calls=(\d+)/g)) {
    const [, name, calls] = match;
    if (name === 'info' || name === 'config|resetstat') continue;
    total += Number(calls);
    if (name === 'evalsha' || name === 'eval') scripts += Number(calls);
  }
  return { total, scripts };
}

/** Per-figure median over rounds. */
function medians(rounds: readonly Partial<Figures>[]): Figures {
  const out: Record<string, number> = {};
  for (const key of Object.keys(rounds[0] ?? {})) {
    out[key] = percentile(
      rounds.map((r) => r[key as keyof Figures] ?? Number.NaN),
      50,
    );
  }
  return out as unknown as Figures;
}

const seconds = async (body: () => Promise<void>) => {
  const started = performance.now();
  await body();
  return (performance.now() - started) / 1000;
};

interface Figures {
  addOnePerSec: number;
  addBulkPerSec: number;
  drainC1PerSec: number;
  drainC50PerSec: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  commandsPerJob: number;
  scriptsPerJob: number;
}

/** One phase of the run for one side; phases alternate between the sides so drift on a shared machine hits both. */
type Phase = (side: Side, admin: Redis) => Promise<Partial<Figures>>;

const warmUp: Phase = async (side) => {
  // Load scripts, open connections, let the JIT settle.
  await side.addBulk(WARMUP_JOBS);
  await side.drain(WARMUP_JOBS, 50);
  for (let i = 0; i < 100; i++) await side.addOne(i);
  await side.drain(100, 1);
  return {};
};

// The full lifecycle of JOBS jobs (add one by one, then drain at concurrency 50), with the command count.
const lifecycle: Phase = async (side, admin) => {
  await admin.config('RESETSTAT');
  const addOne = await seconds(async () => {
    for (let n = 0; n < JOBS; n++) await side.addOne(n);
  });
  const drainC50 = await seconds(() => side.drain(JOBS, 50));
  const calls = await commandCalls(admin);
  return {
    addOnePerSec: JOBS / addOne,
    drainC50PerSec: JOBS / drainC50,
    commandsPerJob: calls.total / JOBS,
    scriptsPerJob: calls.scripts / JOBS,
  };
};

const bulkThenSerialDrain: Phase = async (side) => {
  const addBulk = await seconds(() => side.addBulk(JOBS));
  const drainC1 = await seconds(() => side.drain(JOBS, 1));
  return { addBulkPerSec: JOBS / addBulk, drainC1PerSec: JOBS / drainC1 };
};

// Add-to-start latency: an open-loop producer at a fixed rate, a worker at concurrency 50 waiting.
const latency: Phase = async (side) => {
  const latencies: number[] = [];
  const stop = await side.startLatencyWorker((addedAtMs) => latencies.push(performance.now() - addedAtMs));
  await new Promise((r) => setTimeout(r, 200));
  const startedAt = performance.now();
  const adds: Promise<void>[] = [];
  for (let i = 0; i < LATENCY_JOBS; i++) {
    const due = startedAt + (i * 1000) / LATENCY_RATE_PER_SEC;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    adds.push(side.addTimed(performance.now()));
  }
  await Promise.all(adds);
  while (latencies.length < LATENCY_JOBS) await new Promise((r) => setTimeout(r, 20));
  await stop();
  return { latencyP50Ms: percentile(latencies, 50), latencyP99Ms: percentile(latencies, 99) };
};

/** The RabbitMQ section's rows, or none (with a line saying why) when it is off or no broker answers. */
async function rabbitmqRows(redisUrl: string): Promise<BenchRow[]> {
  if (AMQP_JOBS === 0) {
    console.log('RabbitMQ section skipped (BENCH_AMQP_JOBS=0)');
    return [];
  }
  const version = await brokerVersion(AMQP_URL);
  if (version === undefined) {
    console.log(
      `RabbitMQ section skipped: no broker at ${AMQP_URL.replace(/\/\/[^@]*@/, '//')} (set AMQP_URL)`,
    );
    return [];
  }
  console.log(
    `RabbitMQ section: ${AMQP_JOBS} jobs per case, RabbitMQ ${version}, quorum queues, ${ROUNDS} rotating rounds`,
  );
  return amqpSection({ amqpUrl: AMQP_URL, redisUrl, jobs: AMQP_JOBS, rounds: ROUNDS });
}

async function main() {
  const server = await startRedisServer({ args: ['--maxmemory-policy', 'noeviction'] });
  const admin = new Redis(server.url);
  try {
    const redisVersion = /redis_version:(\S+)/.exec(String(await admin.info('server')))?.[1];
    const bullVersion = JSON.parse(
      readFileSync(resolve(import.meta.dirname, '../node_modules/bullmq/package.json'), 'utf8'),
    ).version;
    console.log(
      `jobs bench: ${JOBS} jobs, median of ${ROUNDS} alternating rounds, Node ${process.version}, Redis ${redisVersion} (private, no persistence), ` +
        `BullMQ ${bullVersion}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}`,
    );
    await admin.flushall();
    const sides = [oursSide(server.url), bullSide(server.port)];
    for (const side of sides) await warmUp(side, admin);
    // ROUNDS rounds; in each, every phase runs for both sides back to back, the side going first
    // alternating by round. Each figure is the median of its rounds.
    const rounds = new Map<string, Partial<Figures>[]>(sides.map((side) => [side.name, []]));
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? sides : [...sides].reverse();
      const current = new Map<string, Partial<Figures>>(sides.map((side) => [side.name, {}]));
      for (const phase of [lifecycle, bulkThenSerialDrain, latency]) {
        for (const side of order) Object.assign(current.get(side.name)!, await phase(side, admin));
      }
      for (const side of sides) rounds.get(side.name)!.push(current.get(side.name)!);
      console.log(`round ${round + 1}/${ROUNDS}: ${JSON.stringify(Object.fromEntries(current))}`);
    }
    for (const side of sides) await side.close();
    const oursFigures = medians(rounds.get('ours')!);
    const bullFigures = medians(rounds.get('bullmq')!);

    const peer = `BullMQ ${bullVersion}`;
    const rows: BenchRow[] = [
      compare(
        'add 10k one by one',
        'jobs/s',
        'higher-is-better',
        oursFigures.addOnePerSec,
        bullFigures.addOnePerSec,
        peer,
      ),
      compare(
        'addBulk 10k',
        'jobs/s',
        'higher-is-better',
        oursFigures.addBulkPerSec,
        bullFigures.addBulkPerSec,
        peer,
      ),
      compare(
        'drain 10k no-op, concurrency 1',
        'jobs/s',
        'higher-is-better',
        oursFigures.drainC1PerSec,
        bullFigures.drainC1PerSec,
        peer,
      ),
      compare(
        'drain 10k no-op, concurrency 50',
        'jobs/s',
        'higher-is-better',
        oursFigures.drainC50PerSec,
        bullFigures.drainC50PerSec,
        peer,
      ),
      compare(
        `add-to-start latency p50 at ${LATENCY_RATE_PER_SEC}/s`,
        'ms',
        'lower-is-better',
        oursFigures.latencyP50Ms,
        bullFigures.latencyP50Ms,
        peer,
      ),
      compare(
        `add-to-start latency p99 at ${LATENCY_RATE_PER_SEC}/s`,
        'ms',
        'lower-is-better',
        oursFigures.latencyP99Ms,
        bullFigures.latencyP99Ms,
        peer,
      ),
      compare(
        'Redis commands per job (add + drain, INFO commandstats)',
        'commands/job',
        'lower-is-better',
        oursFigures.commandsPerJob,
        bullFigures.commandsPerJob,
        peer,
      ),
      compare(
        'scripts per job (EVALSHA + EVAL)',
        'calls/job',
        'lower-is-better',
        oursFigures.scriptsPerJob,
        bullFigures.scriptsPerJob,
        peer,
      ),
    ];
    rows.push(...(await rabbitmqRows(server.url)));
    report('jobs', rows);
    const drainRatio = oursFigures.drainC50PerSec / bullFigures.drainC50PerSec;
    console.log(
      `target: drain at c=50 >= 1.5x BullMQ: ${drainRatio >= 1.5 ? 'met' : 'NOT met'} (${drainRatio.toFixed(2)}x); ` +
        `fewer commands per job: ${oursFigures.commandsPerJob < bullFigures.commandsPerJob ? 'met' : 'NOT met'}`,
    );
  } finally {
    admin.disconnect();
    await server.stop();
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
