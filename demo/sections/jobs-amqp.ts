import { randomBytes } from 'node:crypto';
import { isBackendPatternsError } from 'backend-patterns';
import { createJobQueue, createWorker } from 'backend-patterns/jobs';
import { createAmqpJobBackend } from 'backend-patterns/jobs/amqp';
import type { DemoSection } from '../types.js';

/** Waits (real time) until `check` passes: delays here run on the broker's own TTL queues. */
async function until(check: () => Promise<boolean> | boolean) {
  for (let i = 0; i < 500 && !(await check()); i++) await new Promise((r) => setTimeout(r, 10));
}

/** The message-broker component of the jobs card: the same queue and worker on RabbitMQ (`--amqp`). */
export const jobsAmqpSection: DemoSection = {
  title: 'JobQueue on RabbitMQ',
  problem:
    'the same jobs on a message broker: confirmed adds, retries through TTL queues, what a broker cannot do',
  async run({ amqpUrl, metrics, step }) {
    if (!amqpUrl) {
      step(
        'run the jobs on RabbitMQ',
        'skipped: pass --amqp (AMQP_URL or amqp://guest:guest@127.0.0.1:5672)',
      );
      return;
    }
    const backend = createAmqpJobBackend({
      url: amqpUrl,
      prefix: `bp-demo-${randomBytes(3).toString('hex')}`,
      delayStepsMs: [50, 500], // short ladder steps so the retries are quick
    });
    const queue = createJobQueue({ name: 'demo-email', backend, metrics, keepCompletedMs: 0 });
    try {
      const added = await queue.addBulk([
        { type: 'welcome', payload: { to: 'a' } },
        {
          type: 'welcome',
          payload: { to: 'b' },
          options: { attempts: 3, backoff: { type: 'fixed', delayMs: 50 } },
        },
      ]);
      step('add 2 jobs', `${added.length} confirmed by the broker before add() resolved`);
      for (const [label, attempt] of [
        ['look a job up by id', () => queue.getJob(added[0]?.id ?? '')],
        ['add with an idempotency key', () => queue.add('welcome', { to: 'c' }, { idempotencyKey: 'c' })],
        ['add with priority 5', () => queue.add('welcome', { to: 'd' }, { priority: 5 })],
      ] as const) {
        try {
          await attempt();
        } catch (error) {
          if (!isBackendPatternsError(error, 'ERR_UNSUPPORTED')) throw error;
          step(label, `${error.code}: nothing written (a quorum queue cannot)`);
        }
      }
      let failures = 0;
      const done: string[] = [];
      const worker = createWorker<{ to: string }>(
        queue,
        async (job) => {
          if (job.payload.to === 'b' && ++failures < 3) throw new Error(`smtp 451 try ${failures}`);
          done.push(job.payload.to);
          return 'sent';
        },
        { sampleIntervalMs: 0, onError: () => {} },
      );
      await until(() => done.length === 2);
      await worker.close();
      step(
        'a worker drains them; b fails twice',
        `done ${done.join(', ')}; 2 retries went through the TTL ladder`,
      );
      step('queue lag (estimated from the broker)', `${await queue.lagMs()} ms`);
    } finally {
      await queue.close();
      await backend.deleteTopology('demo-email');
      await backend.close();
    }
  },
};
