/**
 * Types of the jobs module: the `JobBackend` port (one atomic state change per method), the records
 * it stores, and the public shapes of jobs, queues and workers.
 */
import type { Clock } from '../core/clock.js';
import type { Metrics } from '../core/metrics.js';

/** The delivery trade-off of a job (see docs/jobs.md). */
export type Delivery = 'at-least-once' | 'at-most-once';

/** Where a job is in its life. */
export type JobState = 'delayed' | 'ready' | 'active' | 'completed' | 'dead';

/** What `add` does when the queue is at `maxDepth`. */
export type OverflowPolicy = 'reject' | 'drop-oldest' | 'dead-letter';

/** A job's error as stored: plain data, so it survives JSON and Redis. */
export interface JobError {
  readonly message: string;
  readonly name?: string;
  readonly code?: string;
  readonly stack?: string;
}

/** One failed attempt in a job's history. */
export interface AttemptRecord {
  /** 1-based attempt number. */
  readonly attempt: number;
  readonly startedAtMs: number;
  readonly endedAtMs: number;
  readonly error: JobError;
}

/**
 * Backoff as stored with the job. `custom` is resolved by the worker's `backoff` option in whichever
 * process runs the retry (a function cannot be stored, nor run in Redis).
 */
export type StoredBackoff =
  | {
      readonly type: 'exponential';
      readonly delayMs: number;
      readonly maxDelayMs: number;
      readonly jitter: number;
    }
  | { readonly type: 'fixed'; readonly delayMs: number }
  | { readonly type: 'custom' };

/**
 * Backoff between queue-level retries: a serialisable descriptor, never a function (a function would
 * exist only in the adding process). For your own formula use `{ type: 'custom' }` and give every
 * worker of the queue the same `backoff` option (like BullMQ's `backoffStrategy`).
 */
export type BackoffOption =
  | {
      readonly type: 'exponential';
      /** Delay before the first retry, doubled each retry. Default 1000. */
      readonly delayMs?: number;
      /** Cap of the delay. Default 300000. */
      readonly maxDelayMs?: number;
      /** 0..1: the share of the delay that is randomised away. Default 0.5. */
      readonly jitter?: number;
    }
  | { readonly type: 'fixed'; readonly delayMs: number }
  | { readonly type: 'custom' };

/** Options of one job. */
export interface JobOptions {
  /** Run no sooner than this many ms from now. Exclusive with `runAtMs`. */
  readonly delayMs?: number;
  /** Run no sooner than this instant (epoch ms). Exclusive with `delayMs`. */
  readonly runAtMs?: number;
  /** 0..1000; lower runs first. Default 0. */
  readonly priority?: number;
  /** The retry budget: total attempts allowed, 1..1000. Default 3 (1 for at-most-once). */
  readonly attempts?: number;
  /** Backoff between retries. Default exponential, 1 s, capped at 5 min, jitter 0.5. Never a function. */
  readonly backoff?: BackoffOption;
  /** Per-attempt limit; default the worker's `timeoutMs`. */
  readonly timeoutMs?: number;
  /** A second add with this key within the queue's `idempotencyWindowMs` returns the first job. */
  readonly idempotencyKey?: string;
  /** Default `'at-least-once'`. */
  readonly delivery?: Delivery;
}

/** A job as read from a queue. */
export interface Job<P = unknown> {
  readonly id: string;
  /** What kind of work, e.g. `welcome-email`; chosen by the producer. */
  readonly type: string;
  /** The producer's data, as it went in (JSON-safe). */
  readonly payload: P;
  readonly state: JobState;
  /** 0..1000, lower runs first. */
  readonly priority: number;
  /** The retry budget. */
  readonly attempts: number;
  /** Attempts started or charged so far. */
  readonly attemptsMade: number;
  readonly delivery: Delivery;
  readonly createdAtMs: number;
  /** When it became (or becomes) ready to run. */
  readonly readyAtMs: number;
  /** Per-attempt limit, if set on the job. */
  readonly timeoutMs?: number;
  readonly idempotencyKey?: string;
  /** The last value passed to `ctx.progress()`. */
  readonly progress?: unknown;
  /** The handler's resolved value, for completed jobs kept by `keepCompletedMs`. */
  readonly result?: unknown;
  /** The last error, for failed and dead jobs. */
  readonly error?: JobError;
  /** Failed attempts, oldest first (the last 20). */
  readonly history: readonly AttemptRecord[];
  readonly finishedAtMs?: number;
}

/** What `add` returns. */
export interface AddedJob {
  readonly id: string;
  /** True when an earlier job with the same `idempotencyKey` was returned instead. */
  readonly duplicate: boolean;
  /** `dead` when the queue was full with `overflow: 'dead-letter'`. */
  readonly state: JobState;
}

/** Job counts by state. */
export interface JobCounts {
  readonly ready: number;
  readonly delayed: number;
  readonly active: number;
  readonly dead: number;
  readonly paused: boolean;
}

// ---------------------------------------------------------------------------------------------------
// The port

/** A job as stored by a backend: payload, result and progress are JSON strings. */
export interface JobRecord {
  readonly id: string;
  readonly type: string;
  readonly payloadJson: string;
  readonly state: JobState;
  readonly priority: number;
  readonly attempts: number;
  readonly attemptsMade: number;
  readonly delivery: Delivery;
  /** 0 when the job has no own timeout. */
  readonly timeoutMs: number;
  readonly backoff: StoredBackoff;
  readonly createdAtMs: number;
  readonly readyAtMs: number;
  readonly idempotencyKey?: string;
  readonly progressJson?: string;
  readonly resultJson?: string;
  readonly error?: JobError;
  readonly history: readonly AttemptRecord[];
  readonly finishedAtMs?: number;
}

/** A job handed to a worker by `claim`. */
export interface ClaimedJob extends JobRecord {
  /** Fencing token of this claim; empty for at-most-once jobs (nothing to fence). */
  readonly token: string;
  readonly startedAtMs: number;
}

/** One job to insert (validated and encoded by the queue). */
export interface NewJob {
  /** Generated by the queue; sortable by creation within a process. */
  readonly id: string;
  readonly type: string;
  readonly payloadJson: string;
  readonly priority: number;
  readonly attempts: number;
  readonly delivery: Delivery;
  readonly timeoutMs: number;
  readonly backoff: StoredBackoff;
  /** >= 0, relative to the backend's time. */
  readonly delayMs: number;
  readonly idempotencyKey?: string;
}

/** Limits applied atomically with an add. */
export interface AddLimits {
  /** 0 for no limit. */
  readonly maxDepth: number;
  readonly overflow: OverflowPolicy;
  readonly idempotencyWindowMs: number;
}

/** Result of a backend add: nothing was written when `rejected` is true. */
export interface AddBatchResult {
  readonly rejected: boolean;
  /** Jobs deleted by `drop-oldest`. */
  readonly dropped: number;
  readonly jobs: readonly { readonly id: string; readonly status: 'added' | 'duplicate' | 'dead' }[];
}

/** Result of a claim. */
export interface ClaimResult {
  readonly jobs: readonly ClaimedJob[];
  /**
   * Ms until the next delayed job is due or lease expires; null when there is none, and null after a
   * full claim (`count` jobs, not paused), whose caller claims again at once.
   */
  readonly nextWakeMs: number | null;
  /** Expired leases recovered by this claim. */
  readonly stalledRetried: number;
  readonly stalledDead: number;
  readonly paused: boolean;
}

/** A failed attempt to record. */
export interface FailInput {
  readonly id: string;
  readonly token: string;
  readonly error: JobError;
  /** Delay before the retry, or null to dead-letter now. The backend still enforces the budget. */
  readonly retryDelayMs: number | null;
  /** In-process retries to charge to the budget on top of this attempt. */
  readonly chargedAttempts: number;
}

/** A successful attempt to record. */
export interface CompleteInput {
  readonly id: string;
  readonly token: string;
  readonly resultJson: string;
  readonly chargedAttempts: number;
  /** 0 deletes the job at once. */
  readonly keepCompletedMs: number;
}

/** A claim for one worker: up to `count` jobs, each leased for `leaseMs`, fenced by tokens from `token`. */
export interface ClaimRequest {
  readonly count: number;
  readonly leaseMs: number;
  readonly token: string;
}

/** Result of `settle`: per completion whether it applied, and the follow-up claim if one was asked. */
export interface SettleResult {
  readonly completed: boolean[];
  readonly claimed?: ClaimResult;
}

/** A batch to insert with the limits decided atomically with it. */
export interface AddRequest {
  readonly jobs: readonly NewJob[];
  readonly limits: AddLimits;
}

/** One claim on one job: the fence of every result, renewal and release. */
export interface LeaseRef {
  readonly id: string;
  readonly token: string;
}

/** Leases to extend, each by `leaseMs` from the backend's now. */
export interface RenewRequest {
  readonly leases: readonly LeaseRef[];
  readonly leaseMs: number;
}

/** Progress to store on a leased job. */
export interface ProgressRequest extends LeaseRef {
  readonly progressJson: string;
}

/** Completions to apply, then (optionally) a claim for the same worker. */
export interface SettleRequest {
  readonly completions: readonly CompleteInput[];
  readonly claim?: ClaimRequest;
}

/** A page of the dead-letter queue. */
export interface ListDeadRequest {
  readonly offset: number;
  readonly limit: number;
}

/** How long to wait for work, and the signal that ends the wait early. */
export interface WaitForWorkRequest {
  readonly maxWaitMs: number;
  readonly signal: AbortSignal;
}

/** What `fail` did: retried (budget left), dead-lettered, or `lost` (lease gone, nothing applied). */
export type FailOutcome = 'retried' | 'dead' | 'lost';

/**
 * What a job backend can do. The queue and worker check it and answer anything outside it with a typed
 * `UnsupportedError` (`ERR_UNSUPPORTED`), never a silent no-op; the contract suite runs the cases a
 * backend declares. A backend without `capabilities` has them all ({@link FULL_JOB_CAPABILITIES}): memory
 * and Redis. docs/jobs.md has the table per backend.
 */
export interface JobBackendCapabilities {
  /** `getJob` by id, and completed results kept for `keepCompletedMs`. */
  readonly lookup: boolean;
  /** `idempotencyKey` honoured within `idempotencyWindowMs`. */
  readonly idempotency: boolean;
  /** Priority values accepted: 0..`maxPriority` (1000 = all; 0 = only the default priority). */
  readonly maxPriority: number;
  /** Overflow policies available with `maxDepth` (empty: `maxDepth` unsupported). */
  readonly overflow: readonly OverflowPolicy[];
  /** `progress()` stored on the job. */
  readonly progress: boolean;
  /** `lagMs`: `exact` (age of the oldest ready job) or `estimated` (from the broker's own counts). */
  readonly lag: 'exact' | 'estimated';
  /**
   * `timed`: a claim holds a lease of `leaseMs`, extended by `renew`, recovered when it expires.
   * `connection`: the broker holds an unacknowledged job while the consumer's connection lives and
   * redelivers it when the connection drops (RabbitMQ); `renew` is a no-op that reports the connection.
   */
  readonly leases: 'timed' | 'connection';
  /**
   * `injected`: the backend's time follows its `clock` option (tests drive it with a manual clock).
   * `wall`: delays and expiries run on the broker's own time (TTL queues), whatever the clock says.
   */
  readonly time: 'injected' | 'wall';
  /** `pause()`/`resume()` seen by every process (`global`) or only by this process's workers (`local`). */
  readonly pause: 'global' | 'local';
  /** `listDead` pages the dead-letter queue without consuming it. */
  readonly listDead: boolean;
  /**
   * Longest per-attempt `timeoutMs` the backend can hold a job for, when it has such a limit (RabbitMQ:
   * the broker's `consumer_timeout`, past which it closes the channel and redelivers). The worker
   * refuses a larger `timeoutMs` at construction and the queue refuses a job's own at add, both with
   * `UnsupportedError` (`capability: 'maxAttemptMs'`). Absent: no limit.
   */
  readonly maxAttemptMs?: number;
}

/** The capabilities of a backend that declares none: everything (memory, Redis). */
export const FULL_JOB_CAPABILITIES: JobBackendCapabilities = Object.freeze({
  lookup: true,
  idempotency: true,
  maxPriority: 1000,
  overflow: Object.freeze(['reject', 'drop-oldest', 'dead-letter'] as const),
  progress: true,
  lag: 'exact',
  leases: 'timed',
  time: 'injected',
  pause: 'global',
  listDead: true,
});

/**
 * The storage port of the jobs module. Every mutating method is one atomic state change; methods that
 * take a `token` apply only while that claim still holds an unexpired lease. Every method takes the
 * queue name and at most one request object. Time is the adapter's own (its `clock` option, or Redis
 * `TIME`): no method takes a "now".
 */
export interface JobBackend {
  /** Adapter name, e.g. `memory`, `redis`, `amqp`. */
  readonly kind: string;
  /** What it can do; absent means {@link FULL_JOB_CAPABILITIES}. */
  readonly capabilities?: JobBackendCapabilities;
  /** Inserts a batch with idempotency and the depth limit decided together; `rejected` writes nothing. */
  add(queue: string, request: AddRequest): Promise<AddBatchResult>;
  /** Promotes due delayed jobs, recovers expired leases, then claims up to `count` ready jobs. */
  claim(queue: string, request: ClaimRequest): Promise<ClaimResult>;
  /** Extends leases; true per lease still held. */
  renew(queue: string, request: RenewRequest): Promise<boolean[]>;
  /** Stores progress while the lease is held; false when it is not. */
  progress(queue: string, request: ProgressRequest): Promise<boolean>;
  /** False when the lease was lost (nothing applied). */
  complete(queue: string, input: CompleteInput): Promise<boolean>;
  /**
   * Completes a batch (each completion fenced and applied on its own), then claims for the same worker
   * when `claim` is given: the worker's hot path, one round trip per batch.
   */
  settle(queue: string, request: SettleRequest): Promise<SettleResult>;
  /** Records a failed attempt: retried (budget left), dead-lettered, or `lost` (lease gone, nothing applied). */
  fail(queue: string, input: FailInput): Promise<FailOutcome>;
  /** Puts a leased job back at the front of the queue without charging the attempt. */
  release(queue: string, lease: LeaseRef): Promise<boolean>;
  /** Pauses or resumes claiming for the queue (adds still work). */
  setPaused(queue: string, paused: boolean): Promise<void>;
  /** One job in any state, or undefined. */
  getJob(queue: string, id: string): Promise<JobRecord | undefined>;
  /** Jobs by state. */
  counts(queue: string): Promise<JobCounts>;
  /** Age in ms of the oldest job ready to run (0 when none). */
  lagMs(queue: string): Promise<number>;
  /** Dead jobs, oldest death first. */
  listDead(queue: string, request: ListDeadRequest): Promise<JobRecord[]>;
  /** Moves these dead jobs back to ready with a fresh budget; returns how many moved. */
  redrive(queue: string, ids: readonly string[]): Promise<number>;
  /** Deletes up to `limit` dead jobs; returns how many. */
  purgeDead(queue: string, limit: number): Promise<number>;
  /**
   * Resolves when work may be available (an add, a retry, a release) or after `maxWaitMs`, whichever
   * comes first; rejects with the signal's reason on abort. Never polls.
   */
  waitForWork(queue: string, request: WaitForWorkRequest): Promise<void>;
  /**
   * Hands back jobs the backend fetched ahead for `queue` that no `claim` has returned yet (a broker's
   * prefetched deliveries), and stops fetching more until the next `claim`. A worker calls it when it
   * closes, after its claim loop has stopped, so those jobs go to other workers at once. Backends that
   * fetch nothing ahead (memory, Redis) leave it out.
   */
  releaseBuffered?(queue: string): Promise<void>;
  /** Releases what the backend made itself (connections, timers; never the client it was given). */
  close?(): Promise<void>;
}

/** Options of `createJobQueue`. */
export interface JobQueueOptions {
  /** `[A-Za-z0-9._-]{1,128}`; the Redis hash tag of the queue's keys. */
  readonly name: string;
  /** Default: a memory backend on `clock`. */
  readonly backend?: JobBackend;
  readonly clock?: Clock;
  readonly metrics?: Metrics;
  /** Max waiting jobs (ready + delayed). Default none. */
  readonly maxDepth?: number;
  /** Default `'reject'`. */
  readonly overflow?: OverflowPolicy;
  /** Default 1 MiB. */
  readonly maxPayloadBytes?: number;
  /** How long completed jobs stay readable. Default 1 h; 0 deletes at once. */
  readonly keepCompletedMs?: number;
  /** How long an idempotency key maps to its first job. Default 24 h. */
  readonly idempotencyWindowMs?: number;
}
