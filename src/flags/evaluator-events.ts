/**
 * The analytics event pipeline: a bounded ring buffer, stored by columns so that recording an evaluation
 * allocates nothing, and the flusher that cuts it into batches for the sink. The context key is hashed in
 * the flush, not in `evaluate`: SHA-256 of the salt and the targeting key, base64url, 16 characters.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import type { FlagInstruments } from './evaluator-instruments.js';
import type { AnalyticsOptions } from './evaluator-options.js';
import type { EvaluationEventStats } from './evaluator-types.js';
import { ERROR_CODES, REASONS } from './evaluator-usage.js';
import type { EvaluationEvent, EvaluationSink } from './types.js';

/** Characters of a `contextKeyHash`. */
const HASH_LENGTH = 16;

/** A fixed-capacity FIFO of evaluation events, by column. */
class EventRing {
  private readonly flags: (string | undefined)[];
  private readonly variants: (string | undefined)[];
  private readonly keys: (string | undefined)[];
  private readonly reasons: Uint8Array;
  /** 0: no error; i + 1: ERROR_CODES[i]. */
  private readonly errors: Uint8Array;
  private readonly atMs: Float64Array;
  private head = 0;
  size = 0;

  constructor(readonly capacity: number) {
    this.flags = new Array<string | undefined>(capacity).fill(undefined);
    this.variants = new Array<string | undefined>(capacity).fill(undefined);
    this.keys = new Array<string | undefined>(capacity).fill(undefined);
    this.reasons = new Uint8Array(capacity);
    this.errors = new Uint8Array(capacity);
    this.atMs = new Float64Array(capacity);
  }

  /** Appends one event; false when full. */
  push(
    flag: string,
    variant: string | undefined,
    reason: number,
    error: number,
    atMs: number,
    key: string | undefined,
  ) {
    if (this.size === this.capacity) return false;
    const at = (this.head + this.size) % this.capacity;
    this.flags[at] = flag;
    this.variants[at] = variant;
    this.reasons[at] = reason;
    this.errors[at] = error + 1;
    this.atMs[at] = atMs;
    this.keys[at] = key;
    this.size += 1;
    return true;
  }

  /** Removes up to `count` of the oldest events, building them (with hashed keys). */
  take(count: number, hash: (key: string) => string): EvaluationEvent[] {
    const out: EvaluationEvent[] = [];
    const n = Math.min(count, this.size);
    for (let i = 0; i < n; i++) {
      const at = this.head;
      const key = this.keys[at];
      const error = this.errors[at] as number;
      out.push({
        flag: this.flags[at] as string,
        variant: this.variants[at],
        reason: REASONS[this.reasons[at] as number] as EvaluationEvent['reason'],
        ...(error === 0 ? {} : { errorCode: ERROR_CODES[error - 1] }),
        ...(key === undefined ? {} : { contextKeyHash: hash(key) }),
        atMs: this.atMs[at] as number,
      });
      this.flags[at] = undefined;
      this.variants[at] = undefined;
      this.keys[at] = undefined;
      this.head = (this.head + 1) % this.capacity;
      this.size -= 1;
    }
    return out;
  }
}

/** The event side of analytics. */
export interface EventPipeline {
  /** Buffers one event (or counts it dropped); `error` is -1 for none. Never throws, never waits. */
  record(
    flag: string,
    variant: string | undefined,
    reason: number,
    error: number,
    atMs: number,
    key: string | undefined,
  ): void;
  /** Sends every event buffered now, in batches; resolves when done. Never rejects. */
  drain(): Promise<void>;
  /** Adds the drop counts since the last push to the metric counters. */
  pushMetrics(): void;
  stats(): EvaluationEventStats;
}

interface PipelineDeps {
  readonly sink: EvaluationSink;
  readonly options: AnalyticsOptions;
  readonly clock: Clock;
  readonly instruments: FlagInstruments;
}

const SEND_TIMED_OUT = new Error('the sink did not answer in time');

/** Creates the pipeline for `sink`. */
export function createEventPipeline(deps: PipelineDeps): EventPipeline {
  const { sink, options, clock, instruments } = deps;
  const ring = new EventRing(options.maxBuffered);
  const salt = options.contextKeySalt ?? randomBytes(16);
  const counts = { sent: 0, droppedOverflow: 0, droppedSink: 0, failedBatches: 0 };
  const unpushed = { overflow: 0, sink: 0, sent: 0 };
  let chain: Promise<void> = Promise.resolve();
  let triggered = false;

  const hashKey = (key: string) =>
    createHash('sha256').update(salt).update(key, 'utf8').digest('base64url').slice(0, HASH_LENGTH);

  const sendBatch = async (events: readonly EvaluationEvent[]) => {
    const timer = new AbortController();
    const sending = Promise.resolve().then(() => sink.send(events));
    sending.catch(() => {}); // a send that times out may still reject later; nobody listens then
    const deadline = clock.sleep(options.sendTimeoutMs, timer.signal).then(() => {
      throw SEND_TIMED_OUT;
    });
    deadline.catch(() => {});
    try {
      await Promise.race([sending, deadline]);
      counts.sent += events.length;
      unpushed.sent += events.length;
    } catch {
      counts.droppedSink += events.length;
      counts.failedBatches += 1;
      unpushed.sink += events.length;
    } finally {
      timer.abort();
    }
  };

  const drainNow = async () => {
    triggered = false;
    let remaining = ring.size;
    while (remaining > 0) {
      const cache = new Map<string, string>();
      const batch = ring.take(Math.min(options.batchSize, remaining), (key) => {
        let hashed = cache.get(key);
        if (hashed === undefined) {
          hashed = hashKey(key);
          cache.set(key, hashed);
        }
        return hashed;
      });
      remaining -= batch.length;
      await sendBatch(batch);
    }
  };

  const drain = () => {
    chain = chain.then(drainNow, drainNow);
    return chain;
  };

  return {
    record(flag, variant, reason, error, atMs, key) {
      if (!ring.push(flag, variant, reason, error, atMs, key)) {
        counts.droppedOverflow += 1;
        unpushed.overflow += 1;
        return;
      }
      if (ring.size >= options.batchSize && !triggered) {
        triggered = true;
        setImmediate(() => void drain());
      }
    },
    drain,
    pushMetrics() {
      if (unpushed.overflow > 0) instruments.eventsDropped.add(unpushed.overflow, { cause: 'overflow' });
      if (unpushed.sink > 0) instruments.eventsDropped.add(unpushed.sink, { cause: 'sink' });
      if (unpushed.sent > 0) instruments.eventsSent.add(unpushed.sent);
      unpushed.overflow = 0;
      unpushed.sink = 0;
      unpushed.sent = 0;
    },
    stats: () => ({ buffered: ring.size, ...counts }),
  };
}
