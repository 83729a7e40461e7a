/**
 * The backend's one connection: opened on first use, reopened after a close or an error with
 * exponential backoff and jitter, each connection numbered by an epoch (tokens of an older epoch are
 * stale: the broker requeued their deliveries when that connection dropped). Callers wait for a live
 * connection up to `waitMs`, then get a StoreError. The publisher and admin channels live per
 * connection and are reopened when a channel error closed them.
 */
import { randomInt } from 'node:crypto';
import type { Channel, ChannelModel } from 'amqplib';
import type { Clock } from '../core/clock.js';
import { StoreError } from '../core/errors.js';
import { ConfirmPublisher } from './amqp-publish.js';

/** Backoff between reconnection attempts. */
export interface ReconnectSettings {
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
}

/** What the manager needs. */
export interface ConnectionSettings {
  readonly connect: () => Promise<ChannelModel>;
  readonly clock: Clock;
  readonly reconnect: ReconnectSettings;
  /** How long a caller waits for a connection (the backend's `publishTimeoutMs`). */
  readonly waitMs: number;
  /** Called once per dropped connection (consumers forget their deliveries). */
  readonly onDown: (epoch: number) => void;
}

/** One open connection and its shared channels. */
export interface LiveConnection {
  readonly epoch: number;
  readonly model: ChannelModel;
}

const CANCELLED = new Error('cancelled');

/** A connection that lived shorter than this counts as a failed attempt: its backoff keeps growing. */
const STABLE_CONNECTION_MS = 5000;

/** Delay before reconnection attempt `attempt` (0-based): exponential, the upper half randomised. */
export function reconnectDelayMs(s: ReconnectSettings, attempt: number): number {
  const capped = Math.min(s.maxDelayMs, s.initialDelayMs * 2 ** Math.min(attempt, 30));
  const half = Math.floor(capped / 2);
  return capped - half + randomInt(half + 1);
}

/** Owns the connection: see the file comment. */
export class ConnectionManager {
  private live: LiveConnection | undefined;
  private loop: Promise<void> | undefined;
  private epochSeq = 0;
  /** Connections in a row that dropped before they were stable (a broker closing each at once). */
  private flaps = 0;
  private upAtMs = 0;
  private readonly waiters = new Set<() => void>();
  private readonly stop = new AbortController();
  private publisher: Promise<ConfirmPublisher> | undefined;
  private admin: Promise<Channel> | undefined;
  /** The last connection error, for the message of a wait that timed out. */
  private lastError: unknown;

  constructor(private readonly s: ConnectionSettings) {}

  /** The live connection's epoch, or -1 while down. */
  get epoch(): number {
    return this.live?.epoch ?? -1;
  }

  get closed(): boolean {
    return this.stop.signal.aborted;
  }

  /** A live connection, waiting for one up to `waitMs`. */
  async get(): Promise<LiveConnection> {
    if (this.live) return this.live;
    if (this.closed) throw new StoreError('the RabbitMQ job backend is closed');
    this.loop ??= this.connectLoop();
    const timer = new AbortController();
    try {
      return await new Promise<LiveConnection>((resolve, reject) => {
        const done = () => {
          this.waiters.delete(done);
          if (this.live) resolve(this.live);
          else reject(new StoreError('the RabbitMQ job backend is closed'));
        };
        this.waiters.add(done);
        this.s.clock.sleep(this.s.waitMs, timer.signal).then(
          () => {
            this.waiters.delete(done);
            reject(
              new StoreError(`no RabbitMQ connection within ${this.s.waitMs} ms`, {
                cause: this.lastError,
              }),
            );
          },
          () => {},
        );
      });
    } finally {
      timer.abort(CANCELLED);
    }
  }

  private async connectLoop(): Promise<void> {
    // After a short-lived connection, wait before trying again, as after a failed attempt: a broker
    // that accepts and then drops every connection must not get one per round trip.
    if (this.flaps > 0) {
      const delayMs = reconnectDelayMs(this.s.reconnect, this.flaps - 1);
      await this.s.clock.sleep(delayMs, this.stop.signal).catch(() => {});
    }
    for (let attempt = this.flaps; !this.closed; attempt++) {
      try {
        const model = await this.s.connect();
        if (this.closed) {
          await model.close().catch(() => {});
          return;
        }
        this.up(model);
        return;
      } catch (error) {
        this.lastError = error;
      }
      await this.s.clock.sleep(reconnectDelayMs(this.s.reconnect, attempt), this.stop.signal).catch(() => {});
    }
  }

  private up(model: ChannelModel): void {
    const live: LiveConnection = { epoch: ++this.epochSeq, model };
    this.live = live;
    this.upAtMs = this.s.clock.now();
    this.loop = undefined;
    model.on('error', (error: unknown) => {
      this.lastError = error;
    });
    model.on('close', () => this.down(live));
    for (const wake of [...this.waiters]) wake();
  }

  private down(live: LiveConnection): void {
    if (this.live !== live) return;
    this.live = undefined;
    this.flaps = this.s.clock.now() - this.upAtMs < STABLE_CONNECTION_MS ? this.flaps + 1 : 0;
    this.publisher = undefined;
    this.admin = undefined;
    this.s.onDown(live.epoch);
    if (!this.closed) this.loop ??= this.connectLoop();
  }

  /** The live connection, if any (tests destroy its socket to simulate a network failure). */
  get current(): LiveConnection | undefined {
    return this.live;
  }

  /**
   * `work`, or a StoreError after `waitMs`: a connection whose broker stopped answering (killed, not
   * yet detected) must not hold callers forever.
   */
  async bounded<T>(work: Promise<T>, what: string): Promise<T> {
    const timer = new AbortController();
    const expired = this.s.clock.sleep(this.s.waitMs, timer.signal).then(
      () => {
        throw new StoreError(`${what}: no answer from RabbitMQ within ${this.s.waitMs} ms`);
      },
      () => new Promise<never>(() => {}),
    );
    try {
      return await Promise.race([work, expired]);
    } finally {
      timer.abort(CANCELLED);
    }
  }

  /** The confirm-mode publisher of the live connection. */
  async confirmPublisher(timeoutMs: number): Promise<ConfirmPublisher> {
    const live = await this.get();
    const existing = this.publisher ? await this.publisher.catch(() => undefined) : undefined;
    if (existing?.open && this.live === live) return existing;
    const made = this.bounded(live.model.createConfirmChannel(), 'opening a channel').then(
      (ch) => new ConfirmPublisher(ch, this.s.clock, timeoutMs),
    );
    this.publisher = made;
    try {
      return await made;
    } catch (error) {
      if (this.publisher === made) this.publisher = undefined;
      throw new StoreError('opening a RabbitMQ channel failed', { cause: error });
    }
  }

  /** A channel for declarations and counts; reopened when an error closed it. */
  async adminChannel(): Promise<Channel> {
    const live = await this.get();
    if (this.admin) return this.admin;
    const made = this.bounded(live.model.createChannel(), 'opening a channel').then((ch) => {
      ch.on('error', () => {});
      ch.on('close', () => {
        if (this.admin === made) this.admin = undefined;
      });
      return ch;
    });
    this.admin = made;
    made.catch(() => {
      if (this.admin === made) this.admin = undefined;
    });
    return made;
  }

  /** A new channel of the live connection (consumers, browsing, declarations that may fail). */
  async channel(): Promise<{ channel: Channel; epoch: number }> {
    const live = await this.get();
    try {
      const channel = await this.bounded(live.model.createChannel(), 'opening a channel');
      channel.on('error', () => {}); // a channel error is followed by its close, which its owner handles
      return { channel, epoch: live.epoch };
    } catch (error) {
      throw new StoreError('opening a RabbitMQ channel failed', { cause: error });
    }
  }

  /** Stops reconnecting and closes the connection. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.stop.abort(CANCELLED);
    for (const wake of [...this.waiters]) wake();
    const live = this.live;
    this.live = undefined;
    if (live) {
      this.s.onDown(live.epoch);
      await live.model.close().catch(() => {});
    }
  }
}
