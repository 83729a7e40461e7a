/**
 * One queue's consumer: a channel of its own consuming `P.N` with a prefetch of the most jobs held at
 * once (handed out + asked for), a buffer of deliveries no claim has taken yet, and the handed-out
 * deliveries awaiting their ack. Tokens are `<channel generation>:<delivery tag>`: a token of a closed
 * channel finds nothing (the broker requeued that delivery), so its result is refused.
 */
import type { Channel, ConsumeMessage } from 'amqplib';
import { decodeJob, type WireJob } from './amqp-codec.js';
import type { ConnectionManager } from './amqp-connection.js';
import type { ClaimedJob } from './types.js';

/** A delivery of one of our jobs. */
export interface Delivered {
  readonly message: ConsumeMessage;
  readonly channel: Channel;
  readonly job: WireJob;
  /** Set when handed out. */
  claimed?: ClaimedJob;
}

/** What the consumer hands to the backend instead of buffering. */
export interface ConsumerHooks {
  /** The work queue's name, once its topology is declared on the live connection. */
  mainQueue(): Promise<string>;
  now(): number;
  /** A delivery that is not one of our jobs: dead-letter it with `reason`, then ack. */
  onForeign(channel: Channel, message: ConsumeMessage, reason: string): void;
  /** A job delivered before its `readyAtMs` (the ladder rounds down): send it up the ladder again, then ack. */
  onEarly(channel: Channel, message: ConsumeMessage, job: WireJob): void;
}

let generationSeq = 0;

/** Settles a delivery on its channel; false when that channel is gone (the broker requeued it). */
function settleOn(channel: Channel, message: ConsumeMessage, how: 'ack' | 'requeue' | 'drop'): boolean {
  try {
    if (how === 'ack') channel.ack(message);
    else channel.nack(message, false, how === 'requeue');
    return true;
  } catch {
    return false;
  }
}

/** See the file comment. */
export class QueueConsumer {
  private channel: Channel | undefined;
  private generation = 0;
  private consumerTag: string | undefined;
  private consuming = false;
  private starting: Promise<void> | undefined;
  private prefetch = 1;
  private readonly buffer: Delivered[] = [];
  private readonly active = new Map<number, Delivered>();
  private readonly waiters = new Set<() => void>();
  /** Deliveries received since the last {@link takeDeliveryCount} (the lag estimate's rate). */
  private delivered = 0;

  constructor(
    private readonly conn: ConnectionManager,
    private readonly hooks: ConsumerHooks,
  ) {}

  /** Jobs handed out and not yet settled (this process only). */
  get activeCount(): number {
    return this.active.size;
  }

  /** Deliveries waiting for a claim. */
  get bufferedCount(): number {
    return this.buffer.length;
  }

  /** The earliest `readyAtMs` among buffered deliveries, or undefined. */
  oldestBufferedMs(): number | undefined {
    let oldest: number | undefined;
    for (const d of this.buffer)
      if (oldest === undefined || d.job.readyAtMs < oldest) oldest = d.job.readyAtMs;
    return oldest;
  }

  /** Deliveries since the last call. */
  takeDeliveryCount(): number {
    const n = this.delivered;
    this.delivered = 0;
    return n;
  }

  /** Consumes (again) with a prefetch of at least `held` jobs. */
  async ensure(held: number): Promise<void> {
    if (this.starting) await this.starting;
    const grow = held > this.prefetch;
    if (grow) this.prefetch = held;
    if (this.consuming && !grow) return;
    this.starting ??= this.consume().finally(() => {
      this.starting = undefined;
    });
    await this.starting;
  }

  /** Opens the channel if needed, then (re)starts the consumer with the current prefetch. */
  private async consume(): Promise<void> {
    const queue = await this.hooks.mainQueue();
    if (!this.channel) {
      const { channel } = await this.conn.channel();
      this.generation = ++generationSeq;
      this.channel = channel;
      channel.on('close', () => this.onClose(channel));
    }
    const channel = this.channel;
    // basic.qos applies to consumers started after it: a larger prefetch needs a new consumer.
    if (this.consumerTag !== undefined) await this.cancel(channel);
    await channel.prefetch(this.prefetch);
    const reply = await channel.consume(queue, (m) => this.onMessage(channel, m), { noAck: false });
    this.consumerTag = reply.consumerTag;
    this.consuming = true;
  }

  private async cancel(channel: Channel): Promise<void> {
    const tag = this.consumerTag;
    this.consumerTag = undefined;
    this.consuming = false;
    if (tag !== undefined) await channel.cancel(tag).catch(() => {});
  }

  private onClose(channel: Channel): void {
    if (this.channel !== channel) return;
    this.channel = undefined;
    this.consumerTag = undefined;
    this.consuming = false;
    this.buffer.length = 0;
    this.active.clear();
    this.wake();
  }

  private onMessage(channel: Channel, message: ConsumeMessage | null): void {
    if (message === null) {
      // The broker cancelled the consumer (the queue was deleted): consume again at the next claim.
      this.consumerTag = undefined;
      this.consuming = false;
      this.wake();
      return;
    }
    this.delivered++;
    const decoded = decodeJob(message.content);
    if (!decoded.ok) {
      this.hooks.onForeign(channel, message, decoded.reason);
      return;
    }
    if (decoded.job.readyAtMs > this.hooks.now()) {
      this.hooks.onEarly(channel, message, decoded.job);
      return;
    }
    this.buffer.push({ message, channel, job: decoded.job });
    this.wake();
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }

  /**
   * Hands out up to `count` buffered jobs. At-most-once jobs are acked first (token ''), and the acks
   * are followed by a round trip on the channel: the broker has then taken them, so a crash of this
   * process from here on cannot bring those jobs back.
   */
  async take(count: number, nowMs: number): Promise<ClaimedJob[]> {
    const jobs: ClaimedJob[] = [];
    let acked: Channel | undefined;
    while (jobs.length < count) {
      const d = this.buffer.shift();
      if (!d) break;
      const atMostOnce = d.job.delivery === 'at-most-once';
      if (atMostOnce) {
        if (!settleOn(d.channel, d.message, 'ack')) continue;
        acked = d.channel;
      }
      const token = atMostOnce ? '' : `${this.generation}:${d.message.fields.deliveryTag}`;
      const claimed: ClaimedJob = {
        ...d.job,
        state: 'active',
        attemptsMade: d.job.attemptsMade + 1,
        token,
        startedAtMs: nowMs,
      };
      d.claimed = claimed;
      if (!atMostOnce) this.active.set(d.message.fields.deliveryTag, d);
      jobs.push(claimed);
    }
    // basic.qos with the current value changes nothing; its reply comes after the acks were processed.
    if (acked) await acked.prefetch(this.prefetch);
    return jobs;
  }

  private lookup(token: string): Delivered | undefined {
    const sep = token.indexOf(':');
    if (sep <= 0 || token.slice(0, sep) !== String(this.generation)) return undefined;
    return this.active.get(Number(token.slice(sep + 1)));
  }

  /** True while `token`'s delivery is handed out on the live channel. */
  holds(token: string): boolean {
    return this.lookup(token) !== undefined;
  }

  /** Removes `token`'s delivery from the handed-out set and returns it: one result per claim. */
  settle(token: string): Delivered | undefined {
    const d = this.lookup(token);
    if (d) this.active.delete(d.message.fields.deliveryTag);
    return d;
  }

  /** Acks, or nacks with or without requeue, a delivery taken by {@link settle}. */
  finish(d: Delivered, how: 'ack' | 'requeue' | 'drop'): boolean {
    return settleOn(d.channel, d.message, how);
  }

  /** Resolves at the next buffered delivery, channel loss, or after `maxWaitMs` (the caller's timer). */
  waitForDelivery(signal: AbortSignal): Promise<void> {
    if (this.buffer.length > 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      const done = () => {
        this.waiters.delete(done);
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = () => {
        this.waiters.delete(done);
        reject(signal.reason);
      };
      this.waiters.add(done);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Cancels the consumer and requeues buffered deliveries; handed-out ones stay ackable. */
  async releaseBuffered(): Promise<void> {
    if (this.starting) await this.starting.catch(() => {});
    const channel = this.channel;
    if (channel) await this.cancel(channel);
    for (const d of this.buffer.splice(0)) settleOn(d.channel, d.message, 'requeue');
    // The prefetch only grows while a consumer runs; a worker's close starts it over, so a smaller
    // worker next does not hold as many jobs as a bigger one did (the next claim sets it again).
    this.prefetch = Math.max(1, this.active.size);
    this.wake();
  }

  /** Wakes waiters (resume, close). */
  poke(): void {
    this.wake();
  }
}
