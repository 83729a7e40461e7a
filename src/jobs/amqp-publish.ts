/**
 * Publishing with publisher confirms. A publish resolves `ack` only after the broker confirmed it
 * (persisted to the quorum queue's majority), `nack` when the broker refused it (a full queue with
 * `reject-publish`), and rejects with a StoreError when it was unroutable (the queue is gone), when the
 * channel closed before the confirm, or after `timeoutMs`: so an acknowledged add is never lost.
 */
import type { ConfirmChannel, Message } from 'amqplib';
import type { Clock } from '../core/clock.js';
import { StoreError } from '../core/errors.js';

/** A publish in flight, matched to a `basic.return` by queue and message id. */
interface Pending {
  readonly queue: string;
  readonly messageId: string;
  returned: boolean;
  settled: boolean;
  settle(result: PublishResult | StoreError): void;
}

/** What the broker said about a publish. */
export type PublishResult = 'ack' | 'nack';

/** Message properties every job message carries. */
export interface JobMessage {
  readonly queue: string;
  readonly messageId: string;
  readonly body: Buffer;
}

/** The error amqplib gives a confirm callback for a `basic.nack` (channel.js); anything else is a close. */
const AMQPLIB_NACK = 'message nacked';

/** Reason for cancelling timers: preallocated, as `abort()` without one builds a DOMException. */
const CANCELLED = new Error('cancelled');

/** Publishes on one confirm channel; dies with it (a new channel gets a new publisher). */
export class ConfirmPublisher {
  private readonly pending = new Set<Pending>();
  private closedError: StoreError | undefined;

  constructor(
    private readonly channel: ConfirmChannel,
    private readonly clock: Clock,
    private readonly timeoutMs: number,
  ) {
    channel.on('return', (message: Message) => this.onReturn(message));
    channel.on('close', () => this.fail(new StoreError('the channel closed before the broker confirmed')));
    channel.on('error', () => {}); // the close that follows settles what is pending
  }

  /** False once the channel closed: make a new publisher. */
  get open(): boolean {
    return this.closedError === undefined;
  }

  private onReturn(message: Message): void {
    const id = message.properties.messageId;
    for (const p of this.pending) {
      if (!p.returned && p.queue === message.fields.routingKey && p.messageId === id) {
        p.returned = true;
        return;
      }
    }
  }

  private fail(error: StoreError): void {
    this.closedError = error;
    for (const p of [...this.pending]) p.settle(error);
  }

  /** Publishes a persistent message to `queue` (default exchange, mandatory) and waits for its confirm. */
  publish({ queue, messageId, body }: JobMessage): Promise<PublishResult> {
    if (this.closedError) return Promise.reject(this.closedError);
    return new Promise<PublishResult>((resolve, reject) => {
      const timer = new AbortController();
      const p: Pending = {
        queue,
        messageId,
        returned: false,
        settled: false,
        settle: (result) => {
          if (p.settled) return;
          p.settled = true;
          this.pending.delete(p);
          timer.abort(CANCELLED);
          if (result instanceof StoreError) reject(result);
          else resolve(result);
        },
      };
      this.pending.add(p);
      this.clock.sleep(this.timeoutMs, timer.signal).then(
        () =>
          p.settle(
            new StoreError(
              `no publisher confirm within ${this.timeoutMs} ms: the job may or may not be queued`,
            ),
          ),
        () => {},
      );
      try {
        this.channel.sendToQueue(
          queue,
          body,
          { persistent: true, mandatory: true, messageId, contentType: 'application/json' },
          (err: unknown) => {
            if (p.returned)
              p.settle(new StoreError(`queue \`${queue}\` does not exist: the message was not routed`));
            else if (!err) p.settle('ack');
            // amqplib answers a closed channel through the same callback, with another error.
            else if (err instanceof Error && err.message === AMQPLIB_NACK) p.settle('nack');
            else p.settle(new StoreError('the channel closed before the broker confirmed', { cause: err }));
          },
        );
      } catch (error) {
        p.settle(new StoreError('publishing failed', { cause: error }));
      }
    });
  }

  /** Closes the channel (pending publishes reject). */
  async close(): Promise<void> {
    if (!this.open) return;
    try {
      await this.channel.close();
    } catch {
      // already closing with its connection
    }
  }
}
