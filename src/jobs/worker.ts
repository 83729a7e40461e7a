/**
 * The consumer side: a worker claims jobs (blocking while idle, never polling), leases them, renews the
 * leases while handlers run, enforces per-attempt timeouts, records results fenced by the claim token,
 * and shuts down gracefully (stop claiming, wait, then release what is left). This file runs one
 * attempt and composes the parts: claim-loop.ts, completions.ts, background.ts, outcomes.ts,
 * timeouts.ts and handler-context.ts.
 */
import { randomBytes } from 'node:crypto';
import { InvalidArgumentError, isBackendPatternsError } from '../core/errors.js';
import { argument } from '../core/validate.js';
import { runLeaseRenewal, runSampler } from './background.js';
import { capabilitiesOf, checkAttemptMs, unsupported } from './capabilities.js';
import { runClaimLoop } from './claim-loop.js';
import { createCompletionBatcher } from './completions.js';
import { JobTimeoutError, LeaseLostError, WorkerClosedError } from './errors.js';
import {
  abortRun,
  type ContextOps,
  HandlerContext,
  type JobHandler,
  type Running,
} from './handler-context.js';
import { jobInstruments } from './instruments.js';
import { createOutcomeRecorder, type Outcome } from './outcomes.js';
import { encodeResult } from './payload.js';
import type { JobQueue } from './queue.js';
import { toJob } from './records.js';
import { createTimeouts, type Timeouts } from './timeouts.js';
import type { ClaimedJob, ClaimResult } from './types.js';
import { countStalled, releaseAll, Slots, type WorkerCore } from './worker-core.js';
import { parseWorkerOptions, type WorkerOptions } from './worker-options.js';

export type { JobContext, JobHandler, RetryOptions } from './handler-context.js';
export type { WorkerOptions } from './worker-options.js';

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

const ignore = () => {};
/** Reason for cancelling internal timers: preallocated, because `abort()` without one builds a DOMException. */
const CANCELLED = new Error('cancelled');
/** What createWorker reads from the queue: its public worker-facing fields. */
const QUEUE_FIELDS = ['name', 'backend', 'clock', 'metrics', 'keepCompletedMs'] as const;

function checkQueue(queue: unknown): JobQueue {
  const q = queue as Partial<Record<(typeof QUEUE_FIELDS)[number], unknown>> | null;
  const missing = QUEUE_FIELDS.filter((f) => typeof q !== 'object' || q === null || q[f] === undefined);
  if (missing.length) {
    throw new InvalidArgumentError(
      `\`queue\` must be a JobQueue (missing ${missing.map((m) => `\`${m}\``).join(', ')})`,
    );
  }
  return queue as JobQueue;
}

/**
 * Starts a worker on `queue`: any object with the queue's public `name`, `backend`, `clock`, `metrics`
 * and `keepCompletedMs` (a queue from `createJobQueue`, a spread copy or a Proxy of one). It runs until
 * `close()`.
 *
 * @example
 * ```ts
 * const worker = createWorker<{ url: string }>(queue, async (job, { signal }) => {
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
  const q = checkQueue(queue);
  if (typeof handler !== 'function') throw new InvalidArgumentError('`handler` must be a function');
  const o = parseWorkerOptions(options);
  const caps = capabilitiesOf(q.backend, 'createWorker');
  checkAttemptMs(caps, q.backend.kind, o.timeoutMs, 'the worker `timeoutMs`');
  const id = randomBytes(6).toString('hex');
  let claimSeq = 0;
  const core: WorkerCore = {
    id,
    name: q.name,
    backend: q.backend,
    caps,
    clock: q.clock,
    options: o,
    instruments: jobInstruments(q.metrics),
    labels: { queue: q.name },
    keepCompletedMs: q.keepCompletedMs,
    slots: new Slots(o.concurrency),
    stopClaiming: new AbortController(),
    stopTimers: new AbortController(),
    nextToken: () => `${id}.${++claimSeq}`,
    report(error, job) {
      try {
        o.onError(error, job);
      } catch {
        // a throwing onError must not stop the worker
      }
    },
  };
  return startWorker(core, handler as JobHandler);
}

/** Counts a lost lease once, aborts the attempt and reports it. */
function onLeaseLost(core: WorkerCore, r: Running): void {
  if (r.lost) return; // renewal and the late result may both notice: count it once
  r.lost = true;
  core.instruments.leaseLost.add(1, core.labels);
  const error = new LeaseLostError(`lease on job ${r.job.id} was lost; its result is not applied`, r.job.id);
  abortRun(r, error);
  core.report(error, r.view);
}

/**
 * A claim that arrived too late to start (the worker was paused past its start deadline): the handler
 * does not run, because another worker may already have recovered and completed the job. The lease is
 * handed back when it still holds (the fenced release is a no-op otherwise), and the slot is freed.
 * At-most-once jobs never get here: their claim removed them from the store, so skipping would lose them.
 */
function skipStale(core: WorkerCore, job: ClaimedJob): void {
  core.instruments.leaseStale.add(1, core.labels);
  void core.backend
    .release(core.name, { id: job.id, token: job.token })
    .catch((e) => core.report(e, toJob(job)));
  if (core.slots.free() > 0) core.slots.wake();
}

/**
 * `ctx.progress` and `ctx.heartbeat`, shared by every context of the worker. Progress on a backend
 * that cannot store it rejects with `UnsupportedError` in the handler, which may catch it.
 */
function contextOpsOf(core: WorkerCore, leaseLost: (r: Running) => void): ContextOps {
  const { backend, name } = core;
  return {
    async progress(r, value) {
      if (!core.caps.progress) throw unsupported('progress', backend.kind, '`ctx.progress`');
      if (r.job.token === '') return;
      const lease = { id: r.job.id, token: r.job.token };
      if (!(await backend.progress(name, { ...lease, progressJson: encodeResult(value) }))) {
        leaseLost(r);
        throw r.abortReason;
      }
    },
    async heartbeat(r) {
      if (r.job.token === '') return;
      const leases = [{ id: r.job.id, token: r.job.token }];
      const [held] = await backend.renew(name, { leases, leaseMs: core.options.leaseMs });
      if (!held) {
        leaseLost(r);
        throw r.abortReason;
      }
    },
  };
}

/** Runs one attempt: handler raced against its abort, then the outcome recorded. */
async function runAttempt(
  core: WorkerCore,
  r: Running,
  handler: JobHandler,
  ctxOps: ContextOps,
  timeouts: Timeouts<Running>,
  record: (r: Running, outcome: Outcome) => Promise<void>,
): Promise<void> {
  const { job } = r;
  const limitMs = job.timeoutMs > 0 ? job.timeoutMs : core.options.timeoutMs;
  const aborted = new Promise<never>((_, reject) => {
    r.rejectAborted = reject;
  });
  aborted.catch(ignore);
  timeouts.arm(r, core.clock.now() + limitMs, limitMs);
  let outcome: Outcome;
  try {
    const value = await Promise.race([handler(r.view, new HandlerContext(r, ctxOps)), aborted]);
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
  r.settling = true; // from here the result's reply, not renewal, says whether the lease held
  try {
    await record(r, outcome);
  } catch (error) {
    core.report(error, r.view); // the store failed: the lease will expire and the job will run again
  }
}

/** Stops claiming, waits up to `timeoutMs`, then aborts and releases what is left. */
async function closeWorker(
  core: WorkerCore,
  claiming: Promise<unknown>,
  timeouts: Timeouts<Running>,
  timeoutMs: number,
) {
  const { slots, backend, name, id } = core;
  core.stopClaiming.abort(new WorkerClosedError(`worker ${id} is closing`));
  slots.wake();
  // One deadline for everything: a claim in flight against an unreachable Redis (which may wait for
  // the reconnect), handing back what the backend fetched ahead, and the in-flight handlers.
  const deadline = new AbortController();
  const expired = core.clock.sleep(timeoutMs, deadline.signal).catch(ignore);
  await Promise.race([claiming, expired]);
  // Prefetched jobs no handler started go back now rather than when the connection closes.
  if (backend.releaseBuffered) {
    const released = backend.releaseBuffered(name).catch((e) => core.report(e));
    await Promise.race([released, expired]);
  }
  const pending = [...slots.running.values()];
  if (pending.length) await Promise.race([Promise.all(pending.map((r) => r.done)), expired]);
  deadline.abort(CANCELLED);
  const left = [...slots.running.values()];
  for (const r of left)
    abortRun(r, new WorkerClosedError(`worker ${id} closed before job ${r.job.id} finished`));
  await Promise.all(
    left
      .filter((r) => r.job.token !== '')
      .map((r) =>
        backend.release(name, { id: r.job.id, token: r.job.token }).catch((e) => core.report(e, r.view)),
      ),
  );
  core.stopTimers.abort();
  timeouts.clear();
}

function startWorker(core: WorkerCore, handler: JobHandler): Worker {
  const { slots } = core;
  const leaseLost = (r: Running) => onLeaseLost(core, r);
  const timeouts = createTimeouts<Running>(core.clock, (r, limitMs) =>
    abortRun(r, new JobTimeoutError(`job ${r.job.id} timed out after ${limitMs} ms`, limitMs)),
  );
  const ctxOps = contextOpsOf(core, leaseLost);

  // Only a timed lease can run out between claim and start; a connection lease holds while it lives.
  const timedLeases = core.caps.leases === 'timed';
  const start = (job: ClaimedJob, startByMs: number) => {
    if (timedLeases && job.token !== '' && core.clock.now() > startByMs) return skipStale(core, job);
    const r: Running = { job, view: toJob(job), charged: 0 };
    slots.running.set(job.id, r);
    r.done = runAttempt(core, r, handler, ctxOps, timeouts, record).finally(() => {
      slots.running.delete(job.id);
      if (r.finishing) slots.finishing--;
      // A settle that claimed the next job has refilled the slot already: no need to wake the loop.
      if (slots.free() > 0) slots.wake();
    });
  };
  /** Jobs claimed along with a settle: start them, or hand them back if the worker began closing. */
  const onClaimed = (result: ClaimResult, startByMs: number) => {
    countStalled(core, result);
    if (core.stopClaiming.signal.aborted) void releaseAll(core, result);
    else for (const job of result.jobs) start(job, startByMs);
  };
  const batcher = createCompletionBatcher(core, onClaimed);
  const record = createOutcomeRecorder(core, (input) => batcher.complete(input), leaseLost);

  const claiming = runClaimLoop(core, start).catch((e) => core.report(e));
  void runLeaseRenewal(core, leaseLost);
  void runSampler(core);

  let closing: Promise<void> | undefined;
  return {
    id: core.id,
    inFlight: () => slots.running.size,
    close(closeOptions = {}) {
      const timeoutMs =
        closeOptions.timeoutMs === undefined
          ? core.options.closeTimeoutMs
          : argument.integer('timeoutMs', closeOptions.timeoutMs, 0);
      closing ??= closeWorker(core, claiming, timeouts, timeoutMs);
      return closing;
    },
  };
}
