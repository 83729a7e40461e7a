/**
 * Background jobs and queues: offload slow or deferred work to workers, with an explicit delivery
 * trade-off (at-least-once with leases, or at-most-once), per-attempt timeouts separate from leases,
 * retry budgets with backoff, a dead-letter queue with paced redrive, atomic depth limits, and the
 * queue-lag metric. Memory is the default backend; `backend-patterns/jobs/redis` is the Redis one.
 *
 * @example
 * ```ts
 * import { createJobQueue, createWorker } from 'backend-patterns/jobs';
 * const queue = createJobQueue({ name: 'email' });
 * await queue.add('welcome', { userId: 42 });
 * const worker = createWorker(queue, async (job) => sendWelcome(job.payload));
 * ```
 */
export { DEFAULT_BACKOFF } from './backoff.js';
export {
  BackoffUnresolvedError,
  JOBS_ERROR_CODES,
  type JobsErrorCode,
  JobTimeoutError,
  LeaseLostError,
  NonRetryableError,
  PayloadTooLargeError,
  QueueClosedError,
  QueueFullError,
  WorkerClosedError,
} from './errors.js';
export { createMemoryJobBackend, type MemoryJobBackend, type MemoryJobBackendOptions } from './memory.js';
export { type BulkJob, createJobQueue, type DeadLetterQueue, type JobQueue } from './queue.js';
export type {
  AddBatchResult,
  AddedJob,
  AddLimits,
  AddRequest,
  AttemptRecord,
  BackoffOption,
  ClaimedJob,
  ClaimRequest,
  ClaimResult,
  CompleteInput,
  Delivery,
  FailInput,
  FailOutcome,
  Job,
  JobBackend,
  JobBackendCapabilities,
  JobCounts,
  JobError,
  JobOptions,
  JobQueueOptions,
  JobRecord,
  JobState,
  LeaseRef,
  ListDeadRequest,
  NewJob,
  OverflowPolicy,
  ProgressRequest,
  RenewRequest,
  SettleRequest,
  SettleResult,
  StoredBackoff,
  WaitForWorkRequest,
} from './types.js';
export { FULL_JOB_CAPABILITIES } from './types.js';
export {
  createWorker,
  type JobContext,
  type JobHandler,
  type RetryOptions,
  type Worker,
  type WorkerOptions,
} from './worker.js';
