/**
 * Real-time failure modes on Redis: a worker whose event loop is blocked longer than its lease loses
 * the job to another worker and its late completion is rejected; a handler that never settles is timed
 * out. No timing assertions: only outcomes.
 */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJobQueue, createWorker, type Worker } from '../../src/jobs/index.js';
import { createRedisJobBackend } from '../../src/jobs/redis.js';
import { createMemoryMetrics } from '../../src/testing/index.js';
import { connectRedis, deleteByPrefix, noRedis, randomPrefix } from '../support/redis.js';

const blockEventLoop = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

async function until(check: () => boolean | Promise<boolean>, limitMs = 20_000) {
  const deadline = Date.now() + limitMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition never met');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe.skipIf(noRedis)('leases and timeouts in real time (Redis)', () => {
  let redis: Redis;
  const prefix = randomPrefix('jobs-lease');
  beforeAll(() => {
    redis = connectRedis();
  });
  afterAll(async () => {
    await deleteByPrefix(redis, prefix);
    redis.disconnect();
  });

  it('a worker blocked past its lease loses the job to another worker; its late completion is rejected', async () => {
    const metrics = createMemoryMetrics();
    const backend = createRedisJobBackend({ client: redis, prefix });
    const queue = createJobQueue({
      name: 'blocked',
      backend,
      metrics,
    });
    const runs: string[] = [];
    const errorsOfA: unknown[] = [];
    let workerA: Worker | undefined;
    workerA = createWorker(
      queue,
      async () => {
        runs.push('A');
        void workerA?.close({ timeoutMs: 60_000 }); // A takes no further jobs: the retry must go to B
        blockEventLoop(1500); // 5x the lease: no renewal can run
        return 'late';
      },
      { leaseMs: 300, sampleIntervalMs: 0, onError: (e) => errorsOfA.push(e) },
    );
    const { id } = await queue.add('report', null, { attempts: 3, backoff: { type: 'fixed', delayMs: 0 } });
    await until(() => runs.length === 1);
    const workerB = createWorker(queue, async () => void runs.push('B'), {
      leaseMs: 300,
      sampleIntervalMs: 0,
      onError: () => {},
    });
    await until(async () => (await queue.getJob(id))?.state === 'completed');
    await workerA.close();
    await workerB.close();
    const job = await queue.getJob(id);
    expect(runs).toEqual(['A', 'B']);
    expect(job?.result).toBeNull(); // B's handler returned undefined; A's 'late' was never applied
    expect(job?.attemptsMade).toBe(2);
    expect(job?.history[0]?.error.code).toBe('ERR_JOB_LEASE_EXPIRED');
    expect(errorsOfA.map((e) => (e as { code?: string }).code)).toContain('ERR_JOB_LEASE_LOST');
    expect(metrics.counterValue('jobs.lease.lost', { queue: 'blocked' })).toBe(1);
    await queue.close();
    await backend.close();
  });

  it('a handler that never settles is timed out and retried; the worker keeps its slot', async () => {
    const backend = createRedisJobBackend({ client: redis, prefix });
    const queue = createJobQueue({
      name: 'stuck',
      backend,
    });
    let calls = 0;
    let abortedWith: unknown;
    const worker = createWorker(
      queue,
      (_job, { signal }) => {
        calls++;
        if (calls === 1) {
          signal.addEventListener('abort', () => {
            abortedWith = signal.reason;
          });
          return new Promise(() => {}); // never settles, ignores its signal
        }
        return 'second try';
      },
      { concurrency: 1, leaseMs: 5000, sampleIntervalMs: 0, onError: () => {} },
    );
    const { id } = await queue.add('sync', null, {
      timeoutMs: 200,
      attempts: 2,
      backoff: { type: 'fixed', delayMs: 0 },
    });
    await until(async () => (await queue.getJob(id))?.state === 'completed');
    await worker.close({ timeoutMs: 100 });
    const job = await queue.getJob(id);
    expect(job?.result).toBe('second try');
    expect(job?.history[0]?.error.code).toBe('ERR_JOB_TIMEOUT');
    expect((abortedWith as { code?: string }).code).toBe('ERR_JOB_TIMEOUT');
    await queue.close();
    await backend.close();
  });
});
