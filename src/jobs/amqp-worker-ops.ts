/**
 * The worker side of the RabbitMQ backend: claims from the consumer's buffer, acks as results
 * (complete, settle), and failures as a confirmed republish (to the delay ladder for a retry, to the
 * dead-letter queue when the budget is spent) followed by the ack: never the ack first, so a crash
 * between the two duplicates a job rather than losing it.
 */
import { UnsupportedError } from '../core/errors.js';
import { appendHistory, encodeJob, type WireJob } from './amqp-codec.js';
import type { Delivered } from './amqp-consumer.js';
import { type AmqpContext, publishConfirmed } from './amqp-context.js';
import { delayStepFor } from './amqp-topology.js';
import type { ClaimRequest, ClaimResult, FailInput, FailOutcome, JobBackend, JobError } from './types.js';

/** Longest a claim waits for deliveries the broker says are on their way (ready jobs, none buffered). */
const CLAIM_GRACE_MS = 100;
const CANCELLED = new Error('cancelled');

/** Waits up to `ms` for the consumer's next delivery. */
async function briefWait(ctx: AmqpContext, queue: string, ms: number): Promise<void> {
  const timer = new AbortController();
  try {
    await Promise.race([
      ctx.consumer(queue).waitForDelivery(timer.signal),
      ctx.clock.sleep(ms, timer.signal),
    ]);
  } catch {
    // the timer's own cancellation
  } finally {
    timer.abort(CANCELLED);
  }
}

async function claim(ctx: AmqpContext, queue: string, { count }: ClaimRequest): Promise<ClaimResult> {
  const paused = ctx.paused.has(queue);
  const idle = { jobs: [], nextWakeMs: null, stalledRetried: 0, stalledDead: 0, paused };
  if (paused) return idle;
  const consumer = ctx.consumer(queue);
  await consumer.ensure(consumer.activeCount + count);
  if (consumer.bufferedCount === 0) {
    // A consumer that just started (or was just acked into room) receives ready jobs a moment later.
    const admin = await ctx.conn.adminChannel();
    const { messageCount } = await admin.checkQueue(ctx.names(queue).main);
    if (messageCount > 0) await briefWait(ctx, queue, CLAIM_GRACE_MS);
  }
  const jobs = await consumer.take(count, ctx.clock.now());
  return { ...idle, jobs };
}

/** Sends a failed job on: back up the ladder (or straight to the work queue), or to the DLQ. */
async function republish(ctx: AmqpContext, queue: string, job: WireJob, delayMs: number | null) {
  const t = await ctx.declared(queue);
  const body = encodeJob(job);
  if (delayMs === null) return publishConfirmed(ctx, { queue: t.dead, messageId: job.id, body });
  if (delayMs > 0) return publishConfirmed(ctx, { queue: delayStepFor(t, delayMs), messageId: job.id, body });
  // A full work queue refuses the retry: the smallest ladder step holds it until there is room.
  if ((await ctx.publish({ queue: t.main, messageId: job.id, body })) === 'ack') return;
  await publishConfirmed(ctx, { queue: delayStepFor(t, 0), messageId: job.id, body });
}

/** The job as it goes on after this failed attempt. */
function failedJob(d: Delivered, input: FailInput, nowMs: number): { job: WireJob; dead: boolean } {
  const claimed = d.claimed ?? { ...d.job, attemptsMade: d.job.attemptsMade + 1, startedAtMs: nowMs };
  const attemptsMade = claimed.attemptsMade + input.chargedAttempts;
  const error: JobError = input.error;
  const history = appendHistory(claimed.history, {
    attempt: claimed.attemptsMade,
    startedAtMs: claimed.startedAtMs,
    endedAtMs: nowMs,
    error,
  });
  const dead = input.retryDelayMs === null || attemptsMade >= claimed.attempts;
  const job: WireJob = {
    ...d.job,
    attemptsMade,
    history,
    error,
    state: dead ? 'dead' : 'delayed',
    readyAtMs: dead ? d.job.readyAtMs : nowMs + (input.retryDelayMs ?? 0),
    ...(dead ? { finishedAtMs: nowMs } : {}),
  };
  return { job, dead };
}

async function fail(ctx: AmqpContext, queue: string, input: FailInput): Promise<FailOutcome> {
  const consumer = ctx.consumer(queue);
  const d = consumer.settle(input.token);
  if (!d) return 'lost';
  const nowMs = ctx.clock.now();
  const { job, dead } = failedJob(d, input, nowMs);
  try {
    await republish(ctx, queue, job, dead ? null : Math.max(0, job.readyAtMs - nowMs));
  } catch (error) {
    consumer.finish(d, 'requeue'); // not republished: the broker runs it again
    throw error;
  }
  // Acked after the confirm. If the channel died meanwhile the broker redelivers the original too.
  return consumer.finish(d, 'ack') ? (dead ? 'dead' : 'retried') : 'lost';
}

type WorkerOps = Pick<
  JobBackend,
  | 'claim'
  | 'settle'
  | 'complete'
  | 'renew'
  | 'progress'
  | 'fail'
  | 'release'
  | 'waitForWork'
  | 'releaseBuffered'
>;

/** claim, settle, complete, renew, progress, fail, release, waitForWork, releaseBuffered. */
export function amqpWorkerOps(ctx: AmqpContext): WorkerOps {
  const complete = (queue: string, token: string): boolean => {
    const consumer = ctx.consumer(queue);
    const d = consumer.settle(token);
    return d !== undefined && consumer.finish(d, 'ack');
  };
  return {
    claim: (queue, request) => claim(ctx, queue, request),
    async settle(queue, { completions, claim: next }) {
      const completed = completions.map((c) => complete(queue, c.token));
      return next ? { completed, claimed: await claim(ctx, queue, next) } : { completed };
    },
    complete: async (queue, input) => complete(queue, input.token),
    renew: async (queue, { leases }) => leases.map((l) => ctx.consumer(queue).holds(l.token)),
    async progress() {
      throw new UnsupportedError(
        'progress',
        'the `amqp` job backend does not store progress (capability `progress`)',
      );
    },
    fail: (queue, input) => fail(ctx, queue, input),
    async release(queue, { token }) {
      const consumer = ctx.consumer(queue);
      const d = consumer.settle(token);
      return d !== undefined && consumer.finish(d, 'requeue');
    },
    async waitForWork(queue, { maxWaitMs, signal }) {
      if (signal.aborted) throw signal.reason;
      const consumer = ctx.consumer(queue);
      const timer = new AbortController();
      const onAbort = () => timer.abort(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      try {
        // Started in the background: an unreachable broker must not hold the wait past maxWaitMs.
        if (!ctx.paused.has(queue)) consumer.ensure(consumer.activeCount + 1).catch(() => {});
        await Promise.race([
          consumer.waitForDelivery(timer.signal),
          ctx.clock.sleep(maxWaitMs, timer.signal),
        ]);
      } catch (error) {
        if (signal.aborted) throw signal.reason;
        throw error;
      } finally {
        signal.removeEventListener('abort', onAbort);
        timer.abort(CANCELLED);
      }
    },
    releaseBuffered: (queue) => ctx.consumer(queue).releaseBuffered(),
  };
}
