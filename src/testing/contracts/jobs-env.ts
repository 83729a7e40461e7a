/**
 * What every case of the JobBackend contract shares: the per-test environment (backend, queues,
 * metrics), the time driver (the manual clock for `time: 'injected'`, short real waits for `'wall'`),
 * and helpers that read a job's state through whatever the backend declares.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { type Clock, systemClock } from '../../core/clock.js';
import type { ManualClock } from '../../core/manual-clock.js';
import { createMemoryMetrics, type MemoryMetrics } from '../../core/memory-metrics.js';
import {
  type ClaimedJob,
  type ClaimResult,
  createJobQueue,
  FULL_JOB_CAPABILITIES,
  type Job,
  type JobBackend,
  type JobBackendCapabilities,
  type JobQueue,
  type JobQueueOptions,
  type WorkerOptions,
} from '../../jobs/index.js';
import { type ContractOptions, type ContractTestApi, withFixture } from './test-api.js';

/**
 * Options of the JobBackend contract. `setup(clock)` builds a fresh backend: with `time: 'injected'`
 * its time must be `clock` (memory: its `clock`; Redis: the `clock` option); with `time: 'wall'` the
 * backend runs on its own real time, the suite never moves `clock`, and queues and workers use the
 * system clock. `capabilities` is what the backend declares (default {@link FULL_JOB_CAPABILITIES});
 * the suite checks the subject declares the same, runs the cases those capabilities allow, and for
 * each capability left out checks that the public API answers `ERR_UNSUPPORTED`.
 */
export interface JobBackendContractOptions extends ContractOptions<JobBackend> {
  readonly capabilities?: JobBackendCapabilities;
}

/**
 * Time as a case sees it. `advance(ms)` moves the manual clock (and resolves at once) or sleeps `ms`
 * of real time; `tick(ms)` moves the manual clock while a case waits for a deadline, and does nothing
 * in wall time, where deadlines pass by themselves.
 */
export interface TimeDriver {
  readonly wall: boolean;
  /** The clock queues and workers run on. */
  readonly clock: Clock;
  now(): number;
  advance(ms: number): Promise<void>;
  tick(ms: number): void;
}

/** One test's world. */
export interface Env {
  readonly backend: JobBackend;
  readonly caps: JobBackendCapabilities;
  readonly time: TimeDriver;
  readonly metrics: MemoryMetrics;
  /** A queue with a random name on the backend, closed after the test. */
  queue(extra?: Omit<JobQueueOptions, 'name' | 'backend' | 'clock'>): JobQueue;
}

/** What the case files get from the suite. */
export interface Suite {
  readonly t: ContractTestApi;
  readonly caps: JobBackendCapabilities;
  readonly wall: boolean;
  /** `manualMs` on the manual clock, `wallMs` (tens to hundreds of ms) in wall time. */
  pick(manualMs: number, wallMs: number): number;
  /** Wraps a case body in a fresh environment, always torn down. */
  env(body: (env: Env) => Promise<void>): () => Promise<void>;
}

function timeDriver(manual: ManualClock, wall: boolean): TimeDriver {
  if (wall) {
    return {
      wall,
      clock: systemClock,
      now: () => systemClock.now(),
      advance: (ms) => systemClock.sleep(ms),
      tick: () => {},
    };
  }
  return {
    wall,
    clock: manual,
    now: () => manual.now(),
    advance: async (ms) => manual.advance(ms),
    tick: (ms) => manual.advance(ms),
  };
}

/** Builds the suite's shared parts from the contract's options. */
export function createSuite(t: ContractTestApi, options: JobBackendContractOptions): Suite {
  const caps = options.capabilities ?? FULL_JOB_CAPABILITIES;
  const wall = caps.time === 'wall';
  const env = (body: (env: Env) => Promise<void>) =>
    withFixture(options.setup, async (backend, manual) => {
      const metrics = createMemoryMetrics();
      const time = timeDriver(manual, wall);
      const queues: JobQueue[] = [];
      const queue = (extra = {}) => {
        const name = `contract-${randomBytes(4).toString('hex')}`;
        const q = createJobQueue({ name, backend, clock: time.clock, metrics, ...extra });
        queues.push(q);
        return q;
      };
      try {
        await body({ backend, caps, time, metrics, queue });
      } finally {
        for (const q of queues) await q.close();
        await backend.close?.();
      }
    });
  return { t, caps, wall, pick: (manualMs, wallMs) => (wall ? wallMs : manualMs), env };
}

/** Waits (in real time) until `check` passes; for effects of background workers. Not a timing assertion. */
export async function eventually(what: string, check: () => boolean | Promise<boolean>, limitMs = 10_000) {
  const deadline = Date.now() + limitMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) assert.fail(`never happened: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Real-time pause for background work to (not) happen. */
export const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Worker options that keep tests quiet: no sampler, errors swallowed. */
export const quietWorker = (extra: WorkerOptions = {}): WorkerOptions => ({
  sampleIntervalMs: 0,
  onError: () => {},
  ...extra,
});

const tokenOf = () => `t${randomBytes(3).toString('hex')}`;

/**
 * Claims through the port. A timed-lease backend answers from its store, so one claim is the answer.
 * A connection-lease backend hands out what its consumer has received so far, so this claims (waiting
 * for work in between) until `want` jobs arrived; stalled counts are summed over the claims.
 */
export async function claimJobs(
  env: Env,
  queue: JobQueue,
  want = 1,
  { count = want, leaseMs = 1000 }: { count?: number; leaseMs?: number } = {},
): Promise<ClaimResult> {
  const first = await env.backend.claim(queue.name, { count, leaseMs, token: tokenOf() });
  if (env.caps.leases === 'timed') return first;
  const jobs: ClaimedJob[] = [...first.jobs];
  let last = first;
  let stalledRetried = first.stalledRetried;
  let stalledDead = first.stalledDead;
  const deadline = Date.now() + 10_000;
  while (jobs.length < want) {
    if (Date.now() > deadline) assert.fail(`claimed ${jobs.length} of ${want} jobs`);
    const signal = new AbortController().signal;
    await env.backend.waitForWork(queue.name, { maxWaitMs: 50, signal });
    last = await env.backend.claim(queue.name, { count: count - jobs.length, leaseMs, token: tokenOf() });
    jobs.push(...last.jobs);
    stalledRetried += last.stalledRetried;
    stalledDead += last.stalledDead;
  }
  return { ...last, jobs, stalledRetried, stalledDead };
}

/** The `jobs.processed` counter of `queue` for `outcome`. */
export const processed = (env: Env, queue: JobQueue, outcome: string) =>
  env.metrics.counterValue('jobs.processed', { queue: queue.name, outcome });

/**
 * Waits until job `id`, the only job of `queue`, is `completed`, `dead` or `active`: by `getJob` when
 * the backend has lookup, else by what it can tell (the completion counter, the dead and active counts).
 */
export async function untilState(
  env: Env,
  queue: JobQueue,
  id: string,
  state: 'completed' | 'dead' | 'active',
) {
  if (env.caps.lookup) {
    await eventually(`job ${state}`, async () => (await queue.getJob(id))?.state === state);
    return;
  }
  await eventually(`job ${state}`, async () =>
    state === 'completed' ? processed(env, queue, 'completed') >= 1 : (await queue.counts()).dead >= 1,
  );
}

/**
 * A dead job as stored: by `getJob` with lookup, else from the dead-letter queue's listing; null when
 * the backend has neither (the case then checks only what the counts show).
 */
export async function deadJob(env: Env, queue: JobQueue, id: string): Promise<Job | null> {
  if (!env.caps.lookup && !env.caps.listDead) return null;
  const job = env.caps.lookup
    ? await queue.getJob(id)
    : (await queue.deadLetters.list({ limit: 1000 })).find((j) => j.id === id);
  assert.ok(job, `dead job ${id} not found`);
  assert.equal(job.state, 'dead');
  return job;
}

/** The counts of an empty queue. */
export const EMPTY_COUNTS = { ready: 0, delayed: 0, active: 0, dead: 0, paused: false } as const;
