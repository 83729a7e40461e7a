/**
 * JobQueue end to end: a producer adds welcome emails (one with a bad address), a worker sends them
 * with retries and exponential backoff, the bad one exhausts its budget and lands in the dead-letter
 * queue, we fix the cause and redrive it. Then the queue's lag and metrics.
 *
 *   npm run example -- jobs            # memory backend (the default)
 *   npm run example -- jobs --redis    # Redis backend (REDIS_URL or redis://127.0.0.1:6379)
 *   npm run example -- jobs --amqp     # RabbitMQ backend (AMQP_URL or amqp://guest:guest@127.0.0.1:5672)
 *
 * RabbitMQ has no lookup by id and no idempotency keys (see docs/jobs.md, Capabilities): on `--amqp` the
 * example shows those refusals (ERR_UNSUPPORTED) and reads results from what the handler returned.
 */

import { isBackendPatternsError } from 'backend-patterns';
import {
  createJobQueue,
  createWorker,
  FULL_JOB_CAPABILITIES,
  NonRetryableError,
} from 'backend-patterns/jobs';
import { createAmqpJobBackend } from 'backend-patterns/jobs/amqp';
import { createRedisJobBackend } from 'backend-patterns/jobs/redis';
import { createMemoryMetrics } from 'backend-patterns/testing';
import { Redis } from 'ioredis';

const redis = process.argv.includes('--redis')
  ? new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', {
      lazyConnect: true,
      maxRetriesPerRequest: null, // workers keep retrying through a Redis restart
    })
  : undefined;
await redis?.connect();
const prefix = `example-${process.pid}`;
const metrics = createMemoryMetrics();

const amqp = process.argv.includes('--amqp')
  ? createAmqpJobBackend({
      url: process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672',
      prefix,
      delayStepsMs: [20, 200, 1000], // short ladder steps so the example's backoff is quick
      maxDepth: 10_000, // the depth limit is a property of the RabbitMQ queue
    })
  : undefined;
const backend = redis ? createRedisJobBackend({ client: redis, prefix }) : amqp;
const can = backend?.capabilities ?? FULL_JOB_CAPABILITIES;
const queue = createJobQueue({
  name: 'email',
  backend,
  maxDepth: 10_000, // beyond this, add() throws QueueFullError: shed load instead of queueing forever
  keepCompletedMs: can.lookup ? 3_600_000 : 0,
  metrics,
});
const results = new Map<string, string>();

interface Welcome {
  readonly to: string;
}

// A fake mail provider: addresses on example.invalid bounce; one in three calls times out transiently.
let calls = 0;
const brokenDomains = new Set(['example.invalid']);
async function sendMail(to: string, signal: AbortSignal): Promise<string> {
  calls++;
  signal.throwIfAborted();
  if (brokenDomains.has(to.split('@')[1] ?? '')) throw new Error(`550 mailbox unavailable: ${to}`);
  if (calls % 3 === 0) throw Object.assign(new Error('ETIMEDOUT'), { code: 'ETIMEDOUT' });
  return `250 queued as ${calls}`;
}

const worker = createWorker<Welcome>(
  queue,
  async (job, { signal }) => {
    if (!job.payload.to.includes('@')) throw new NonRetryableError('no address'); // retrying cannot help
    const reply = await sendMail(job.payload.to, signal);
    results.set(job.id, reply);
    return reply;
  },
  { concurrency: 4, leaseMs: 10_000 },
);

console.log(`backend: ${backend?.kind ?? 'memory'}`);
const backoff = { type: 'exponential', delayMs: 20, maxDelayMs: 200, jitter: 0.5 } as const;
const ids: string[] = [];
for (const to of ['ada@example.com', 'grace@example.com', 'linus@example.invalid', 'barbara@example.com']) {
  const idempotency = can.idempotency ? { idempotencyKey: `welcome:${to}` } : {};
  const { id } = await queue.add('welcome', { to }, { attempts: 3, backoff, ...idempotency });
  ids.push(id);
}
try {
  const again = await queue.add(
    'welcome',
    { to: 'ada@example.com' },
    { idempotencyKey: 'welcome:ada@example.com' },
  );
  console.log(`added ${ids.length} jobs; re-adding ada's returned the first job: ${again.duplicate}`);
} catch (error) {
  if (!isBackendPatternsError(error, 'ERR_UNSUPPORTED')) throw error;
  console.log(
    `added ${ids.length} jobs; an idempotency key on ${backend?.kind}: ${error.code} (nothing added)`,
  );
}

// Settled: nothing waiting or running, and every job either done or dead (a broker's counts lag a job
// moving between its queues, so an idle moment alone is not enough).
const settled = async () => {
  for (;;) {
    const c = await queue.counts();
    if (c.ready + c.delayed + c.active === 0 && results.size + c.dead === ids.length) return c;
    await new Promise((r) => setTimeout(r, 20));
  }
};
console.log('counts after the first pass:', await settled());

const [dead] = await queue.deadLetters.list();
if (dead) {
  console.log(`dead letter: ${(dead.payload as Welcome).to} after ${dead.attemptsMade} attempts`);
  for (const attempt of dead.history) console.log(`  attempt ${attempt.attempt}: ${attempt.error.message}`);
  brokenDomains.clear(); // the provider fixed its routing
  const moved = await queue.deadLetters.redrive('all', { ratePerSec: 50 });
  console.log(`redrove ${moved} job(s) with a fresh budget`);
}
console.log('counts after the redrive:', await settled());
for (const id of ids) {
  if (!can.lookup) {
    console.log(
      `  ${id} → ${JSON.stringify(results.get(id))} (from the handler: no getJob on ${backend?.kind})`,
    );
    continue;
  }
  const job = await queue.getJob(id);
  console.log(
    `  ${job?.state.padEnd(9)} ${(job?.payload as Welcome | undefined)?.to} → ${JSON.stringify(job?.result)}`,
  );
}

await queue.add('welcome', { to: 'late@example.com' }, { delayMs: 60_000 });
console.log(`queue lag now: ${await queue.lagMs()} ms (a delayed job is not lag until it is due)`);
console.log(
  `jobs.processed: completed=${metrics.counterValue('jobs.processed', { outcome: 'completed' })} ` +
    `failed=${metrics.counterValue('jobs.processed', { outcome: 'failed' })} ` +
    `retried=${metrics.counterValue('jobs.processed', { outcome: 'retried' })} ` +
    `dead=${metrics.counterValue('jobs.processed', { outcome: 'dead' })}`,
);

await worker.close({ timeoutMs: 1000 });
await queue.close();
await amqp?.deleteTopology('email'); // the example's queues; a real app keeps them
await backend?.close(); // closes the connections it opened; never your client
if (redis) {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) await redis.del(...keys);
  } while (cursor !== '0');
  redis.disconnect();
}
