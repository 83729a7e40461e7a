/** The `ctx` a handler receives: its abort signal, progress, heartbeat and budget-charged retries. */
import pRetry, { type Options as PRetryOptions } from 'p-retry';
import type { ClaimedJob, Job } from './types.js';

/** What a handler receives besides the job. */
export interface JobContext {
  /** Aborts on timeout (`JobTimeoutError`), shutdown (`WorkerClosedError`) or lost lease (`LeaseLostError`). */
  readonly signal: AbortSignal;
  /** Stores progress on the job; throws `LeaseLostError` when the lease is gone. */
  progress(value: unknown): Promise<void>;
  /** Renews the lease now (it is also renewed automatically); throws `LeaseLostError` when it is gone. */
  heartbeat(): Promise<void>;
  /**
   * Runs `fn` with in-process retries (p-retry). Each retry is charged to the job's budget, and the
   * number of retries is capped by what is left of it.
   */
  retry<T>(fn: (attemptNumber: number) => PromiseLike<T> | T, options?: RetryOptions): Promise<T>;
}

/** p-retry options for `ctx.retry`; `retries` and `signal` are set from the job. */
export type RetryOptions = Omit<PRetryOptions, 'retries' | 'signal'>;

/** A job handler. Its resolved value is stored as the job's result (when JSON-safe). */
export type JobHandler<P = unknown, R = unknown> = (job: Job<P>, ctx: JobContext) => Promise<R> | R;

/** One attempt running in this worker. */
export interface Running {
  readonly job: ClaimedJob;
  readonly view: Job;
  /** Created when the handler first reads `ctx.signal`: most handlers never do, and it is not free. */
  controller?: AbortController;
  /** Why the attempt was aborted (timeout, shutdown, lost lease); set once. */
  abortReason?: unknown;
  rejectAborted?: (reason: unknown) => void;
  /** In-process retries charged to the budget by `ctx.retry`. */
  charged: number;
  lost?: boolean;
  /** The handler finished and its completion is on its way (its slot is free to claim). */
  finishing?: boolean;
  /**
   * The attempt's result (completion or failure) is on its way to the store. Renewal leaves it alone:
   * the result's own fenced reply says whether the lease still held, and a renewal that reached the
   * store after the result would find the lease gone on a healthy system.
   */
  settling?: boolean;
  done?: Promise<void>;
}

/** Aborts an attempt once: its signal (if created) and the race in `run`. */
export function abortRun(r: Running, reason: unknown): void {
  if (r.abortReason !== undefined) return;
  r.abortReason = reason;
  r.controller?.abort(reason);
  r.rejectAborted?.(reason);
}

/** The attempt's signal, created on first use (already aborted if the attempt was). */
export function signalOf(r: Running): AbortSignal {
  if (!r.controller) {
    r.controller = new AbortController();
    if (r.abortReason !== undefined) r.controller.abort(r.abortReason);
  }
  return r.controller.signal;
}

/** The store calls behind `ctx.progress` and `ctx.heartbeat`, shared by every context of a worker. */
export interface ContextOps {
  progress(r: Running, value: unknown): Promise<void>;
  heartbeat(r: Running): Promise<void>;
}

/** The `ctx` of one handler call; methods live on the prototype (one allocation per job). */
export class HandlerContext implements JobContext {
  readonly #r: Running;
  readonly #ops: ContextOps;
  constructor(r: Running, ops: ContextOps) {
    this.#r = r;
    this.#ops = ops;
  }
  get signal(): AbortSignal {
    return signalOf(this.#r);
  }
  progress(value: unknown): Promise<void> {
    return this.#ops.progress(this.#r, value);
  }
  heartbeat(): Promise<void> {
    return this.#ops.heartbeat(this.#r);
  }
  retry<T>(fn: (attemptNumber: number) => PromiseLike<T> | T, options: RetryOptions = {}): Promise<T> {
    const r = this.#r;
    const left = Math.max(0, r.job.attempts - r.job.attemptsMade - r.charged);
    return pRetry(
      (n: number) => {
        if (n > 1) r.charged++; // each in-process retry spends one unit of the job's budget
        return fn(n);
      },
      { ...options, retries: left, signal: this.signal },
    );
  }
}
