/**
 * What the RabbitMQ backend's op groups share: the connection, the clock, per-queue topology (declared
 * once per connection), consumers and local pause flags, and confirmed publishing.
 */
import type { Clock } from '../core/clock.js';
import { InvalidArgumentError, StoreError } from '../core/errors.js';
import type { ConnectionManager } from './amqp-connection.js';
import type { QueueConsumer } from './amqp-consumer.js';
import type { JobMessage, PublishResult } from './amqp-publish.js';
import { declareTopology, type QueueTopology, topologyNames } from './amqp-topology.js';

/** The shared state of one backend. */
export interface AmqpContext {
  readonly conn: ConnectionManager;
  readonly clock: Clock;
  /** Names of `queue`'s topology (validated queue name). */
  names(queue: string): QueueTopology;
  /** The topology, declared on the live connection. */
  declared(queue: string): Promise<QueueTopology>;
  consumer(queue: string): QueueConsumer;
  /** Forgets that `queue`'s topology was declared (it was deleted). */
  forget(queue: string): void;
  /** Queues whose claims this process has paused. */
  readonly paused: Set<string>;
  /** The broker-side depth limit of `queue`, if any. */
  maxDepth(queue: string): number | undefined;
  /** Publishes and waits for the confirm. */
  publish(message: JobMessage): Promise<PublishResult>;
}

/** What {@link createAmqpContext} needs. */
export interface AmqpContextSettings {
  readonly conn: ConnectionManager;
  readonly clock: Clock;
  readonly prefix: string;
  readonly deliveryLimit: number;
  readonly delayStepsMs: readonly number[];
  readonly maxDepth: (queue: string) => number | undefined;
  readonly publishTimeoutMs: number;
  readonly makeConsumer: (ctx: AmqpContext, queue: string) => QueueConsumer;
}

const QUEUE_NAME = /^[A-Za-z0-9._-]{1,128}$/;

/** Builds the context; topology declarations are cached per queue and connection epoch. */
export function createAmqpContext(s: AmqpContextSettings): AmqpContext {
  const names = new Map<string, QueueTopology>();
  const declarations = new Map<string, { epoch: number; done: Promise<QueueTopology> }>();
  const consumers = new Map<string, QueueConsumer>();
  const namesOf = (queue: string): QueueTopology => {
    let t = names.get(queue);
    if (!t) {
      if (typeof queue !== 'string' || !QUEUE_NAME.test(queue))
        throw new InvalidArgumentError('`queue` must be 1..128 characters of [A-Za-z0-9._-]');
      t = topologyNames(s.prefix, queue, s.delayStepsMs);
      names.set(queue, t);
    }
    return t;
  };
  const declare = async (t: QueueTopology): Promise<QueueTopology> => {
    const { channel } = await s.conn.channel();
    try {
      await declareTopology(channel, t, { deliveryLimit: s.deliveryLimit, maxDepth: s.maxDepth(t.queue) });
    } finally {
      await channel.close().catch(() => {});
    }
    return t;
  };
  const ctx: AmqpContext = {
    conn: s.conn,
    clock: s.clock,
    names: namesOf,
    async declared(queue) {
      const t = namesOf(queue);
      await s.conn.get();
      const epoch = s.conn.epoch;
      const known = declarations.get(queue);
      if (known && known.epoch === epoch) return known.done;
      const done = s.conn.bounded(declare(t), `declaring queue \`${queue}\``);
      declarations.set(queue, { epoch, done });
      done.catch(() => {
        if (declarations.get(queue)?.done === done) declarations.delete(queue);
      });
      return done;
    },
    consumer(queue) {
      namesOf(queue);
      let c = consumers.get(queue);
      if (!c) {
        c = s.makeConsumer(ctx, queue);
        consumers.set(queue, c);
      }
      return c;
    },
    forget(queue) {
      declarations.delete(queue);
    },
    paused: new Set(),
    maxDepth: s.maxDepth,
    async publish(message) {
      const publisher = await s.conn.confirmPublisher(s.publishTimeoutMs);
      return publisher.publish(message);
    },
  };
  return ctx;
}

/** A publish that must be confirmed: a nack is a StoreError (queues without a depth limit never nack). */
export async function publishConfirmed(ctx: AmqpContext, message: JobMessage): Promise<void> {
  if ((await ctx.publish(message)) === 'nack')
    throw new StoreError(`the broker refused a message for \`${message.queue}\``);
}
