/**
 * Completion batching. Completions that land in the same turn of the event loop go to the backend as
 * one `settle` call, which also claims the next jobs for the slots they free. Small batches go out as
 * soon as they fill, so Redis works on one while this process runs the next handlers: the two overlap
 * instead of taking turns.
 */
import type { ClaimResult, CompleteInput } from './types.js';
import { startDeadlineMs, type WorkerCore } from './worker-core.js';

/** Completion batches a worker keeps in flight at full load (a batch is `concurrency / this` jobs). */
const BATCHES_IN_FLIGHT = 4;

interface Pending {
  readonly input: CompleteInput;
  resolve(applied: boolean): void;
  reject(error: unknown): void;
}

/**
 * Sends completions in batches; `onClaimed` receives the jobs each settle claimed, with the instant
 * after which they must not start (see `startDeadlineMs`).
 */
export function createCompletionBatcher(
  core: WorkerCore,
  onClaimed: (result: ClaimResult, startByMs: number) => void,
) {
  const { slots, backend, name } = core;
  let pending: Pending[] = [];
  let flushScheduled = false;
  const maxBatch = Math.max(1, Math.ceil(slots.concurrency / BATCHES_IN_FLIGHT));

  const flush = async () => {
    const batch = pending;
    pending = [];
    const count = core.stopClaiming.signal.aborted
      ? 0
      : Math.max(0, Math.min(slots.concurrency, slots.free()));
    slots.reserved += count;
    const startByMs = startDeadlineMs(core, core.clock.now()); // read before sending, as for a claim
    try {
      const claim = count > 0 ? { count, leaseMs: core.options.leaseMs, token: core.nextToken() } : undefined;
      const result = await backend.settle(name, { completions: batch.map((b) => b.input), claim });
      slots.reserved -= count;
      if (result.claimed) onClaimed(result.claimed, startByMs);
      batch.forEach((b, i) => {
        b.resolve(result.completed[i] === true);
      });
    } catch (error) {
      slots.reserved -= count;
      for (const b of batch) b.reject(error);
    }
  };

  const flushLater = () => {
    flushScheduled = false;
    if (pending.length) void flush();
  };

  return {
    /** Completes one attempt; resolves false when the lease was lost. */
    complete(input: CompleteInput): Promise<boolean> {
      return new Promise<boolean>((resolve, reject) => {
        pending.push({ input, resolve, reject });
        if (pending.length >= maxBatch) {
          void flush();
        } else if (!flushScheduled) {
          flushScheduled = true;
          setImmediate(flushLater);
        }
      });
    },
  };
}
