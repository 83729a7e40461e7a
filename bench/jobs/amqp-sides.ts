/**
 * The sides of the jobs bench's RabbitMQ section, doing the same work: add `count` jobs with
 * `concurrency` adds in flight (each resolved by its publisher confirm, or by Redis), then drain them
 * with `concurrency` no-op handlers. Ours on RabbitMQ, ours on Redis, and plain amqplib: a confirm
 * channel publishing persistent messages to a quorum queue, and a consumer with prefetch =
 * concurrency that parses each body and acks it after a no-op handler.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { connect } from 'amqplib';
import { Redis } from 'ioredis';
import type * as JobsAmqpModule from '../../src/jobs/amqp.js';
import type * as JobsModule from '../../src/jobs/index.js';
import type * as JobsRedisModule from '../../src/jobs/redis.js';
import { importBuilt } from '../support/built.js';
import { runConcurrent } from '../support/concurrent.js';
import { completionCounter } from './completions.js';

// The built package (dist/), as users run it; npm run bench builds it first.
const { createJobQueue, createWorker } = await importBuilt<typeof JobsModule>('jobs/index.js');
const { createAmqpJobBackend } = await importBuilt<typeof JobsAmqpModule>('jobs/amqp.js');
const { createRedisJobBackend } = await importBuilt<typeof JobsRedisModule>('jobs/redis.js');

/** One side of the RabbitMQ comparison. */
export interface BrokerSide {
  readonly name: 'ours-amqp' | 'ours-redis' | 'amqplib';
  add(count: number, concurrency: number): Promise<void>;
  /** Resolves once `count` jobs were handled and acknowledged; nothing of this drain keeps running. */
  drain(count: number, concurrency: number): Promise<void>;
  /** Closes connections and deletes what the side declared. */
  close(): Promise<void>;
}

type Queue = ReturnType<typeof createJobQueue>;
type QueueMetrics = Parameters<typeof createJobQueue>[0]['metrics'];

/**
 * A side on our JobQueue. Each drain concurrency gets its own queue (and, through `make`, its own
 * backend): the RabbitMQ backend's consumer keeps the largest prefetch it was asked for, so a
 * concurrency-1 drain after a concurrency-50 one would still prefetch 50.
 */
function queueSide(
  name: BrokerSide['name'],
  make: (metrics: QueueMetrics) => { queue: Queue; close(): Promise<void> },
): BrokerSide {
  const counter = completionCounter();
  const made = new Map<number, ReturnType<typeof make>>();
  const at = (concurrency: number) => {
    const existing = made.get(concurrency);
    if (existing) return existing;
    const fresh = make(counter.metrics);
    made.set(concurrency, fresh);
    return fresh;
  };
  return {
    name,
    async add(count, concurrency) {
      const { queue } = at(1);
      await runConcurrent(count, concurrency, (n) => queue.add('noop', { n }));
    },
    async drain(count, concurrency) {
      const done = counter.until(count);
      const worker = createWorker(at(concurrency).queue, () => undefined, {
        concurrency,
        sampleIntervalMs: 0,
      });
      await done;
      await worker.close();
    },
    async close() {
      for (const m of made.values()) await m.close();
    },
  };
}

/** Our RabbitMQ backend on `url`, on a random prefix whose topology is deleted on close. */
export function oursAmqpSide(url: string): BrokerSide {
  const prefix = `bench${randomBytes(4).toString('hex')}`;
  let deleted = false;
  return queueSide('ours-amqp', (metrics) => {
    const backend = createAmqpJobBackend({ url, prefix });
    const queue = createJobQueue({ name: 'bench', backend, keepCompletedMs: 0, metrics });
    return {
      queue,
      async close() {
        await queue.close();
        if (!deleted) await backend.deleteTopology('bench');
        deleted = true;
        await backend.close();
      },
    };
  });
}

/** Our Redis backend on `url`, on its own prefix. */
export function oursRedisSide(url: string): BrokerSide {
  const client = new Redis(url, { maxRetriesPerRequest: null });
  const backend = createRedisJobBackend({ client, prefix: 'bench-vs-amqp' });
  let open = 0;
  return queueSide('ours-redis', (metrics) => {
    const queue = createJobQueue({ name: 'bench', backend, keepCompletedMs: 0, metrics });
    open++;
    return {
      queue,
      async close() {
        await queue.close();
        if (--open === 0) client.disconnect();
      },
    };
  });
}

/** Plain amqplib on `url`: a quorum queue, a confirm channel, a consumer with manual acks. */
export async function amqplibSide(url: string): Promise<BrokerSide> {
  const model = await connect(url);
  const publisher = await model.createConfirmChannel();
  const queue = `bench-plain-${randomBytes(4).toString('hex')}`;
  await publisher.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  const publish = (n: number) =>
    new Promise<void>((resolve, reject) => {
      const body = Buffer.from(JSON.stringify({ type: 'noop', payload: { n } }));
      publisher.sendToQueue(queue, body, { persistent: true, messageId: randomUUID() }, (error) =>
        error ? reject(error) : resolve(),
      );
    });
  return {
    name: 'amqplib',
    add: async (count, concurrency) => void (await runConcurrent(count, concurrency, publish)),
    async drain(count, concurrency) {
      const channel = await model.createChannel();
      await channel.prefetch(concurrency);
      let acked = 0;
      let consumerTag = '';
      await new Promise<void>((resolve, reject) => {
        const handler = async (_payload: unknown) => undefined;
        channel
          .consume(queue, (message) => {
            if (!message) return reject(new Error('consumer cancelled by the broker'));
            void handler(JSON.parse(message.content.toString()).payload).then(() => {
              channel.ack(message);
              if (++acked === count) resolve();
            });
          })
          .then((reply) => {
            consumerTag = reply.consumerTag;
          }, reject);
      });
      await channel.cancel(consumerTag);
      // Closing the channel requeues what was prefetched beyond `count` (nothing, when counts match).
      await channel.close();
    },
    async close() {
      await publisher.deleteQueue(queue);
      await model.close();
    },
  };
}
