/**
 * A worker's two timers: lease renewal (every `leaseMs / 3`, one call for every lease held) and the
 * lag/depth sampler. Both stop when `core.stopTimers` aborts.
 */
import type { Running } from './handler-context.js';
import { recordDepth } from './instruments.js';
import { renewEveryMs, type Slots, type WorkerCore } from './worker-core.js';

/**
 * Whether renewal speaks for `r`'s lease: its handler still runs here. Once the attempt's result is on
 * its way (or recorded, or aborted), the result's fenced reply is the only word on the lease: a renewal
 * reaching the store after the result finds the lease gone although nothing was lost.
 */
const renewable = (slots: Slots, r: Running) =>
  r.job.token !== '' &&
  r.abortReason === undefined &&
  r.settling !== true &&
  slots.running.get(r.job.id) === r;

/** Renews every held lease every `leaseMs / 3`; `leaseLost` gets each lease the backend refused. */
export async function runLeaseRenewal(core: WorkerCore, leaseLost: (r: Running) => void): Promise<void> {
  const { backend, name, slots, options: o } = core;
  const stop = core.stopTimers.signal;
  const everyMs = renewEveryMs(o.leaseMs);
  while (!stop.aborted) {
    try {
      await core.clock.sleep(everyMs, stop);
    } catch {
      return;
    }
    const held = [...slots.running.values()].filter((r) => renewable(slots, r));
    if (held.length === 0) continue;
    try {
      const leases = held.map((r) => ({ id: r.job.id, token: r.job.token }));
      const results = await backend.renew(name, { leases, leaseMs: o.leaseMs });
      results.forEach((ok, i) => {
        // The run may have sent its result while the renewal was out: that reply decides, not this one.
        const r = held[i]!;
        if (!ok && renewable(slots, r)) leaseLost(r);
      });
    } catch (error) {
      core.report(error);
    }
  }
}

/** Refreshes `jobs.queue.lag` and `jobs.depth` every `sampleIntervalMs` (0: never). */
export async function runSampler(core: WorkerCore): Promise<void> {
  const { backend, name, options: o, instruments } = core;
  const stop = core.stopTimers.signal;
  if (o.sampleIntervalMs === 0) return;
  while (!stop.aborted) {
    try {
      await core.clock.sleep(o.sampleIntervalMs, stop);
      const [lagMs, counts] = await Promise.all([backend.lagMs(name), backend.counts(name)]);
      instruments.lagSeconds.set(lagMs / 1000, core.labels);
      recordDepth(instruments.depth, name, counts);
    } catch (error) {
      if (stop.aborted) return;
      core.report(error);
    }
  }
}
