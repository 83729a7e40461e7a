/**
 * One burst of logins, measured in the process that runs it (burst-process.ts runs each in a fresh one,
 * so RSS and the event loop start clean): every login is a lookup of the user in a Map and a verify of
 * its stored hash, all started at once. Measured meanwhile: each login's latency, the event loop's delay
 * (`monitorEventLoopDelay`, 1 ms resolution), the latency of an `fs.stat` issued every 10 ms (it needs a
 * libuv pool thread, as argon2 does: this is what the rest of the app waits), and RSS every 5 ms.
 */
import { stat } from 'node:fs/promises';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BoundedHasherLimits } from '../../src/accounts/index.js';
import { percentile } from '../support/results.js';
import { type Built, PARAMS } from './built.js';

/** How the hasher is bounded: the defaults, none, or given limits. */
export type BurstMode = 'bounded' | 'unbounded' | 'bounded-deep';

/** The limits of each bounded mode: the defaults, and a queue deep enough that nothing is refused. */
export const MODE_LIMITS: Readonly<Record<BurstMode, BoundedHasherLimits | false>> = {
  bounded: {},
  unbounded: false,
  'bounded-deep': { maxQueued: 10_000, maxWaitMs: 3_600_000 },
};

/** What one burst measured. Latencies in ms, memory in MiB. */
export interface BurstFigures {
  readonly mode: BurstMode;
  readonly logins: number;
  readonly accepted: number;
  readonly rejected: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Accepted logins per second of the burst's wall time. */
  readonly loginsPerSec: number;
  readonly eventLoopP99Ms: number;
  readonly eventLoopMaxMs: number;
  /** p99 latency of the fs.stat probe: how long other users of the libuv pool waited. */
  readonly poolProbeP99Ms: number;
  readonly rssBeforeMiB: number;
  readonly rssPeakMiB: number;
}

const PASSWORD = 'correct horse battery staple';
const MIB = 1024 * 1024;

/** Samples RSS and probes the pool until stopped. */
function watchers() {
  let rssPeak = process.memoryUsage.rss();
  const sampler = setInterval(() => {
    rssPeak = Math.max(rssPeak, process.memoryUsage.rss());
  }, 5);
  const probes: number[] = [];
  let probing = true;
  const probe = (async () => {
    while (probing) {
      const started = performance.now();
      await stat(import.meta.filename);
      probes.push(performance.now() - started);
      await sleep(10);
    }
  })();
  return {
    async stop() {
      clearInterval(sampler);
      probing = false;
      await probe;
      return { rssPeakMiB: rssPeak / MIB, poolProbeP99Ms: percentile(probes, 99) };
    },
  };
}

/**
 * Runs one burst of `size` logins with the hasher of `mode` (or the given limits), after a warm-up of a
 * few logins that also gives the bound its duration estimate.
 */
export async function runBurst(
  built: Built,
  mode: BurstMode,
  size: number,
  limits: BoundedHasherLimits | false = MODE_LIMITS[mode],
): Promise<BurstFigures> {
  const hasher = built.argon2.createArgon2Hasher({ ...PARAMS, concurrency: limits });
  const stored = await hasher.hash(PASSWORD);
  const users = new Map(
    Array.from({ length: size }, (_, i) => [`user${i}@example.com`, { id: `u${i}`, stored }]),
  );
  const login = async (email: string, password: string) => {
    const user = users.get(email);
    return user !== undefined && (await hasher.verify(user.stored, password));
  };
  for (let i = 0; i < 4; i++) await login('user0@example.com', PASSWORD);

  const rssBefore = process.memoryUsage.rss();
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const watch = watchers();
  const started = performance.now();
  const outcomes = await Promise.all(
    Array.from({ length: size }, async (_, i) => {
      const t0 = performance.now();
      try {
        if (!(await login(`user${i}@example.com`, PASSWORD))) throw new Error(`login ${i} failed`);
        return { ok: true, ms: performance.now() - t0 };
      } catch (error) {
        if (error instanceof built.accounts.HashOverloadedError) {
          return { ok: false, ms: performance.now() - t0 };
        }
        throw error;
      }
    }),
  );
  const elapsedMs = performance.now() - started;
  delay.disable();
  const watched = await watch.stop();
  await hasher.close?.();
  const accepted = outcomes.filter((o) => o.ok).map((o) => o.ms);
  return {
    mode,
    logins: size,
    accepted: accepted.length,
    rejected: size - accepted.length,
    p50Ms: percentile(accepted, 50),
    p99Ms: percentile(accepted, 99),
    loginsPerSec: accepted.length / (elapsedMs / 1000),
    eventLoopP99Ms: delay.percentile(99) / 1e6,
    eventLoopMaxMs: delay.max / 1e6,
    poolProbeP99Ms: watched.poolProbeP99Ms,
    rssBeforeMiB: rssBefore / MIB,
    rssPeakMiB: watched.rssPeakMiB,
  };
}
