/**
 * The crash test on RabbitMQ: 3 worker processes drain 5000 jobs from the shared broker while one of
 * them is SIGKILLed every ~300 ms and restarted (the broker stays up: it is the workers that crash).
 * At-least-once loses nothing (the broker requeues a dead connection's unacked deliveries; duplicates
 * are counted and reported); at-most-once duplicates nothing and loses at most what the killed worker
 * had handed to its handlers (<= prefetch = concurrency per kill).
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAmqpJobBackend } from '../../src/jobs/amqp.js';
import { createJobQueue, type JobOptions, type JobQueue } from '../../src/jobs/index.js';
import { spawnTracked } from '../support/processes.js';
import { amqpUrl, noRabbitmq } from '../support/rabbitmq.js';

const workerSource = resolve(import.meta.dirname, 'fixtures/amqp-crash-worker.ts');
// Bundled once, as in crash.test.ts: it starts fast enough for a kill every 300 ms to find it running.
const workerFile = resolve(
  import.meta.dirname,
  '../../node_modules/.cache/backend-patterns-tests/amqp-crash-worker.mjs',
);
const JOBS = 5000;
const WORKERS = 3;
const CONCURRENCY = 5;
const KILL_EVERY_MS = 300;

interface WorkerProcess {
  readonly child: ChildProcess;
  /** Set once the process has connected and declared the topology: only running workers are killed. */
  ready: boolean;
  /** Resolves when the process is gone and its stdout fully read. */
  readonly closed: Promise<void>;
}

/** How often each job's handler ran to the end, by payload n (from every worker's stdout). */
type Runs = Map<number, number>;

/** Spawn-to-ready times of every worker process, in ms (why the kills come slower than every 300 ms). */
const readyTimesMs: number[] = [];

function startWorker(prefix: string, queue: string, runs: Runs): WorkerProcess {
  const spawnedAt = Date.now();
  const child = spawnTracked(
    process.execPath,
    [workerFile, amqpUrl() ?? '', prefix, queue, String(CONCURRENCY)],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  const closed = new Promise<void>((r) => child.once('close', () => r()));
  const worker: WorkerProcess = { child, ready: false, closed };
  let partial = '';
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      if (line === 'ready') {
        worker.ready = true;
        readyTimesMs.push(Date.now() - spawnedAt);
      } else if (line.startsWith('done ')) {
        const n = Number(line.slice(5));
        runs.set(n, (runs.get(n) ?? 0) + 1);
      }
    }
  });
  return worker;
}

async function addJobs(queue: JobQueue, delivery: JobOptions['delivery']): Promise<void> {
  for (let i = 0; i < JOBS; i += 500) {
    const batch = Array.from({ length: 500 }, (_, j) => ({
      type: 'work',
      payload: { n: i + j },
      options:
        delivery === 'at-most-once'
          ? { delivery }
          : { delivery, attempts: 50, backoff: { type: 'fixed' as const, delayMs: 0 } },
    }));
    await queue.addBulk(batch);
  }
}

async function runCrashScenario(prefix: string, delivery: JobOptions['delivery']) {
  const name = `crash-${delivery}`;
  const backend = createAmqpJobBackend({ url: amqpUrl() ?? '', prefix });
  const queue = createJobQueue({ name, backend });
  const runs: Runs = new Map();
  readyTimesMs.length = 0;
  try {
    await addJobs(queue, delivery);
    const workers = Array.from({ length: WORKERS }, () => startWorker(prefix, name, runs));
    let kills = 0;
    let victim = 0;
    let quietTicks = 0;
    let lastCompleted = 0;
    // Drained: at-least-once when every job ran and none is ready; at-most-once (whose lost jobs never
    // run) when nothing is ready and no handler finished for a few ticks.
    const drained = async () => {
      const c = await queue.counts();
      const idle = c.ready + c.delayed === 0;
      quietTicks = runs.size === lastCompleted ? quietTicks + 1 : 0;
      lastCompleted = runs.size;
      return delivery === 'at-least-once' ? idle && runs.size === JOBS : idle && quietTicks >= 4;
    };
    const startedAt = Date.now();
    for (let tick = 0; ; tick++) {
      // A fixed schedule, so the time spent killing and restarting does not stretch the cadence.
      await new Promise((r) =>
        setTimeout(r, Math.max(0, startedAt + (tick + 1) * KILL_EVERY_MS - Date.now())),
      );
      if (await drained()) break;
      if (tick > 1000) throw new Error(`queue never drained: ${runs.size} of ${JOBS} ran`);
      // Kill only while at least two are up, so one keeps draining while the others restart.
      if (workers.filter((w) => w.ready).length < 2) continue;
      const index = [0, 1, 2].map((i) => (victim + i) % WORKERS).find((i) => workers[i]?.ready);
      const target = index === undefined ? undefined : workers[index];
      if (index === undefined || !target) continue;
      target.child.kill('SIGKILL');
      await target.closed;
      kills++;
      workers[index] = startWorker(prefix, name, runs);
      victim = (index + 1) % WORKERS;
    }
    const drainedAt = Date.now();
    // Let handlers still running finish (they take <= 15 ms) before the last kill.
    await new Promise((r) => setTimeout(r, 1000));
    for (const w of workers) {
      w.child.kill('SIGKILL');
      await w.closed;
    }
    const counts = await queue.counts();
    const perJob = Array.from({ length: JOBS }, (_, n) => runs.get(n) ?? 0);
    return {
      kills,
      msPerKill: Math.round((drainedAt - startedAt) / Math.max(1, kills)),
      drainMs: drainedAt - startedAt,
      workerReadyMsMedian: [...readyTimesMs].sort((a, b) => a - b)[Math.floor(readyTimesMs.length / 2)],
      completed: perJob.filter((r) => r > 0).length,
      lost: perJob.filter((r) => r === 0).length,
      duplicates: perJob.reduce((sum, r) => sum + Math.max(0, r - 1), 0),
      maxRuns: Math.max(...perJob),
      dead: counts.dead,
      // At-least-once: deliveries the last kill returned to the broker, all of them already done.
      leftReady: counts.ready,
    };
  } finally {
    await queue.close();
    await backend.deleteTopology(name).catch(() => {});
    await backend.close();
  }
}

describe.skipIf(noRabbitmq)('crash test on RabbitMQ: 3 worker processes, one SIGKILLed every ~300 ms', () => {
  const prefix = `bpt${randomBytes(4).toString('hex')}`;
  beforeAll(async () => {
    await build({
      entryPoints: [workerSource],
      outfile: workerFile,
      bundle: true,
      packages: 'external',
      platform: 'node',
      format: 'esm',
      target: 'node20',
      logLevel: 'error',
    });
  });
  afterAll(async () => {
    // Each scenario deletes its own topology; this catches one a failed scenario left behind.
    const cleaner = createAmqpJobBackend({ url: amqpUrl() ?? '', prefix });
    for (const delivery of ['at-least-once', 'at-most-once']) {
      await cleaner.deleteTopology(`crash-${delivery}`).catch(() => {});
    }
    await cleaner.close();
  });

  it('at-least-once: every job completes at least once, none lost', { timeout: 180_000 }, async () => {
    const result = await runCrashScenario(prefix, 'at-least-once');
    console.log(`[amqp crash at-least-once] ${JSON.stringify(result)}`);
    expect(result.kills).toBeGreaterThan(0);
    expect(result.lost).toBe(0);
    expect(result.dead).toBe(0);
    expect(result.completed).toBe(JOBS);
  });

  it('at-most-once: lost jobs bounded by what was in flight at the kills, no duplicates', {
    timeout: 180_000,
  }, async () => {
    const result = await runCrashScenario(prefix, 'at-most-once');
    console.log(`[amqp crash at-most-once] ${JSON.stringify(result)}`);
    expect(result.kills).toBeGreaterThan(0);
    expect(result.duplicates).toBe(0);
    expect(result.lost).toBeLessThanOrEqual(result.kills * CONCURRENCY);
    expect(result.completed + result.lost).toBe(JOBS);
    expect(result.leftReady).toBe(0);
  });
});
