/**
 * The card's failure mode for real: 3 worker processes drain 5000 jobs while one of them is SIGKILLed
 * every ~300 ms and restarted. At-least-once loses nothing (duplicates are counted and reported);
 * at-most-once loses at most what was in flight at each kill.
 */
import type { ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { build } from 'esbuild';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJobQueue, type JobOptions } from '../../src/jobs/index.js';
import { createRedisJobBackend } from '../../src/jobs/redis.js';
import { spawnTracked } from '../support/processes.js';
import { connectRedis, deleteByPrefix, noRedis, randomPrefix, redisUrl } from '../support/redis.js';

const workerSource = resolve(import.meta.dirname, 'fixtures/crash-worker.ts');
// The worker is bundled once into plain JavaScript: it then starts in ~0.25 s instead of ~0.65 s through
// tsx, so a kill every 300 ms finds running workers to kill. It sits under node_modules so that its
// (external) package imports resolve.
const workerFile = resolve(
  import.meta.dirname,
  '../../node_modules/.cache/backend-patterns-tests/crash-worker.mjs',
);
const JOBS = 5000;
const WORKERS = 3;
const CONCURRENCY = 5;
const LEASE_MS = 1000;
const KILL_EVERY_MS = 300;

interface WorkerProcess {
  readonly child: ChildProcess;
  /** Set once the process has loaded and connected: only running workers are worth killing. */
  ready: boolean;
}

function startWorker(prefix: string, queue: string): WorkerProcess {
  const child = spawnTracked(
    process.execPath,
    [workerFile, redisUrl()!, prefix, queue, String(CONCURRENCY), String(LEASE_MS)],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  const worker: WorkerProcess = { child, ready: false };
  child.stdout?.on('data', () => {
    worker.ready = true;
  });
  return worker;
}

const exited = (child: ChildProcess) =>
  new Promise<void>((r) => {
    if (child.exitCode !== null || child.signalCode !== null) r();
    else child.once('exit', () => r());
  });

async function runCrashScenario(redis: Redis, prefix: string, delivery: JobOptions['delivery']) {
  const name = `crash-${delivery}`;
  const queue = createJobQueue({ name, backend: createRedisJobBackend({ client: redis, prefix }) });
  const ids: string[] = [];
  for (let i = 0; i < JOBS; i += 500) {
    const batch = Array.from({ length: 500 }, (_, j) => ({
      type: 'work',
      payload: { n: i + j },
      options:
        delivery === 'at-most-once'
          ? { delivery }
          : { delivery, attempts: 50, backoff: { type: 'fixed' as const, delayMs: 0 } },
    }));
    for (const added of await queue.addBulk(batch)) ids.push(added.id);
  }
  const workers = Array.from({ length: WORKERS }, () => startWorker(prefix, name));
  let kills = 0;
  let victim = 0;
  const idle = async () => {
    const c = await queue.counts();
    return c.ready + c.delayed + c.active === 0;
  };
  // Every ~300 ms kill one running worker (round robin) and start a new one, until the queue is
  // drained. Workers still starting are skipped: killing them would test process start-up, not jobs.
  const startedAt = Date.now();
  for (let tick = 0; ; tick++) {
    // Ticks on a fixed schedule, so the time spent killing and restarting does not stretch the cadence.
    await new Promise((r) => setTimeout(r, Math.max(0, startedAt + (tick + 1) * KILL_EVERY_MS - Date.now())));
    if (await idle()) break;
    if (tick > 1000) throw new Error('queue never drained');
    // Kill only while at least two are up, so one keeps draining while the others restart.
    if (workers.filter((w) => w.ready).length < 2) continue;
    const index = [0, 1, 2].map((i) => (victim + i) % WORKERS).find((i) => workers[i]!.ready);
    if (index === undefined) continue;
    const { child } = workers[index]!;
    child.kill('SIGKILL');
    await exited(child);
    kills++;
    workers[index] = startWorker(prefix, name);
    victim = (index + 1) % WORKERS;
  }
  const drainedAt = Date.now();
  // At-most-once jobs in flight are in no set, so "idle" can come while handlers still run: let them
  // finish (they take <= 15 ms) before stopping the workers, so the last stop loses nothing.
  await new Promise((r) => setTimeout(r, 1000));
  for (const { child } of workers) {
    child.kill('SIGKILL');
    await exited(child);
  }
  const done = await redis.hgetall(`${prefix}:crash:done`);
  const runs = ids.map((id) => Number(done[id] ?? 0));
  const counts = await queue.counts();
  await queue.close();
  return {
    kills,
    msPerKill: Math.round((drainedAt - startedAt) / Math.max(1, kills)),
    completed: runs.filter((n) => n > 0).length,
    lost: runs.filter((n) => n === 0).length,
    duplicates: runs.reduce((sum, n) => sum + Math.max(0, n - 1), 0),
    dead: counts.dead,
  };
}

describe.skipIf(noRedis)('crash test: 3 worker processes, one SIGKILLed every ~300 ms', () => {
  let redis: Redis;
  const prefixes: string[] = [];
  beforeAll(async () => {
    redis = connectRedis();
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
    for (const p of prefixes) await deleteByPrefix(redis, p);
    redis.disconnect();
  });

  it('at-least-once: every job completes at least once, none lost', { timeout: 120_000 }, async () => {
    const prefix = randomPrefix('crash-alo');
    prefixes.push(prefix);
    const result = await runCrashScenario(redis, prefix, 'at-least-once');
    console.log(`[crash at-least-once] ${JSON.stringify(result)}`);
    expect(result.kills).toBeGreaterThan(0);
    expect(result.lost).toBe(0);
    expect(result.dead).toBe(0);
    expect(result.completed).toBe(JOBS);
  });

  it('at-most-once: lost jobs bounded by what was in flight at the kills, no duplicates', {
    timeout: 120_000,
  }, async () => {
    const prefix = randomPrefix('crash-amo');
    prefixes.push(prefix);
    const result = await runCrashScenario(redis, prefix, 'at-most-once');
    console.log(`[crash at-most-once] ${JSON.stringify(result)}`);
    expect(result.kills).toBeGreaterThan(0);
    expect(result.duplicates).toBe(0);
    expect(result.lost).toBeLessThanOrEqual(result.kills * CONCURRENCY);
    expect(result.completed + result.lost).toBe(JOBS);
  });
});
