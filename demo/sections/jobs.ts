import { createJobQueue, createMemoryJobBackend, createWorker, type JobBackend } from 'backend-patterns/jobs';
import { createRedisJobBackend } from 'backend-patterns/jobs/redis';
import { createManualClock } from 'backend-patterns/testing';
import type { DemoSection } from '../types.js';

/** Waits (real time) for background work the manual clock has released. */
async function until(check: () => Promise<boolean>) {
  for (let i = 0; i < 500 && !(await check()); i++) await new Promise((r) => setTimeout(r, 10));
}

export const jobsSection: DemoSection = {
  title: 'JobQueue',
  problem: 'offload work to workers: depth limits, retries with backoff, leases vs crashes, DLQ, queue lag',
  async run({ redis, metrics, prefix, step }) {
    const clock = createManualClock(Date.UTC(2026, 0, 1, 12, 0, 0));
    // With --redis, scripts run on the demo's manual clock (a test-only option) so the output is stable.
    const backend: JobBackend = redis
      ? createRedisJobBackend({ client: redis, prefix, clock })
      : createMemoryJobBackend({ clock });
    const queue = createJobQueue({ name: 'demo-email', backend, clock, metrics, maxDepth: 3 });
    const quiet = { sampleIntervalMs: 0, onError: () => {} };

    for (const to of ['a', 'b', 'c']) await queue.add('welcome', { to });
    try {
      await queue.add('welcome', { to: 'd' });
    } catch (error) {
      step(
        'add a 4th job to a queue with maxDepth 3 jobs',
        `${(error as Error).name} ${(error as { code: string }).code}`,
      );
    }
    clock.advance(30_000);
    step(
      'nobody works the queue for 30 s',
      `queue.lagMs() = ${await queue.lagMs()} ms, counts ${JSON.stringify(await queue.counts())}`,
    );

    let flaky = 0;
    const worker = createWorker<{ to: string }>(
      queue,
      async (job) => {
        if (job.payload.to === 'b' && ++flaky < 3) throw new Error(`smtp 451 try ${flaky}`);
        return `sent to ${job.payload.to}`;
      },
      { ...quiet, concurrency: 2 },
    );
    const waiting = async () => {
      const c = await queue.counts();
      return {
        retrying: c.delayed === 1 && c.active + c.ready === 0,
        drained: c.ready + c.delayed + c.active === 0,
      };
    };
    // Time jumps only while nothing is in flight, so no lease is jumped over.
    await until(async () => flaky === 1 && (await waiting()).retrying);
    clock.advance(60_000); // past the exponential backoff of the first retry
    await until(async () => flaky === 2 && (await waiting()).retrying);
    clock.advance(60_000);
    await until(async () => (await waiting()).drained);
    await worker.close();
    step(
      'start a worker; job b fails twice (exponential backoff, 3 attempts)',
      `drained, lag ${await queue.lagMs()} ms; retried ${metrics.counterValue('jobs.processed', { outcome: 'retried' })} attempts, completed ${metrics.counterValue('jobs.processed', { outcome: 'completed' })} jobs`,
    );

    const { id } = await queue.add(
      'report',
      { month: '2026-01' },
      { attempts: 2, backoff: { type: 'fixed', delayMs: 0 } },
    );
    const claimed = await backend.claim(queue.name, { count: 1, leaseMs: 30_000, token: 'crashed-worker' });
    clock.advance(30_001);
    const rescue = createWorker(queue, async () => 'rebuilt', quiet);
    await until(async () => (await queue.getJob(id))?.state === 'completed');
    await rescue.close();
    const lateResult = await backend.complete(queue.name, {
      id,
      token: claimed.jobs[0]?.token ?? '',
      resultJson: '"stale"',
      chargedAttempts: 0,
      keepCompletedMs: 60_000,
    });
    const report = await queue.getJob(id);
    step(
      'a worker claims a job and dies (SIGKILL); 30 s lease passes',
      `job redelivered: ${report?.state}, after ${report?.attemptsMade} attempts, history ${report?.history[0]?.error.code}; the dead worker's late result applied: ${lateResult}`,
    );

    const poison = await queue.add('welcome', { to: 'nobody' }, { attempts: 1 });
    const failing = createWorker(
      queue,
      async () => {
        throw new Error('550 mailbox unavailable');
      },
      quiet,
    );
    await until(async () => (await queue.counts()).dead === 1);
    await failing.close();
    const [dead] = await queue.deadLetters.list();
    step(
      'a job fails its only attempt',
      `dead letter ${dead?.id === poison.id ? poison.id.slice(0, 8) : '?'}…: "${dead?.error?.message}"`,
    );
    const moved = await queue.deadLetters.redrive('all');
    step(
      'redrive the dead-letter queue',
      `${moved} job back in the queue with a fresh budget: ${JSON.stringify(await queue.counts())}`,
    );
    await queue.deadLetters.purge();
    await queue.close();
    await backend.close?.(); // the backend's own blocking connection; the demo's client stays open
  },
};
