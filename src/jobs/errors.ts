/**
 * Errors of the jobs module. Each has a stable `code`; callers branch on the code, never the message.
 */
import { BackendPatternsError, type BackendPatternsErrorOptions } from '../core/errors.js';

/**
 * Codes of the jobs module (see docs/jobs.md, "Error codes"). `ERR_JOB_LEASE_EXPIRED` is never thrown:
 * it is the code recorded in a job's history when its lease expired.
 */
export const JOBS_ERROR_CODES = [
  'ERR_QUEUE_FULL',
  'ERR_QUEUE_CLOSED',
  'ERR_JOB_PAYLOAD_TOO_LARGE',
  'ERR_JOB_LEASE_LOST',
  'ERR_JOB_LEASE_EXPIRED',
  'ERR_JOB_TIMEOUT',
  'ERR_JOB_NON_RETRYABLE',
  'ERR_JOB_BACKOFF_UNRESOLVED',
  'ERR_WORKER_CLOSED',
] as const;

/** A code of {@link JOBS_ERROR_CODES}. */
export type JobsErrorCode = (typeof JOBS_ERROR_CODES)[number];

/**
 * `add` or `addBulk` found the queue at `maxDepth` with `overflow: 'reject'`; nothing was added.
 *
 * @example
 * ```ts
 * try { await queue.add('resize', input); } catch (e) {
 *   if (isBackendPatternsError(e, 'ERR_QUEUE_FULL')) return reply.status(503).send();
 *   throw e;
 * }
 * ```
 */
export class QueueFullError extends BackendPatternsError<'ERR_QUEUE_FULL'> {
  /** The queue's `maxDepth`. */
  readonly maxDepth: number;
  constructor(message: string, maxDepth: number, options?: BackendPatternsErrorOptions) {
    super('ERR_QUEUE_FULL', message, options);
    this.maxDepth = maxDepth;
  }
}

/** A queue method was called after `queue.close()`. */
export class QueueClosedError extends BackendPatternsError<'ERR_QUEUE_CLOSED'> {
  constructor(message: string, options?: BackendPatternsErrorOptions) {
    super('ERR_QUEUE_CLOSED', message, options);
  }
}

/** A payload's JSON is larger than the queue's `maxPayloadBytes`. Thrown by `add` before any write. */
export class PayloadTooLargeError extends BackendPatternsError<'ERR_JOB_PAYLOAD_TOO_LARGE'> {
  /** The queue's limit in bytes. */
  readonly maxPayloadBytes: number;
  constructor(message: string, maxPayloadBytes: number, options?: BackendPatternsErrorOptions) {
    super('ERR_JOB_PAYLOAD_TOO_LARGE', message, options);
    this.maxPayloadBytes = maxPayloadBytes;
  }
}

/**
 * This worker no longer holds the job's lease (it expired, or the job was released or taken by another
 * worker), so its result, renewal or progress was rejected and not applied.
 */
export class LeaseLostError extends BackendPatternsError<'ERR_JOB_LEASE_LOST'> {
  /** The job whose lease was lost. */
  readonly jobId: string;
  constructor(message: string, jobId: string, options?: BackendPatternsErrorOptions) {
    super('ERR_JOB_LEASE_LOST', message, options);
    this.jobId = jobId;
  }
}

/** An attempt ran longer than its `timeoutMs`. The handler's signal aborts with this reason. */
export class JobTimeoutError extends BackendPatternsError<'ERR_JOB_TIMEOUT'> {
  /** The attempt's limit. */
  readonly timeoutMs: number;
  constructor(message: string, timeoutMs: number, options?: BackendPatternsErrorOptions) {
    super('ERR_JOB_TIMEOUT', message, options);
    this.timeoutMs = timeoutMs;
  }
}

/**
 * Thrown by a handler to send the job to the dead-letter queue at once, skipping its remaining budget
 * (a malformed payload, a permanent 4xx from a provider).
 *
 * @example
 * ```ts
 * createWorker(queue, async (job) => {
 *   if (!isValid(job.payload)) throw new NonRetryableError('payload has no recipient');
 * });
 * ```
 */
export class NonRetryableError extends BackendPatternsError<'ERR_JOB_NON_RETRYABLE'> {
  constructor(message: string, options?: BackendPatternsErrorOptions) {
    super('ERR_JOB_NON_RETRYABLE', message, options);
  }
}

/** The worker is shutting down; the reason of in-flight handlers' signals past the close deadline. */
export class WorkerClosedError extends BackendPatternsError<'ERR_WORKER_CLOSED'> {
  constructor(message: string, options?: BackendPatternsErrorOptions) {
    super('ERR_WORKER_CLOSED', message, options);
  }
}

/**
 * A job stored with `backoff: { type: 'custom' }` failed on a worker that has no `backoff` option, so
 * its retry delay cannot be computed in this process. The job is dead-lettered with this error (never
 * retried after a made-up delay) and the error is also reported to the worker's `onError`; give every
 * worker of the queue the same `backoff` and redrive it.
 */
export class BackoffUnresolvedError extends BackendPatternsError<'ERR_JOB_BACKOFF_UNRESOLVED'> {
  /** The job that could not be retried. */
  readonly jobId: string;
  constructor(message: string, jobId: string, options?: BackendPatternsErrorOptions) {
    super('ERR_JOB_BACKOFF_UNRESOLVED', message, options);
    this.jobId = jobId;
  }
}
