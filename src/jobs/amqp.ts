/**
 * The RabbitMQ job backend (`backend-patterns/jobs/amqp`), on amqplib: quorum queues, publisher
 * confirms, manual acks with a prefetch of the worker's concurrency, a TTL-queue delay ladder for
 * delays and backoff, a dead-letter queue carrying the attempt history, and reconnection with backoff.
 * What RabbitMQ cannot do the way Redis does is declared in `capabilities` (docs/jobs.md has the table).
 */
import { connect as amqpConnect, type Channel, type ConsumeMessage } from 'amqplib';
import type { WireJob } from './amqp-codec.js';
import { ConnectionManager } from './amqp-connection.js';
import { QueueConsumer } from './amqp-consumer.js';
import { type AmqpContext, createAmqpContext } from './amqp-context.js';
import { amqpDeadOps } from './amqp-dead-ops.js';
import { type AmqpJobBackendOptions, parseAmqpOptions } from './amqp-options.js';
import { amqpProducerOps } from './amqp-producer-ops.js';
import { delayStepFor, deleteTopology } from './amqp-topology.js';
import { amqpWorkerOps } from './amqp-worker-ops.js';
import type { JobBackend, JobBackendCapabilities } from './types.js';

export { AmqpPartialAddError, AmqpPartialQueueFullError, type PartialAdd } from './amqp-errors.js';
export type { AmqpJobBackendOptions } from './amqp-options.js';
export { AmqpTopologyError } from './amqp-topology.js';

/** The RabbitMQ backend: a {@link JobBackend} that owns its connection. */
export interface AmqpJobBackend extends JobBackend {
  readonly kind: 'amqp';
  readonly capabilities: JobBackendCapabilities;
  /** Cancels the queue's consumer and requeues its prefetched, unclaimed jobs (a worker's close). */
  releaseBuffered(queue: string): Promise<void>;
  /** Deletes the queue's queues and exchanges on the broker, and every job in them. */
  deleteTopology(queue: string): Promise<void>;
  /** Stops reconnecting and closes the connection; unacknowledged jobs go back to the broker. */
  close(): Promise<void>;
}

/** Share of `consumerTimeoutMs` an attempt may take: the rest covers the result's publish and ack. */
const ATTEMPT_SHARE = 0.9;

/** Wait before handing back a delivery whose re-route up the delay ladder failed. */
const REROUTE_RETRY_MS = 1000;

/** Hooks of the consumers: early deliveries go up the ladder, foreign ones to the DLQ. */
function consumerFor(
  ctx: AmqpContext,
  queue: string,
  unreadable: () => void,
  rerouteFailed: () => void,
): QueueConsumer {
  // Handing a delivery back after a failed re-route: not at once (the broker would redeliver it at
  // once and the same failure would spin), and never left unacked (it would hold a prefetch slot
  // until the connection drops, and the worker would stall).
  const handBack = async (channel: Channel, message: ConsumeMessage) => {
    rerouteFailed();
    // A ladder queue deleted under us is declared again on the next try (declarations are cached).
    ctx.forget(queue);
    await ctx.clock.sleep(REROUTE_RETRY_MS).catch(() => {});
    try {
      channel.nack(message, false, true);
    } catch {
      // the channel is gone: the broker redelivers the job to the next consumer
    }
  };
  const onEarly = (channel: Channel, message: ConsumeMessage, job: WireJob) => {
    const step = async () => {
      const t = await ctx.declared(queue);
      const remainingMs = job.readyAtMs - ctx.clock.now();
      const outcome = await ctx.publish({
        queue: delayStepFor(t, remainingMs),
        messageId: job.id,
        body: message.content,
      });
      if (outcome === 'ack') channel.ack(message);
      else await handBack(channel, message);
    };
    step().catch(() => handBack(channel, message));
  };
  const onForeign = (channel: Channel, message: ConsumeMessage) => {
    unreadable();
    try {
      // Rejected without requeue: the broker dead-letters it (at least once) to the DLQ, as it came.
      channel.nack(message, false, false);
    } catch {
      // the channel is gone; the broker redelivers it to the next consumer, which rejects it again
    }
  };
  return new QueueConsumer(ctx.conn, {
    mainQueue: async () => (await ctx.declared(queue)).main,
    now: () => ctx.clock.now(),
    onEarly,
    onForeign,
  });
}

/**
 * Creates a RabbitMQ job backend. It connects on first use, declares each queue's topology the first
 * time the queue is used on a connection, and reconnects after a failure.
 *
 * @example
 * ```ts
 * const backend = createAmqpJobBackend({ url: process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672' });
 * const queue = createJobQueue({ name: 'email', backend, keepCompletedMs: 0 });
 * ```
 */
export function createAmqpJobBackend(options: AmqpJobBackendOptions): AmqpJobBackend {
  const o = parseAmqpOptions(options);
  const { url } = o;
  const reconnects = o.metrics.counter('jobs.amqp.reconnects', {
    description: 'RabbitMQ connections of a job backend that dropped (each is followed by a reconnection)',
    unit: '{connection}',
    labelNames: [],
  });
  const unreadable = o.metrics.counter('jobs.amqp.unreadable', {
    description: 'messages in a work queue that were not jobs, dead-lettered as they came',
    unit: '{message}',
    labelNames: ['queue'],
  });
  const rerouteFailures = o.metrics.counter('jobs.amqp.reroute_failures', {
    description: 'early deliveries whose republish up the delay ladder failed (handed back to the broker)',
    unit: '{message}',
    labelNames: ['queue'],
  });
  const conn = new ConnectionManager({
    connect: o.connect ?? (() => amqpConnect(url ?? '')),
    clock: o.clock,
    reconnect: o.reconnect,
    waitMs: o.publishTimeoutMs,
    onDown: () => reconnects.add(1, {}),
  });
  const ctx = createAmqpContext({
    conn,
    clock: o.clock,
    prefix: o.prefix,
    deliveryLimit: o.deliveryLimit,
    delayStepsMs: o.delayStepsMs,
    maxDepth: o.maxDepth,
    publishTimeoutMs: o.publishTimeoutMs,
    makeConsumer: (c, queue) =>
      consumerFor(
        c,
        queue,
        () => unreadable.add(1, { queue }),
        () => rerouteFailures.add(1, { queue }),
      ),
  });
  const capabilities: JobBackendCapabilities = Object.freeze({
    lookup: false,
    idempotency: false,
    maxPriority: 0,
    overflow: Object.freeze(o.hasDepth ? (['reject'] as const) : []),
    progress: false,
    lag: 'estimated',
    leases: 'connection',
    time: 'wall',
    pause: 'local',
    listDead: true,
    maxAttemptMs: Math.floor(o.consumerTimeoutMs * ATTEMPT_SHARE),
  });
  return {
    kind: 'amqp',
    capabilities,
    ...amqpProducerOps(ctx),
    ...amqpWorkerOps(ctx),
    ...amqpDeadOps(ctx),
    releaseBuffered: (queue) => ctx.consumer(queue).releaseBuffered(),
    async deleteTopology(queue) {
      const t = ctx.names(queue);
      const { channel } = await conn.channel();
      try {
        await deleteTopology(channel, t);
      } finally {
        await channel.close().catch(() => {});
      }
      ctx.forget(queue);
    },
    close: () => conn.close(),
  };
}
