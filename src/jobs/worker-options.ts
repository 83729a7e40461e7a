/** Options of `createWorker`, parsed once at construction. */
import { defineOptions, opt } from '../core/options.js';
import type { Job } from './types.js';

/** Options of `createWorker`. */
export interface WorkerOptions {
  /** Jobs run at once. Default 1. */
  readonly concurrency?: number;
  /**
   * Lease (visibility timeout) per claim, renewed every `leaseMs / 3`. Default 30000. A claimed job
   * whose handler cannot start within `leaseMs - leaseMs / 3` of sending the claim (the worker was
   * paused) is not started but handed back, counted in `jobs.lease.stale`.
   */
  readonly leaseMs?: number;
  /**
   * Per-attempt limit for jobs without their own `timeoutMs`. Default 300000. A backend that declares
   * `capabilities.maxAttemptMs` (RabbitMQ: its `consumer_timeout`) refuses a larger one at
   * construction with `UnsupportedError` (`capability: 'maxAttemptMs'`).
   */
  readonly timeoutMs?: number;
  /** Default deadline of `close()`. Default 10000. */
  readonly closeTimeoutMs?: number;
  /** Longest idle wait before claiming again anyway. Default 5000. */
  readonly maxIdleMs?: number;
  /** How often to refresh `jobs.queue.lag` and `jobs.depth`; 0 turns it off. Default 15000. */
  readonly sampleIntervalMs?: number;
  /**
   * The retry delay in ms of jobs added with `backoff: { type: 'custom' }` (BullMQ's
   * `backoffStrategy`). Give every worker of the queue the same function: a worker without it
   * dead-letters such a job with `ERR_JOB_BACKOFF_UNRESOLVED` instead of guessing a delay.
   */
  readonly backoff?: (attempt: number, error: unknown, job: Job) => number;
  /** Errors that do not belong to a handler call: store failures, lost leases. Default `process.emitWarning`. */
  readonly onError?: (error: unknown, job?: Job) => void;
}

const MAX_TIMER_MS = 2 ** 31 - 1;

const warn = (error: unknown) =>
  process.emitWarning(error instanceof Error ? error : new Error(String(error)));

/** Parses `createWorker` options: defaults, ranges, unknown keys (`InvalidOptionError`). */
export const parseWorkerOptions = defineOptions('createWorker', {
  concurrency: opt.integer({ default: 1, max: 10_000 }),
  leaseMs: opt.duration({ default: 30_000, min: 10, max: MAX_TIMER_MS }),
  timeoutMs: opt.duration({ default: 300_000, max: MAX_TIMER_MS }),
  closeTimeoutMs: opt.duration({ default: 10_000, min: 0 }),
  maxIdleMs: opt.duration({ default: 5000 }),
  sampleIntervalMs: opt.duration({ default: 15_000, min: 0 }),
  backoff: opt.fn<(attempt: number, error: unknown, job: Job) => number>(),
  onError: opt.fn<(error: unknown, job?: Job) => void>({ default: warn }),
});

/** Parsed worker options. */
export type ResolvedWorkerOptions = ReturnType<typeof parseWorkerOptions>;
