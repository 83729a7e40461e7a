/**
 * What a worker needs from its queue that is not public API: the backend, the clock and the metric
 * instruments. Kept in a WeakMap so the `JobQueue` object stays a plain interface.
 */
import type { Clock } from '../core/clock.js';
import type { Counter, Gauge } from '../core/metrics.js';
import type { JobQueue } from './queue.js';
import type { JobBackend } from './types.js';

/** A queue's private parts, shared with its workers. */
export interface QueueInternals {
  readonly name: string;
  readonly backend: JobBackend;
  readonly clock: Clock;
  readonly keepCompletedMs: number;
  /** Function backoffs given at `add`, by job type (a function cannot be stored in the backend). */
  readonly backoffByType: Map<string, (attempt: number, error: unknown) => number>;
  readonly processed: Counter;
  readonly leaseLost: Counter;
  readonly lagGauge: Gauge;
  readonly depthGauge: Gauge;
  isClosed(): boolean;
}

const registry = new WeakMap<JobQueue, QueueInternals>();

/** Records the internals of a queue created by `createJobQueue`. */
export function registerQueue(queue: JobQueue, internals: QueueInternals): void {
  registry.set(queue, internals);
}

/** The internals of `queue`, or undefined when it was not created by `createJobQueue`. */
export function queueInternals(queue: JobQueue): QueueInternals | undefined {
  return registry.get(queue);
}
