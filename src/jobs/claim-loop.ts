/**
 * The claim loop: while the worker is open, claim as many jobs as there are free slots, start them, and
 * when nothing is ready block in `waitForWork` (never polling) until work may be there. Store errors
 * back off exponentially (100 ms .. 5 s) and are reported.
 */
import type { ClaimedJob, ClaimResult } from './types.js';
import { countStalled, releaseAll, startDeadlineMs, type WorkerCore } from './worker-core.js';

/** A claim's reply and the instant after which its jobs must not start. */
interface Claimed {
  readonly result: ClaimResult;
  readonly startByMs: number;
}

const ignore = () => {};
const MIN_ERROR_DELAY_MS = 100;
const MAX_ERROR_DELAY_MS = 5000;

/** Runs until `core.stopClaiming` aborts; `start` runs each claimed job unless past `startByMs`. */
export async function runClaimLoop(
  core: WorkerCore,
  start: (job: ClaimedJob, startByMs: number) => void,
): Promise<void> {
  const { slots, backend, name, options: o } = core;
  const stop = core.stopClaiming.signal;
  let errorDelayMs = 0;
  const pauseAfter = async (error: unknown) => {
    core.report(error);
    errorDelayMs = Math.min(MAX_ERROR_DELAY_MS, Math.max(MIN_ERROR_DELAY_MS, errorDelayMs * 2));
    await core.clock.sleep(errorDelayMs, stop).catch(ignore);
  };
  /** One claim for `free` slots; undefined after a store error (already reported and paused for). */
  const claim = async (free: number): Promise<Claimed | undefined> => {
    const token = core.nextToken();
    slots.reserved += free;
    let failure: { error: unknown } | undefined;
    // Read before sending: the lease cannot have started earlier, so the deadline errs on the safe side.
    const startByMs = startDeadlineMs(core, core.clock.now());
    try {
      const result = await backend.claim(name, { count: free, leaseMs: o.leaseMs, token });
      errorDelayMs = 0;
      return { result, startByMs };
    } catch (error) {
      failure = { error };
    } finally {
      slots.reserved -= free;
    }
    // The slots are released before the pause, so completions may claim them meanwhile.
    if (!stop.aborted) await pauseAfter(failure.error);
    return undefined;
  };
  /** Blocks until work may be there (or the wait's bound); a store error pauses like a failed claim. */
  const idle = async (result: ClaimResult) => {
    const waitMs = result.paused ? o.maxIdleMs : Math.min(o.maxIdleMs, result.nextWakeMs ?? o.maxIdleMs);
    try {
      await backend.waitForWork(name, { maxWaitMs: Math.max(1, waitMs), signal: stop });
    } catch (error) {
      if (!stop.aborted) await pauseAfter(error);
    }
  };

  while (!stop.aborted) {
    const free = slots.free();
    if (free <= 0) {
      await slots.waitForFree();
      // Let other completions land so one claim serves several free slots.
      await new Promise((resolve) => setImmediate(resolve));
      continue;
    }
    const claimed = await claim(free);
    if (!claimed) continue;
    const { result } = claimed;
    countStalled(core, result);
    if (stop.aborted) {
      await releaseAll(core, result); // claimed while closing: hand the jobs straight back
      break;
    }
    for (const job of result.jobs) start(job, claimed.startByMs);
    if (!result.paused && result.jobs.length === free) continue; // there may be more ready jobs
    await idle(result);
  }
}
