/**
 * The jobs module's metric instruments, declared once. The queue and its workers each ask their
 * `Metrics` for them by name (the port returns an equivalent instrument for the same name), so a worker
 * needs only the queue's public `metrics`, not a private handle.
 */
import type { Counter, Gauge, Metrics } from '../core/metrics.js';

/** The instruments of the jobs module. */
export interface JobInstruments {
  /** `jobs.added`: jobs offered to the queue, by outcome. */
  readonly added: Counter;
  /** `jobs.processed`: job attempts by outcome. */
  readonly processed: Counter;
  /** `jobs.lease.lost`: results rejected because the worker no longer held the lease. */
  readonly leaseLost: Counter;
  /** `jobs.lease.stale`: claimed jobs not started because their lease may have expired before the start. */
  readonly leaseStale: Counter;
  /** `jobs.queue.lag`: age of the oldest ready job, in seconds (the metric's unit; the API says ms). */
  readonly lagSeconds: Gauge;
  /** `jobs.depth`: jobs by state. */
  readonly depth: Gauge;
}

/** The instruments of the jobs module on `metrics`. */
export function jobInstruments(metrics: Metrics): JobInstruments {
  return {
    added: metrics.counter('jobs.added', {
      description: 'jobs offered to the queue, by outcome',
      unit: '{job}',
      labelNames: ['queue', 'outcome'],
    }),
    processed: metrics.counter('jobs.processed', {
      description: 'job attempts by outcome: completed, failed, retried, dead',
      unit: '{attempt}',
      labelNames: ['queue', 'outcome'],
    }),
    leaseLost: metrics.counter('jobs.lease.lost', {
      description: 'results rejected because the worker no longer held the lease',
      unit: '{result}',
      labelNames: ['queue'],
    }),
    leaseStale: metrics.counter('jobs.lease.stale', {
      description:
        'claimed jobs not started because the worker was paused until their lease may have expired',
      unit: '{claim}',
      labelNames: ['queue'],
    }),
    lagSeconds: metrics.gauge('jobs.queue.lag', {
      description: 'age of the oldest job ready to run, in seconds',
      unit: 's',
      labelNames: ['queue'],
    }),
    depth: metrics.gauge('jobs.depth', {
      description: 'jobs by state',
      unit: '{job}',
      labelNames: ['queue', 'state'],
    }),
  };
}

const STATES = ['ready', 'delayed', 'active', 'dead'] as const;

/** Sets `jobs.depth` for every state from `counts`. */
export function recordDepth(
  depth: Gauge,
  queue: string,
  counts: Readonly<Record<(typeof STATES)[number], number>>,
): void {
  for (const state of STATES) depth.set(counts[state], { queue, state });
}
