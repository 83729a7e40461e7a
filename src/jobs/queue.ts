/**
 * The producer side: `createJobQueue` validates jobs, applies depth limits and idempotency through one
 * atomic backend call, and exposes counts, lag and the dead-letter queue.
 */
import { systemClock } from '../core/clock.js';
import { InvalidArgumentError, InvalidOptionError } from '../core/errors.js';
import { type Metrics, noopMetrics } from '../core/metrics.js';
import { argument, option } from '../core/validate.js';
import { QueueClosedError, QueueFullError } from './errors.js';
import { type QueueInternals, registerQueue } from './internals.js';
import { resolveJobOptions } from './job-options.js';
import { createMemoryJobBackend } from './memory.js';
import { encodePayload } from './payload.js';
import { newJobId, toJob } from './records.js';
import type {
  AddedJob,
  Job,
  JobBackend,
  JobCounts,
  JobOptions,
  JobQueueOptions,
  NewJob,
  OverflowPolicy,
} from './types.js';

/** One job of an `addBulk` call. */
export interface BulkJob {
  /** As `add`'s `type`. */
  readonly type: string;
  /** As `add`'s `payload`. */
  readonly payload: unknown;
  /** As `add`'s `options`. */
  readonly options?: JobOptions;
}

/** The dead-letter queue of a job queue. */
export interface DeadLetterQueue {
  /** Dead jobs, oldest death first. Defaults: offset 0, limit 100 (max 1000). */
  list(options?: { offset?: number; limit?: number }): Promise<Job[]>;
  /** One job by id (any state), or undefined. */
  get(id: string): Promise<Job | undefined>;
  /**
   * Moves dead jobs back to the queue with a fresh budget. `ratePerSec` paces the moves so a redrive
   * does not flood workers or the dependency that failed. Returns how many moved.
   */
  redrive(ids: readonly string[] | 'all', options?: { ratePerSec?: number }): Promise<number>;
  /** Deletes every dead job; returns how many. */
  purge(): Promise<number>;
}

/** A named queue of jobs. */
export interface JobQueue {
  /** The queue's name (and Redis hash tag). */
  readonly name: string;
  /** Adds one job. Throws `QueueFullError`, `PayloadTooLargeError` or `InvalidArgumentError` and then writes nothing. */
  add<P>(type: string, payload: P, options?: JobOptions): Promise<AddedJob>;
  /** Adds jobs in one atomic step: all validated first; with `overflow: 'reject'` all or none are added. */
  addBulk(jobs: readonly BulkJob[]): Promise<AddedJob[]>;
  /** One job in any state (completed ones for `keepCompletedMs`), or undefined. */
  getJob<P = unknown>(id: string): Promise<Job<P> | undefined>;
  /** Counts by state; also sets the `jobs.depth` gauge. */
  counts(): Promise<JobCounts>;
  /** Seconds since the oldest ready job became ready (0 when none); also sets `jobs.queue.lag`. */
  lag(): Promise<number>;
  /** Workers stop claiming (in-flight jobs finish); adds still work. */
  pause(): Promise<void>;
  /** Lets workers claim again and wakes idle ones. */
  resume(): Promise<void>;
  /** Jobs that spent their budget (or were dead-lettered by overflow). */
  readonly deadLetters: DeadLetterQueue;
  /** Refuses further calls; closes the backend only if the queue created it (the memory default). */
  close(): Promise<void>;
}

const QUEUE_OPTION_KEYS = [
  'name',
  'backend',
  'clock',
  'metrics',
  'maxDepth',
  'overflow',
  'maxPayloadBytes',
  'keepCompletedMs',
  'idempotencyWindowMs',
] as const;

const isBackend = (value: unknown): value is JobBackend =>
  typeof value === 'object' &&
  value !== null &&
  ['add', 'claim', 'complete', 'fail', 'waitForWork'].every(
    (m) => typeof (value as Record<string, unknown>)[m] === 'function',
  );

/**
 * Creates a job queue. The backend defaults to memory (same semantics, one process).
 *
 * @example
 * ```ts
 * const queue = createJobQueue({ name: 'email', maxDepth: 10_000 });
 * const { id } = await queue.add('welcome', { userId: 42 }, { attempts: 5, delayMs: 60_000 });
 * ```
 */
export function createJobQueue(options: JobQueueOptions): JobQueue {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError('createJobQueue needs an options object');
  }
  option.knownKeys('createJobQueue', options, QUEUE_OPTION_KEYS);
  const name = option.name('name', options.name);
  const clock = options.clock ?? systemClock;
  const metrics: Metrics = options.metrics ?? noopMetrics;
  if (options.backend !== undefined && !isBackend(options.backend)) {
    throw new InvalidOptionError('`backend` must be a JobBackend');
  }
  const ownsBackend = options.backend === undefined;
  const backend = options.backend ?? createMemoryJobBackend({ clock });
  const maxDepth = options.maxDepth === undefined ? 0 : option.integer('maxDepth', options.maxDepth, 1);
  const overflow: OverflowPolicy =
    options.overflow === undefined
      ? 'reject'
      : option.oneOf('overflow', options.overflow, ['reject', 'drop-oldest', 'dead-letter']);
  const maxPayloadBytes =
    options.maxPayloadBytes === undefined
      ? 1024 * 1024
      : option.integer('maxPayloadBytes', options.maxPayloadBytes, 1, 512 * 1024 * 1024);
  const keepCompletedMs =
    options.keepCompletedMs === undefined
      ? 3_600_000
      : option.integer('keepCompletedMs', options.keepCompletedMs, 0, 2 ** 40);
  const idempotencyWindowMs =
    options.idempotencyWindowMs === undefined
      ? 86_400_000
      : option.integer('idempotencyWindowMs', options.idempotencyWindowMs, 1, 2 ** 40);

  let closed = false;
  const labels = { queue: name };
  const added = metrics.counter('jobs.added', {
    description: 'jobs offered to the queue, by outcome',
    labelNames: ['queue', 'outcome'],
  });
  const internals: QueueInternals = {
    name,
    backend,
    clock,
    keepCompletedMs,
    backoffByType: new Map(),
    processed: metrics.counter('jobs.processed', {
      description: 'job attempts by outcome: completed, failed, retried, dead',
      labelNames: ['queue', 'outcome'],
    }),
    leaseLost: metrics.counter('jobs.lease.lost', {
      description: 'results rejected because the worker no longer held the lease',
      labelNames: ['queue'],
    }),
    lagGauge: metrics.gauge('jobs.queue.lag', {
      description: 'age of the oldest job ready to run',
      unit: 's',
      labelNames: ['queue'],
    }),
    depthGauge: metrics.gauge('jobs.depth', { description: 'jobs by state', labelNames: ['queue', 'state'] }),
    isClosed: () => closed,
  };

  const open = () => {
    if (closed) throw new QueueClosedError(`queue \`${name}\` is closed`);
  };

  const prepare = (type: unknown, payload: unknown, jobOptions: JobOptions | undefined) => {
    argument.key('type', type, 128);
    const resolved = resolveJobOptions(jobOptions, clock);
    const job: NewJob = {
      id: newJobId(clock.now()),
      type: type as string,
      payloadJson: encodePayload(payload, maxPayloadBytes),
      priority: resolved.priority,
      attempts: resolved.attempts,
      delivery: resolved.delivery,
      timeoutMs: resolved.timeoutMs,
      backoff: resolved.backoff,
      delayMs: resolved.delayMs,
      ...(resolved.idempotencyKey ? { idempotencyKey: resolved.idempotencyKey } : {}),
    };
    return { job, backoffFunction: resolved.backoffFunction };
  };

  const addPrepared = async (prepared: ReturnType<typeof prepare>[]): Promise<AddedJob[]> => {
    const result = await backend.add(
      name,
      prepared.map((p) => p.job),
      { maxDepth, overflow, idempotencyWindowMs },
    );
    if (result.rejected) {
      added.add(prepared.length, { ...labels, outcome: 'rejected' });
      throw new QueueFullError(
        `queue \`${name}\` is full (\`maxDepth\` ${maxDepth}); nothing was added`,
        maxDepth,
      );
    }
    for (const p of prepared) {
      if (p.backoffFunction) internals.backoffByType.set(p.job.type, p.backoffFunction);
    }
    if (result.dropped) added.add(result.dropped, { ...labels, outcome: 'dropped' });
    return result.jobs.map((j) => {
      const outcome =
        j.status === 'duplicate' ? 'duplicate' : j.status === 'dead' ? 'dead-lettered' : 'added';
      added.add(1, { ...labels, outcome });
      return {
        id: j.id,
        duplicate: j.status === 'duplicate',
        state: j.status === 'dead' ? 'dead' : 'ready',
      };
    });
  };

  const getJob = async <P>(id: string): Promise<Job<P> | undefined> => {
    open();
    argument.key('id', id, 256);
    const record = await backend.getJob(name, id);
    return record ? toJob<P>(record) : undefined;
  };

  const deadLetters: DeadLetterQueue = {
    async list(listOptions = {}) {
      open();
      const offset = listOptions.offset === undefined ? 0 : argument.integer('offset', listOptions.offset, 0);
      const limit =
        listOptions.limit === undefined ? 100 : argument.integer('limit', listOptions.limit, 1, 1000);
      return (await backend.listDead(name, offset, limit)).map((r) => toJob(r));
    },
    get: (id) => getJob(id),
    async redrive(ids, redriveOptions = {}) {
      open();
      const ratePerSec =
        redriveOptions.ratePerSec === undefined
          ? undefined
          : argument.number('ratePerSec', redriveOptions.ratePerSec, Number.MIN_VALUE);
      if (ids !== 'all' && !Array.isArray(ids)) {
        throw new InvalidArgumentError("`ids` must be an array of job ids or 'all'");
      }
      if (ids !== 'all') for (const id of ids) argument.key('id', id, 256);
      const batchSize = ratePerSec === undefined ? 100 : Math.max(1, Math.min(100, Math.floor(ratePerSec)));
      // 'all' means the jobs dead when the call started: later deaths are not chased forever.
      let budget = ids === 'all' ? (await backend.counts(name)).dead : ids.length;
      let offset = 0;
      let moved = 0;
      while (budget > 0) {
        const batch =
          ids === 'all'
            ? (await backend.listDead(name, 0, Math.min(batchSize, budget))).map((r) => r.id)
            : ids.slice(offset, offset + batchSize);
        if (batch.length === 0) break;
        offset += batch.length;
        budget -= batch.length;
        const count = await backend.redrive(name, batch);
        moved += count;
        if (ids === 'all' && count === 0) break;
        if (ratePerSec !== undefined && budget > 0) await clock.sleep((batch.length / ratePerSec) * 1000);
      }
      return moved;
    },
    async purge() {
      open();
      let total = 0;
      for (;;) {
        const n = await backend.purgeDead(name, 500);
        total += n;
        if (n < 500) return total;
      }
    },
  };

  const queue: JobQueue = {
    name,
    async add(type, payload, jobOptions) {
      open();
      const [result] = await addPrepared([prepare(type, payload, jobOptions)]);
      return result!;
    },
    async addBulk(jobs) {
      open();
      if (!Array.isArray(jobs)) throw new InvalidArgumentError('`addBulk` needs an array of jobs');
      if (jobs.length > 10_000) throw new InvalidArgumentError('`addBulk` takes at most 10000 jobs per call');
      if (jobs.length === 0) return [];
      const prepared = jobs.map((j, i) => {
        if (typeof j !== 'object' || j === null) throw new InvalidArgumentError(`job ${i} must be an object`);
        for (const key of Object.keys(j)) {
          if (!['type', 'payload', 'options'].includes(key)) {
            throw new InvalidArgumentError(`unknown key \`${key}\` in job ${i}`);
          }
        }
        return prepare(j.type, j.payload, j.options);
      });
      return addPrepared(prepared);
    },
    getJob,
    async counts() {
      open();
      const counts = await backend.counts(name);
      for (const state of ['ready', 'delayed', 'active', 'dead'] as const) {
        internals.depthGauge.set(counts[state], { ...labels, state });
      }
      return counts;
    },
    async lag() {
      open();
      const seconds = (await backend.lagMs(name)) / 1000;
      internals.lagGauge.set(seconds, labels);
      return seconds;
    },
    async pause() {
      open();
      await backend.setPaused(name, true);
    },
    async resume() {
      open();
      await backend.setPaused(name, false);
    },
    deadLetters,
    async close() {
      if (closed) return;
      closed = true;
      if (ownsBackend) await backend.close();
    },
  };
  registerQueue(queue, internals);
  return queue;
}
