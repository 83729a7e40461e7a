/**
 * The consumer side: a worker claims jobs (blocking while idle, never polling), leases them, renews the
 * leases while handlers run, enforces per-attempt timeouts, records results fenced by the claim token,
 * and shuts down gracefully (stop claiming, wait, then release what is left).
 */
import { randomBytes } from 'node:crypto';
import pRetry, { type Options as PRetryOptions } from 'p-retry';
import type { Clock } from '../core/clock.js';
import { InvalidArgumentError, InvalidOptionError, isBackendPatternsError } from '../core/errors.js';
import { argument, option } from '../core/validate.js';
import { backoffDelayMs } from './backoff.js';
import { JobTimeoutError, LeaseLostError, WorkerClosedError } from './errors.js';
import { type QueueInternals, queueInternals } from './internals.js';
import { encodeResult } from './payload.js';
import type { JobQueue } from './queue.js';
import { toJob, toJobError } from './records.js';
import type { ClaimedJob, ClaimResult, CompleteInput, Job } from './types.js';

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

/** Options of {@link createWorker}. */
export interface WorkerOptions {
  /** Jobs run at once. Default 1. */
  readonly concurrency?: number;
  /** Lease (visibility timeout) per claim, renewed every `leaseMs / 3`. Default 30000. */
  readonly leaseMs?: number;
  /** Per-attempt limit for jobs without their own `timeoutMs`. Default 300000. */
  readonly timeoutMs?: number;
  /** Default deadline of `close()`. Default 10000. */
  readonly closeTimeoutMs?: number;
  /** Longest idle wait before claiming again anyway. Default 5000. */
  readonly maxIdleMs?: number;
  /** How often to refresh `jobs.queue.lag` and `jobs.depth`; 0 turns it off. Default 15000. */
  readonly sampleIntervalMs?: number;
  /** Backoff for jobs stored with a function backoff (`type: 'custom'`) when this worker runs in another process. */
  readonly backoff?: (attempt: number, error: unknown, job: Job) => number;
  /** Errors that do not belong to a handler call: store failures, lost leases. Default `process.emitWarning`. */
  readonly onError?: (error: unknown, job?: Job) => void;
}

/** A running worker. */
export interface Worker {
  /** Random id; prefixes this worker's lease tokens. */
  readonly id: string;
  /** Jobs whose handlers are running. */
  inFlight(): number;
  /**
   * Stops claiming, waits for in-flight jobs up to `timeoutMs` (default `closeTimeoutMs`), then aborts
   * the rest and releases their leases so another worker takes them at once.
   */
  close(options?: { timeoutMs?: number }): Promise<void>;
}

interface Running {
  readonly job: ClaimedJob;
  readonly view: Job;
  /** Created when the handler first reads `ctx.signal`: most handlers never do, and it is not free. */
  controller?: AbortController;
  /** Why the attempt was aborted (timeout, shutdown, lost lease); set once. */
  abortReason?: unknown;
  rejectAborted?: (reason: unknown) => void;
  charged: number;
  lost?: boolean;
  finishing?: boolean;
  done?: Promise<void>;
}

const WORKER_OPTION_KEYS = [
  'concurrency',
  'leaseMs',
  'timeoutMs',
  'closeTimeoutMs',
  'maxIdleMs',
  'sampleIntervalMs',
  'backoff',
  'onError',
] as const;

const ignore = () => {};
/** Completion batches a worker keeps in flight at full load (a batch is `concurrency / this` jobs). */
const BATCHES_IN_FLIGHT = 4;
/** Reason for cancelling internal timers: preallocated, because `abort()` without one builds a DOMException. */
const CANCELLED = new Error('cancelled');

/**
 * Starts a worker on `queue`. It runs until `close()`.
 *
 * @example
 * ```ts
 * const worker = createWorker(queue, async (job, { signal }) => {
 *   await fetch(job.payload.url, { signal });
 * }, { concurrency: 20, leaseMs: 30_000 });
 * process.once('SIGTERM', () => worker.close({ timeoutMs: 10_000 }));
 * ```
 */
export function createWorker<P = unknown, R = unknown>(
  queue: JobQueue,
  handler: JobHandler<P, R>,
  options: WorkerOptions = {},
): Worker {
  const internals = queueInternals(queue);
  if (!internals) throw new InvalidArgumentError('`queue` must come from createJobQueue');
  if (typeof handler !== 'function') throw new InvalidArgumentError('`handler` must be a function');
  option.knownKeys('createWorker', options, WORKER_OPTION_KEYS);
  const concurrency =
    options.concurrency === undefined ? 1 : option.integer('concurrency', options.concurrency, 1, 10_000);
  const leaseMs =
    options.leaseMs === undefined ? 30_000 : option.integer('leaseMs', options.leaseMs, 10, 2 ** 31 - 1);
  const timeoutMs =
    options.timeoutMs === undefined
      ? 300_000
      : option.integer('timeoutMs', options.timeoutMs, 1, 2 ** 31 - 1);
  const closeTimeoutMs =
    options.closeTimeoutMs === undefined
      ? 10_000
      : option.integer('closeTimeoutMs', options.closeTimeoutMs, 0);
  const maxIdleMs =
    options.maxIdleMs === undefined ? 5000 : option.integer('maxIdleMs', options.maxIdleMs, 1);
  const sampleIntervalMs =
    options.sampleIntervalMs === undefined
      ? 15_000
      : option.integer('sampleIntervalMs', options.sampleIntervalMs, 0);
  if (options.backoff !== undefined && typeof options.backoff !== 'function') {
    throw new InvalidOptionError('`backoff` must be a function');
  }
  if (options.onError !== undefined && typeof options.onError !== 'function') {
    throw new InvalidOptionError('`onError` must be a function');
  }
  const onError =
    options.onError ??
    ((error: unknown) => process.emitWarning(error instanceof Error ? error : new Error(String(error))));
  return startWorker(internals, handler as JobHandler, {
    concurrency,
    leaseMs,
    timeoutMs,
    closeTimeoutMs,
    maxIdleMs,
    sampleIntervalMs,
    backoff: options.backoff,
    onError,
  });
}

interface ResolvedWorkerOptions {
  readonly concurrency: number;
  readonly leaseMs: number;
  readonly timeoutMs: number;
  readonly closeTimeoutMs: number;
  readonly maxIdleMs: number;
  readonly sampleIntervalMs: number;
  readonly backoff?: (attempt: number, error: unknown, job: Job) => number;
  readonly onError: (error: unknown, job?: Job) => void;
}

/**
 * Per-attempt timeouts on one timer per worker instead of one per job: jobs mostly share a timeout, so
 * a new deadline rarely comes before the armed one, and arming is a Map insert.
 */
function createTimeouts<T>(clock: Clock, fire: (item: T, limitMs: number) => void) {
  const deadlines = new Map<T, { atMs: number; limitMs: number }>();
  let armedAtMs = Number.POSITIVE_INFINITY;
  let timer: AbortController | undefined;

  const fireDue = () => {
    const nowMs = clock.now();
    let nextMs = Number.POSITIVE_INFINITY;
    for (const [item, d] of deadlines) {
      if (d.atMs <= nowMs) {
        deadlines.delete(item);
        fire(item, d.limitMs);
      } else if (d.atMs < nextMs) {
        nextMs = d.atMs;
      }
    }
    if (nextMs !== Number.POSITIVE_INFINITY) armAt(nextMs);
  };

  const armAt = (atMs: number) => {
    timer?.abort(CANCELLED);
    const current = new AbortController();
    timer = current;
    armedAtMs = atMs;
    clock.sleep(atMs - clock.now(), current.signal).then(() => {
      if (timer !== current) return;
      timer = undefined;
      armedAtMs = Number.POSITIVE_INFINITY;
      fireDue();
    }, ignore);
  };

  return {
    arm(item: T, atMs: number, limitMs: number) {
      deadlines.set(item, { atMs, limitMs });
      if (atMs < armedAtMs) armAt(atMs);
    },
    /** Forgets the item; the armed timer stays (it finds nothing due and stops), saving a re-arm per job. */
    disarm(item: T) {
      deadlines.delete(item);
    },
    /** Cancels the timer (worker closed). */
    clear() {
      deadlines.clear();
      timer?.abort(CANCELLED);
      timer = undefined;
      armedAtMs = Number.POSITIVE_INFINITY;
    },
  };
}

interface ContextOps {
  signalOf(r: Running): AbortSignal;
  progress(r: Running, value: unknown): Promise<void>;
  heartbeat(r: Running): Promise<void>;
}

/** The `ctx` of one handler call; methods live on the prototype (one allocation per job). */
class HandlerContext implements JobContext {
  readonly #r: Running;
  readonly #ops: ContextOps;
  constructor(r: Running, ops: ContextOps) {
    this.#r = r;
    this.#ops = ops;
  }
  get signal(): AbortSignal {
    return this.#ops.signalOf(this.#r);
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

function startWorker(q: QueueInternals, handler: JobHandler, o: ResolvedWorkerOptions): Worker {
  const { backend, clock, name } = q;
  const id = randomBytes(6).toString('hex');
  const labels = { queue: name };
  const running = new Map<string, Running>();
  const stopClaiming = new AbortController();
  const stopTimers = new AbortController();
  let claimSeq = 0;
  let slotFreed: (() => void) | undefined;
  let closing: Promise<void> | undefined;

  const report = (error: unknown, job?: Job) => {
    try {
      o.onError(error, job);
    } catch {
      // a throwing onError must not stop the worker
    }
  };

  const abortRun = (r: Running, reason: unknown) => {
    if (r.abortReason !== undefined) return;
    r.abortReason = reason;
    r.controller?.abort(reason);
    r.rejectAborted?.(reason);
  };

  const signalOf = (r: Running): AbortSignal => {
    if (!r.controller) {
      r.controller = new AbortController();
      if (r.abortReason !== undefined) r.controller.abort(r.abortReason);
    }
    return r.controller.signal;
  };

  const timeouts = createTimeouts<Running>(clock, (r, limitMs) =>
    abortRun(r, new JobTimeoutError(`job ${r.job.id} timed out after ${limitMs} ms`, limitMs)),
  );

  const leaseLost = (r: Running) => {
    if (r.lost) return; // renewal and the late result may both notice: count it once
    r.lost = true;
    q.leaseLost.add(1, labels);
    const error = new LeaseLostError(
      `lease on job ${r.job.id} was lost; its result is not applied`,
      r.job.id,
    );
    abortRun(r, error);
    report(error, r.view);
  };

  const retryDelay = (r: Running, attempt: number, error: unknown): number => {
    if (r.job.backoff.type === 'custom') {
      const own = o.backoff;
      if (own) return backoffDelayMs((n: number, e: unknown) => own(n, e, r.view), attempt, error);
      const registered = q.backoffByType.get(r.job.type);
      return registered ? backoffDelayMs(registered, attempt, error) : 0;
    }
    return backoffDelayMs(r.job.backoff, attempt, error);
  };

  // Completions that land in the same turn of the event loop go to the backend as one `settle` call,
  // which also claims the next jobs when the claim loop is parked waiting for a free slot.
  let pendingCompletions: {
    input: CompleteInput;
    resolve: (ok: boolean) => void;
    reject: (e: unknown) => void;
  }[] = [];
  let flushScheduled = false;
  // Slots promised to claims in flight (the claim loop's or a settle's), so together they never
  // claim more than `concurrency` jobs.
  let reserved = 0;
  // Jobs whose handler has finished and whose completion is on its way: their slots are free to claim.
  let finishing = 0;
  const freeSlots = () => o.concurrency - (running.size - finishing) - reserved;

  const flushCompletions = async () => {
    const batch = pendingCompletions;
    pendingCompletions = [];
    const count = stopClaiming.signal.aborted ? 0 : Math.max(0, Math.min(o.concurrency, freeSlots()));
    reserved += count;
    try {
      const result = await backend.settle(
        name,
        batch.map((b) => b.input),
        count > 0 ? { count, leaseMs: o.leaseMs, token: `${id}.${++claimSeq}` } : undefined,
      );
      reserved -= count;
      if (result.claimed) onClaimed(result.claimed);
      batch.forEach((b, i) => {
        b.resolve(result.completed[i] === true);
      });
    } catch (error) {
      reserved -= count;
      for (const b of batch) b.reject(error);
    }
  };

  // Small batches go out as soon as they fill, so Redis works on one while this process runs the next
  // handlers: the two overlap instead of taking turns.
  const maxBatch = Math.max(1, Math.ceil(o.concurrency / BATCHES_IN_FLIGHT));
  const completeBatched = (input: CompleteInput) =>
    new Promise<boolean>((resolve, reject) => {
      pendingCompletions.push({ input, resolve, reject });
      if (pendingCompletions.length >= maxBatch) {
        void flushCompletions();
      } else if (!flushScheduled) {
        flushScheduled = true;
        setImmediate(() => {
          flushScheduled = false;
          if (pendingCompletions.length) void flushCompletions();
        });
      }
    });

  const record = async (
    r: Running,
    outcome: { ok: true; value: unknown } | { ok: false; error: unknown },
  ) => {
    const { job } = r;
    if (job.token === '') {
      // at-most-once: the job is already gone from the backend; only the metric remains.
      q.processed.add(1, { ...labels, outcome: outcome.ok ? 'completed' : 'failed' });
      return;
    }
    if (outcome.ok) {
      r.finishing = true;
      finishing++;
      const applied = await completeBatched({
        id: job.id,
        token: job.token,
        resultJson: encodeResult(outcome.value),
        chargedAttempts: r.charged,
        keepCompletedMs: q.keepCompletedMs,
      });
      if (applied) q.processed.add(1, { ...labels, outcome: 'completed' });
      else leaseLost(r);
      return;
    }
    const error = outcome.error;
    const attempt = job.attemptsMade + r.charged;
    const retryable =
      !isBackendPatternsError(error, 'ERR_JOB_NON_RETRYABLE') &&
      (error as { retryable?: unknown } | null)?.retryable !== false;
    const result = await backend.fail(name, {
      id: job.id,
      token: job.token,
      error: toJobError(error),
      retryDelayMs: retryable && attempt < job.attempts ? retryDelay(r, attempt, error) : null,
      chargedAttempts: r.charged,
    });
    if (result === 'lost') {
      leaseLost(r);
      return;
    }
    q.processed.add(1, { ...labels, outcome: 'failed' });
    q.processed.add(1, { ...labels, outcome: result });
  };

  // Shared by every HandlerContext of this worker, so a claimed job allocates one small object.
  const contextOps: ContextOps = {
    signalOf,
    async progress(r, value) {
      if (r.job.token === '') return;
      if (!(await backend.progress(name, r.job.id, r.job.token, encodeResult(value)))) {
        leaseLost(r);
        throw r.abortReason;
      }
    },
    async heartbeat(r) {
      if (r.job.token === '') return;
      const [held] = await backend.renew(name, [{ id: r.job.id, token: r.job.token }], o.leaseMs);
      if (!held) {
        leaseLost(r);
        throw r.abortReason;
      }
    },
  };

  const run = async (r: Running) => {
    const { job } = r;
    const limitMs = job.timeoutMs > 0 ? job.timeoutMs : o.timeoutMs;
    const aborted = new Promise<never>((_, reject) => {
      r.rejectAborted = reject;
    });
    aborted.catch(ignore);
    timeouts.arm(r, clock.now() + limitMs, limitMs);
    const ctx = new HandlerContext(r, contextOps);
    let outcome: { ok: true; value: unknown } | { ok: false; error: unknown };
    try {
      const value = await Promise.race([handler(r.view, ctx), aborted]);
      outcome = { ok: true, value };
    } catch (error) {
      outcome = { ok: false, error };
    } finally {
      timeouts.disarm(r);
    }
    const reason = r.abortReason;
    // Shutdown releases the lease itself; a lost lease has nothing left to record.
    if (reason !== undefined && !isBackendPatternsError(reason, 'ERR_JOB_TIMEOUT')) return;
    if (reason !== undefined) outcome = { ok: false, error: reason };
    try {
      await record(r, outcome);
    } catch (error) {
      report(error, r.view); // the store failed: the lease will expire and the job will run again
    }
  };

  const start = (job: ClaimedJob) => {
    const r: Running = { job, view: toJob(job), charged: 0 };
    running.set(job.id, r);
    r.done = run(r).finally(() => {
      running.delete(job.id);
      if (r.finishing) finishing--;
      // A settle that claimed the next job has refilled the slot already: no need to wake the loop.
      if (freeSlots() > 0) wakeClaimLoop();
    });
  };

  const countStalled = (result: ClaimResult) => {
    if (result.stalledRetried || result.stalledDead) {
      const stalled = result.stalledRetried + result.stalledDead;
      q.processed.add(stalled, { ...labels, outcome: 'failed' });
      if (result.stalledRetried) q.processed.add(result.stalledRetried, { ...labels, outcome: 'retried' });
      if (result.stalledDead) q.processed.add(result.stalledDead, { ...labels, outcome: 'dead' });
    }
  };

  /** Jobs claimed along with a settle: start them, or hand them back if the worker began closing. */
  function onClaimed(result: ClaimResult) {
    countStalled(result);
    if (stopClaiming.signal.aborted) {
      for (const job of result.jobs) {
        if (job.token) backend.release(name, job.id, job.token).catch((error) => report(error));
      }
      return;
    }
    for (const job of result.jobs) start(job);
  }

  // Resolved by the next finished job that leaves a slot free, or by close().
  const waitForSlot = () =>
    new Promise<void>((resolve) => {
      slotFreed = resolve;
    });

  const wakeClaimLoop = () => {
    const wake = slotFreed;
    slotFreed = undefined;
    wake?.();
  };

  const claimLoop = async () => {
    let errorDelayMs = 0;
    while (!stopClaiming.signal.aborted) {
      const free = freeSlots();
      if (free <= 0) {
        await waitForSlot();
        // Let other completions land so one claim serves several free slots.
        await new Promise((resolve) => setImmediate(resolve));
        continue;
      }
      let result: Awaited<ReturnType<typeof backend.claim>>;
      try {
        claimSeq++;
        reserved += free;
        try {
          result = await backend.claim(name, { count: free, leaseMs: o.leaseMs, token: `${id}.${claimSeq}` });
        } finally {
          reserved -= free;
        }
        errorDelayMs = 0;
      } catch (error) {
        if (stopClaiming.signal.aborted) break;
        report(error);
        errorDelayMs = Math.min(5000, Math.max(100, errorDelayMs * 2));
        await clock.sleep(errorDelayMs, stopClaiming.signal).catch(ignore);
        continue;
      }
      countStalled(result);
      if (stopClaiming.signal.aborted) {
        // Claimed while closing: hand the jobs straight back.
        for (const job of result.jobs)
          if (job.token) await backend.release(name, job.id, job.token).catch(report);
        break;
      }
      for (const job of result.jobs) start(job);
      if (!result.paused && result.jobs.length === free) continue; // there may be more ready jobs
      const waitMs = result.paused ? o.maxIdleMs : Math.min(o.maxIdleMs, result.nextWakeMs ?? o.maxIdleMs);
      try {
        await backend.waitForWork(name, Math.max(1, waitMs), stopClaiming.signal);
      } catch (error) {
        if (stopClaiming.signal.aborted) break;
        report(error);
        errorDelayMs = Math.min(5000, Math.max(100, errorDelayMs * 2));
        await clock.sleep(errorDelayMs, stopClaiming.signal).catch(ignore);
      }
    }
  };

  const renewLoop = async () => {
    const everyMs = Math.max(1, Math.floor(o.leaseMs / 3));
    while (!stopTimers.signal.aborted) {
      try {
        await clock.sleep(everyMs, stopTimers.signal);
      } catch {
        return;
      }
      const held = [...running.values()].filter((r) => r.job.token !== '' && r.abortReason === undefined);
      if (held.length === 0) continue;
      try {
        const results = await backend.renew(
          name,
          held.map((r) => ({ id: r.job.id, token: r.job.token })),
          o.leaseMs,
        );
        results.forEach((ok, i) => {
          if (!ok) leaseLost(held[i]!);
        });
      } catch (error) {
        report(error);
      }
    }
  };

  const sampleLoop = async () => {
    if (o.sampleIntervalMs === 0) return;
    while (!stopTimers.signal.aborted) {
      try {
        await clock.sleep(o.sampleIntervalMs, stopTimers.signal);
        const [lagMs, counts] = await Promise.all([backend.lagMs(name), backend.counts(name)]);
        q.lagGauge.set(lagMs / 1000, labels);
        for (const state of ['ready', 'delayed', 'active', 'dead'] as const) {
          q.depthGauge.set(counts[state], { ...labels, state });
        }
      } catch (error) {
        if (stopTimers.signal.aborted) return;
        report(error);
      }
    }
  };

  const claiming = claimLoop().catch(report);
  void renewLoop();
  void sampleLoop();

  const close = async (timeoutMs: number) => {
    stopClaiming.abort(new WorkerClosedError(`worker ${id} is closing`));
    wakeClaimLoop();
    // One deadline for everything: a claim in flight against an unreachable Redis (which may wait for
    // the reconnect) and the in-flight handlers.
    const deadline = new AbortController();
    const expired = clock.sleep(timeoutMs, deadline.signal).catch(ignore);
    await Promise.race([claiming, expired]);
    const pending = [...running.values()];
    if (pending.length) await Promise.race([Promise.all(pending.map((r) => r.done)), expired]);
    deadline.abort(CANCELLED);
    const left = [...running.values()];
    for (const r of left)
      abortRun(r, new WorkerClosedError(`worker ${id} closed before job ${r.job.id} finished`));
    await Promise.all(
      left
        .filter((r) => r.job.token !== '')
        .map((r) => backend.release(name, r.job.id, r.job.token).catch((error) => report(error, r.view))),
    );
    stopTimers.abort();
    timeouts.clear();
  };

  return {
    id,
    inFlight: () => running.size,
    close(closeOptions = {}) {
      const timeoutMs =
        closeOptions.timeoutMs === undefined
          ? o.closeTimeoutMs
          : argument.integer('timeoutMs', closeOptions.timeoutMs, 0);
      closing ??= close(timeoutMs);
      return closing;
    },
  };
}
