/**
 * What the parts of a worker share: the queue's backend, clock and instruments, the parsed options,
 * the slots, and the two stop signals. Each part (claim loop, completion batching, lease renewal,
 * sampling, outcome recording) takes this and nothing else.
 */
import type { Clock } from '../core/clock.js';
import type { Running } from './handler-context.js';
import type { JobInstruments } from './instruments.js';
import type { ClaimResult, Job, JobBackend, JobBackendCapabilities } from './types.js';
import type { ResolvedWorkerOptions } from './worker-options.js';

/** The shared state of one worker. */
export interface WorkerCore {
  /** Random id; prefixes this worker's lease tokens. */
  readonly id: string;
  /** The queue's name. */
  readonly name: string;
  readonly backend: JobBackend;
  /** What the backend declares (full when it declares nothing). */
  readonly caps: JobBackendCapabilities;
  readonly clock: Clock;
  readonly options: ResolvedWorkerOptions;
  readonly instruments: JobInstruments;
  readonly labels: { readonly queue: string };
  readonly keepCompletedMs: number;
  readonly slots: Slots;
  /** Aborted by `close()`: no more claims. */
  readonly stopClaiming: AbortController;
  /** Aborted at the end of `close()`: renewal and sampling stop. */
  readonly stopTimers: AbortController;
  /** A fresh fencing token prefix for one claim. */
  nextToken(): string;
  /** Hands an error to `onError` (which must not stop the worker by throwing). */
  report(error: unknown, job?: Job): void;
}

/**
 * Slot accounting: running attempts, slots promised to claims in flight (the claim loop's or a
 * settle's, so together they never claim more than `concurrency` jobs), and jobs whose handler has
 * finished and whose completion is on its way (their slots are free to claim).
 */
export class Slots {
  readonly running = new Map<string, Running>();
  reserved = 0;
  finishing = 0;
  #freed: (() => void) | undefined;

  constructor(readonly concurrency: number) {}

  /** Slots a claim may fill now. */
  free(): number {
    return this.concurrency - (this.running.size - this.finishing) - this.reserved;
  }

  /** Resolves at the next {@link wake} (a finished job left a slot free, or close()). */
  waitForFree(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.#freed = resolve;
    });
  }

  /** Wakes the claim loop if it waits for a slot. */
  wake(): void {
    const wake = this.#freed;
    this.#freed = undefined;
    wake?.();
  }
}

/** How often a worker renews its leases: every `leaseMs / 3`, so two renewals can fail before one expires. */
export const renewEveryMs = (leaseMs: number): number => Math.max(1, Math.floor(leaseMs / 3));

/**
 * The instant after which a job claimed by a request sent at `sentAtMs` (the worker's clock, read before
 * sending) must not start. The store started the lease no earlier than the send, so it runs until at
 * least `sentAtMs + leaseMs`; the margin of one renewal interval lets the first renewal of a job started
 * just in time reach the store before the lease ends. A worker paused longer than that between claim and
 * start (a GC pause, a blocked event loop, a slow reply) may hold a claim another worker has since
 * recovered and completed.
 */
export const startDeadlineMs = (core: WorkerCore, sentAtMs: number): number =>
  sentAtMs + core.options.leaseMs - renewEveryMs(core.options.leaseMs);

/** Counts leases a claim recovered: each is a failed attempt, then retried or dead. */
export function countStalled(core: WorkerCore, result: ClaimResult): void {
  if (!result.stalledRetried && !result.stalledDead) return;
  const { processed } = core.instruments;
  processed.add(result.stalledRetried + result.stalledDead, { ...core.labels, outcome: 'failed' });
  if (result.stalledRetried) processed.add(result.stalledRetried, { ...core.labels, outcome: 'retried' });
  if (result.stalledDead) processed.add(result.stalledDead, { ...core.labels, outcome: 'dead' });
}

/** Hands claimed jobs straight back (claimed while closing). */
export function releaseAll(core: WorkerCore, result: ClaimResult): Promise<unknown> {
  return Promise.all(
    result.jobs
      .filter((job) => job.token !== '')
      .map((job) =>
        core.backend.release(core.name, { id: job.id, token: job.token }).catch((e) => core.report(e)),
      ),
  );
}
