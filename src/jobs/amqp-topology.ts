/**
 * The RabbitMQ topology of one job queue N (prefix P): the work queue `P.N`, its dead-letter exchange
 * `P.N.dlx` and queue `P.N.dead`, the delay ladder `P.N.delay.<ms>` (one TTL per queue, so expiry is
 * FIFO) dead-lettering into exchange `P.N.ready`, which is bound to `P.N`. Declaring is idempotent; a
 * queue that already exists with other arguments is a typed {@link AmqpTopologyError}.
 */
import type { Channel } from 'amqplib';
import { StoreError } from '../core/errors.js';

/** Routing key of the work queue's dead letters (to `P.N.dead`). */
export const DEAD_KEY = 'dead';
/** Routing key of expired ladder messages (to `P.N`). */
export const READY_KEY = 'ready';

/** The names of one queue's topology. */
export interface QueueTopology {
  /** The job queue's name as the caller gave it. */
  readonly queue: string;
  /** The work queue `P.N`. */
  readonly main: string;
  readonly deadExchange: string;
  readonly dead: string;
  readonly readyExchange: string;
  /** Ladder steps, smallest first. */
  readonly delays: readonly { readonly ms: number; readonly name: string }[];
}

/** What declaring needs besides the names. */
export interface TopologySettings {
  readonly deliveryLimit: number;
  /** Jobs the work queue accepts, or undefined for no limit. */
  readonly maxDepth: number | undefined;
}

/**
 * A queue or exchange of the topology exists with other arguments (the broker answered
 * PRECONDITION_FAILED): change the backend's options back, or delete the queue (losing its messages).
 */
export class AmqpTopologyError extends StoreError {
  /** The broker object in conflict, e.g. `bp.email`. */
  readonly objectName: string;
  /** The argument the broker named, e.g. `x-delivery-limit`, or `unknown`. */
  readonly argument: string;
  constructor(message: string, objectName: string, argument: string, options?: { cause?: unknown }) {
    super(message, options);
    this.objectName = objectName;
    this.argument = argument;
  }
}

/** The names of queue `queue`'s topology under `prefix`. */
export function topologyNames(prefix: string, queue: string, delayStepsMs: readonly number[]): QueueTopology {
  const main = `${prefix}.${queue}`;
  return {
    queue,
    main,
    deadExchange: `${main}.dlx`,
    dead: `${main}.dead`,
    readyExchange: `${main}.ready`,
    delays: delayStepsMs.map((ms) => ({ ms, name: `${main}.delay.${ms}` })),
  };
}

/** Every queue name of the topology (for counts and deletion). */
export const allQueues = (t: QueueTopology): string[] => [t.main, t.dead, ...t.delays.map((d) => d.name)];

/**
 * The ladder queue for a job `remainingMs` from due: the largest step not above it, or the smallest
 * step when it is shorter (rounded up: a job never runs early, at most one smallest step late).
 */
export function delayStepFor(t: QueueTopology, remainingMs: number): string {
  let chosen = t.delays[0];
  for (const step of t.delays) if (step.ms <= remainingMs) chosen = step;
  if (!chosen) throw new StoreError(`queue \`${t.queue}\` has no delay steps`);
  return chosen.name;
}

const QUORUM = { 'x-queue-type': 'quorum' } as const;
/**
 * The dead-letter queue is browsed by get-then-close, which counts as a delivery: an explicit, very high
 * limit keeps a broker default (20 on RabbitMQ 4) from dropping dead jobs that were listed often.
 */
const DEAD_DELIVERY_LIMIT = 1_000_000_000;

/** The work queue's arguments. `x-max-length` is one below `maxDepth`: quorum queues accept one more. */
export function mainQueueArguments(t: QueueTopology, s: TopologySettings): Record<string, unknown> {
  return {
    ...QUORUM,
    'x-delivery-limit': s.deliveryLimit,
    'x-dead-letter-exchange': t.deadExchange,
    'x-dead-letter-routing-key': DEAD_KEY,
    'x-dead-letter-strategy': 'at-least-once',
    'x-overflow': 'reject-publish',
    ...(s.maxDepth === undefined ? {} : { 'x-max-length': s.maxDepth - 1 }),
  };
}

const delayQueueArguments = (t: QueueTopology, ms: number): Record<string, unknown> => ({
  ...QUORUM,
  'x-message-ttl': ms,
  'x-dead-letter-exchange': t.readyExchange,
  'x-dead-letter-routing-key': READY_KEY,
  'x-dead-letter-strategy': 'at-least-once',
  'x-overflow': 'reject-publish',
});

const INEQUIVALENT = /inequivalent arg '([^']+)' for (?:queue|exchange) '([^']+)'/;

/** A PRECONDITION_FAILED of a declare as a typed error naming the argument; anything else as StoreError. */
function declareError(error: unknown, objectName: string): StoreError {
  const text = error instanceof Error ? error.message : String(error);
  if ((error as { code?: unknown } | null)?.code === 406 || text.includes('PRECONDITION_FAILED')) {
    const match = INEQUIVALENT.exec(text);
    const argument = match?.[1] ?? 'unknown';
    const name = match?.[2] ?? objectName;
    return new AmqpTopologyError(
      `\`${name}\` already exists with a different \`${argument}\`: align the backend's options with it or delete it (its messages are lost)`,
      name,
      argument,
      { cause: error },
    );
  }
  return new StoreError(`declaring \`${objectName}\` failed`, { cause: error });
}

/**
 * Declares the topology on `channel` (a channel of its own: a conflict closes it). Idempotent.
 */
export async function declareTopology(
  channel: Channel,
  t: QueueTopology,
  s: TopologySettings,
): Promise<void> {
  let current = t.main;
  try {
    current = t.deadExchange;
    await channel.assertExchange(t.deadExchange, 'direct', { durable: true });
    current = t.readyExchange;
    await channel.assertExchange(t.readyExchange, 'direct', { durable: true });
    current = t.dead;
    await channel.assertQueue(t.dead, {
      durable: true,
      arguments: { ...QUORUM, 'x-delivery-limit': DEAD_DELIVERY_LIMIT },
    });
    await channel.bindQueue(t.dead, t.deadExchange, DEAD_KEY);
    current = t.main;
    await channel.assertQueue(t.main, { durable: true, arguments: mainQueueArguments(t, s) });
    await channel.bindQueue(t.main, t.readyExchange, READY_KEY);
    for (const step of t.delays) {
      current = step.name;
      await channel.assertQueue(step.name, { durable: true, arguments: delayQueueArguments(t, step.ms) });
    }
  } catch (error) {
    throw declareError(error, current);
  }
}

/** Deletes every queue and exchange of the topology (their messages are lost). */
export async function deleteTopology(channel: Channel, t: QueueTopology): Promise<void> {
  for (const name of allQueues(t)) await channel.deleteQueue(name);
  await channel.deleteExchange(t.deadExchange);
  await channel.deleteExchange(t.readyExchange);
}
