/**
 * The producer side of the RabbitMQ backend: confirmed adds (ready jobs to the work queue, delayed
 * ones to the ladder), counts from the broker's queue counts, the estimated lag, the local pause flag.
 */
import { UnsupportedError } from '../core/errors.js';
import { encodeJob, type WireJob } from './amqp-codec.js';
import type { AmqpContext } from './amqp-context.js';
import { AmqpPartialAddError, AmqpPartialQueueFullError } from './amqp-errors.js';
import { delayStepFor } from './amqp-topology.js';
import { PayloadTooLargeError } from './errors.js';
import type { AddBatchResult, AddLimits, AddRequest, JobBackend, NewJob } from './types.js';

const KIND = 'amqp';

/** Refuses what the broker cannot honour rather than approximating it. */
function checkAdd(ctx: AmqpContext, queue: string, jobs: readonly NewJob[], limits: AddLimits): void {
  const brokerDepth = ctx.maxDepth(queue);
  if (limits.maxDepth > 0 && (limits.overflow !== 'reject' || brokerDepth !== limits.maxDepth)) {
    throw new UnsupportedError(
      'overflow',
      `\`maxDepth\` ${limits.maxDepth} with overflow '${limits.overflow}' on queue \`${queue}\`: the \`${KIND}\` backend enforces only the \`maxDepth\` given to it (${brokerDepth ?? 'none'}) with 'reject'`,
    );
  }
  for (const job of jobs) {
    if (job.priority !== 0)
      throw new UnsupportedError('maxPriority', `the \`${KIND}\` job backend takes only priority 0`);
    if (job.idempotencyKey !== undefined)
      throw new UnsupportedError('idempotency', `the \`${KIND}\` job backend has no idempotency keys`);
  }
}

const wireJob = (job: NewJob, nowMs: number): WireJob => ({
  id: job.id,
  type: job.type,
  payloadJson: job.payloadJson,
  state: job.delayMs > 0 ? 'delayed' : 'ready',
  priority: 0,
  attempts: job.attempts,
  attemptsMade: 0,
  delivery: job.delivery,
  timeoutMs: job.timeoutMs,
  backoff: job.backoff,
  createdAtMs: nowMs,
  readyAtMs: nowMs + job.delayMs,
  history: [],
});

/** RabbitMQ's default `max_message_size` (128 MiB): a larger message closes the publishing channel. */
const MAX_MESSAGE_BYTES = 128 * 1024 * 1024;

async function add(ctx: AmqpContext, queue: string, { jobs, limits }: AddRequest): Promise<AddBatchResult> {
  checkAdd(ctx, queue, jobs, limits);
  const t = await ctx.declared(queue);
  const nowMs = ctx.clock.now();
  const prepared = jobs.map((job) => ({ job, body: encodeJob(wireJob(job, nowMs)) }));
  // Over the broker's `max_message_size` the broker closes the shared publishing channel, failing
  // every publish in flight with it: refuse it here, before anything is sent.
  const oversize = prepared.findIndex(({ body }) => body.length > MAX_MESSAGE_BYTES);
  if (oversize >= 0) {
    throw new PayloadTooLargeError(
      `job ${oversize} is ${prepared[oversize]?.body.length} bytes as a message; RabbitMQ takes at most ${MAX_MESSAGE_BYTES} (max_message_size)`,
      MAX_MESSAGE_BYTES,
    );
  }
  // All published, then all confirms awaited: one round trip for the batch, not one per job.
  const outcomes = await Promise.allSettled(
    prepared.map(({ job, body }) =>
      ctx.publish({
        queue: job.delayMs > 0 ? delayStepFor(t, job.delayMs) : t.main,
        messageId: job.id,
        body,
      }),
    ),
  );
  const addedIds = jobs
    .filter((_, i) => outcomes[i]?.status === 'fulfilled' && outcomes[i].value === 'ack')
    .map((j) => j.id);
  if (addedIds.length === jobs.length) {
    return { rejected: false, dropped: 0, jobs: addedIds.map((id) => ({ id, status: 'added' as const })) };
  }
  const failure = outcomes.find((o) => o.status === 'rejected');
  const failedIds = jobs.map((j) => j.id).filter((id) => !addedIds.includes(id));
  if (failure === undefined && addedIds.length === 0) return { rejected: true, dropped: 0, jobs: [] };
  if (failure === undefined) {
    throw new AmqpPartialQueueFullError(
      `queue \`${queue}\` filled up during the batch: ${addedIds.length} of ${jobs.length} jobs were added (see \`addedIds\`)`,
      ctx.maxDepth(queue) ?? 0,
      { addedIds, failedIds },
    );
  }
  if (addedIds.length === 0) throw failure.reason;
  throw new AmqpPartialAddError(
    `publishing failed during the batch: ${addedIds.length} of ${jobs.length} jobs were confirmed (see \`addedIds\`)`,
    { addedIds, failedIds },
    { cause: failure.reason },
  );
}

/** Per queue: what the lag estimate remembers between calls. */
interface LagState {
  sampledAtMs: number;
  /** Since when the broker has reported ready jobs at every sample, when no delivery rate is known. */
  backlogSinceMs: number | undefined;
}

async function lagMs(ctx: AmqpContext, queue: string, states: Map<string, LagState>): Promise<number> {
  const t = await ctx.declared(queue);
  const consumer = ctx.consumer(queue);
  const nowMs = ctx.clock.now();
  const state = states.get(queue) ?? { sampledAtMs: nowMs, backlogSinceMs: undefined };
  states.set(queue, state);
  const elapsedMs = nowMs - state.sampledAtMs;
  const deliveries = consumer.takeDeliveryCount();
  state.sampledAtMs = nowMs;
  const oldest = consumer.oldestBufferedMs();
  if (oldest !== undefined) return Math.max(0, nowMs - oldest);
  const admin = await ctx.conn.adminChannel();
  const { messageCount, consumerCount } = await admin.checkQueue(t.main);
  if (messageCount === 0) {
    state.backlogSinceMs = undefined;
    return 0;
  }
  if (deliveries > 0 && elapsedMs > 0) {
    // Little's law: waiting jobs over the drain rate, this consumer's rate times the consumers.
    const perMs = (deliveries / elapsedMs) * Math.max(1, consumerCount);
    return Math.round(messageCount / perMs);
  }
  state.backlogSinceMs ??= nowMs;
  return nowMs - state.backlogSinceMs;
}

type ProducerOps = Pick<JobBackend, 'add' | 'setPaused' | 'getJob' | 'counts' | 'lagMs'>;

/** add, setPaused, getJob (unsupported), counts, lagMs. */
export function amqpProducerOps(ctx: AmqpContext): ProducerOps {
  const lagStates = new Map<string, LagState>();
  return {
    add: (queue, request) => add(ctx, queue, request),
    async setPaused(queue, paused) {
      ctx.names(queue);
      const consumer = ctx.consumer(queue);
      if (paused) {
        ctx.paused.add(queue);
        await consumer.releaseBuffered();
      } else {
        ctx.paused.delete(queue);
        consumer.poke();
      }
    },
    async getJob() {
      throw new UnsupportedError(
        'lookup',
        `the \`${KIND}\` job backend cannot read a job by id (capability \`lookup\`)`,
      );
    },
    async counts(queue) {
      const t = await ctx.declared(queue);
      const admin = await ctx.conn.adminChannel();
      const count = async (name: string) => (await admin.checkQueue(name)).messageCount;
      const [ready, dead, ...delays] = await Promise.all(
        [t.main, t.dead, ...t.delays.map((d) => d.name)].map(count),
      );
      const consumer = ctx.consumer(queue);
      return {
        ready: (ready ?? 0) + consumer.bufferedCount,
        delayed: delays.reduce((a, b) => a + b, 0),
        active: consumer.activeCount,
        dead: dead ?? 0,
        paused: ctx.paused.has(queue),
      };
    },
    lagMs: (queue) => lagMs(ctx, queue, lagStates),
  };
}
