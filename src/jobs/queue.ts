/**
 * The producer side: `createJobQueue` validates jobs, applies depth limits and idempotency through one
 * atomic backend call, and exposes counts, lag and the dead-letter queue. What workers need (backend,
 * clock, metrics, keepCompletedMs) is public on the queue, so a wrapped queue works with `createWorker`.
 */
import type { Clock } from '../core/clock.js';
import { InvalidArgumentError } from '../core/errors.js';
import type { Metrics } from '../core/metrics.js';
import { defineOptions, opt } from '../core/options.js';
import { argument } from '../core/validate.js';
import { capabilitiesOf, checkJobOptions, checkQueueOptions, unsupported } from './capabilities.js';
import { createDeadLetterQueue, type DeadLetterQueue } from './dead-letters.js';
import { QueueClosedError, QueueFullError } from './errors.js';
import { type JobInstruments, jobInstruments, recordDepth } from './instruments.js';
import { resolveJobOptions } from './job-options.js';
import { createMemoryJobBackend } from './memory.js';
import { encodePayload } from './payload.js';
import { newJobId, toJob } from './records.js';
import type {
  AddBatchResult,
  AddedJob,
  AddLimits,
  Job,
  JobBackend,
  JobBackendCapabilities,
  JobCounts,
  JobOptions,
  JobQueueOptions,
  NewJob,
} from './types.js';

export type { DeadLetterQueue } from './dead-letters.js';

/** One job of an `addBulk` call. */
export interface BulkJob {
  /** As `add`'s `type`. */
  readonly type: string;
  /** As `add`'s `payload`. */
  readonly payload: unknown;
  /** As `add`'s `options`. */
  readonly options?: JobOptions;
}

/** A named queue of jobs. */
export interface JobQueue {
  /** The queue's name (and Redis hash tag). */
  readonly name: string;
  /** The backend the queue and its workers use. */
  readonly backend: JobBackend;
  /** The queue's clock (delays, timeouts, redrive pacing); its workers use it too. */
  readonly clock: Clock;
  /** Where the queue and its workers report `jobs.*` metrics. */
  readonly metrics: Metrics;
  /** How long completed jobs stay readable; workers pass it with each completion. */
  readonly keepCompletedMs: number;
  /** Adds one job. Throws `QueueFullError`, `PayloadTooLargeError` or `InvalidArgumentError` and then writes nothing. */
  add<P>(type: string, payload: P, options?: JobOptions): Promise<AddedJob>;
  /** Adds jobs in one atomic step: all validated first; with `overflow: 'reject'` all or none are added. */
  addBulk(jobs: readonly BulkJob[]): Promise<AddedJob[]>;
  /** One job in any state (completed ones for `keepCompletedMs`), or undefined. */
  getJob<P = unknown>(id: string): Promise<Job<P> | undefined>;
  /** Counts by state; also sets the `jobs.depth` gauge. */
  counts(): Promise<JobCounts>;
  /** Ms since the oldest ready job became ready (0 when none); also sets `jobs.queue.lag` (in seconds). */
  lagMs(): Promise<number>;
  /** Workers stop claiming (in-flight jobs finish); adds still work. */
  pause(): Promise<void>;
  /** Lets workers claim again and wakes idle ones. */
  resume(): Promise<void>;
  /** Jobs that spent their budget (or were dead-lettered by overflow). */
  readonly deadLetters: DeadLetterQueue;
  /** Refuses further calls; closes the backend only if the queue created it (the memory default). */
  close(): Promise<void>;
}

const parseOptions = defineOptions('createJobQueue', {
  name: opt.name({ required: true }),
  backend: opt.port<JobBackend>(['add', 'claim', 'complete', 'fail', 'waitForWork']),
  clock: opt.clock(),
  metrics: opt.metrics(),
  maxDepth: opt.integer(),
  overflow: opt.oneOf(['reject', 'drop-oldest', 'dead-letter'], { default: 'reject' }),
  maxPayloadBytes: opt.integer({ default: 1024 * 1024, max: 512 * 1024 * 1024 }),
  keepCompletedMs: opt.duration({ default: 3_600_000, min: 0, max: 2 ** 40 }),
  idempotencyWindowMs: opt.duration({ default: 86_400_000, max: 2 ** 40 }),
});

/** Most jobs per `addBulk` call. */
const MAX_BULK = 10_000;
const BULK_JOB_KEYS = ['type', 'payload', 'options'];

/** The write side of one queue: validation, the atomic add and its metric. */
function createAdder(
  name: string,
  backend: JobBackend,
  caps: JobBackendCapabilities,
  clock: Clock,
  limits: AddLimits,
  maxPayloadBytes: number,
  m: JobInstruments,
) {
  const prepare = (type: unknown, payload: unknown, jobOptions: JobOptions | undefined): NewJob => {
    argument.key('type', type, 128);
    const resolved = resolveJobOptions(jobOptions, clock);
    checkJobOptions(caps, backend.kind, resolved);
    return {
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
  };
  const labels = { queue: name };
  const outcomes = (result: AddBatchResult): AddedJob[] => {
    if (result.dropped) m.added.add(result.dropped, { ...labels, outcome: 'dropped' });
    return result.jobs.map((j) => {
      const outcome =
        j.status === 'duplicate' ? 'duplicate' : j.status === 'dead' ? 'dead-lettered' : 'added';
      m.added.add(1, { ...labels, outcome });
      return { id: j.id, duplicate: j.status === 'duplicate', state: j.status === 'dead' ? 'dead' : 'ready' };
    });
  };
  const addPrepared = async (jobs: NewJob[]): Promise<AddedJob[]> => {
    const result = await backend.add(name, { jobs, limits });
    if (result.rejected) {
      m.added.add(jobs.length, { ...labels, outcome: 'rejected' });
      throw new QueueFullError(
        `queue \`${name}\` is full (\`maxDepth\` ${limits.maxDepth}); nothing was added`,
        limits.maxDepth,
      );
    }
    return outcomes(result);
  };
  const prepareBulk = (jobs: unknown): NewJob[] => {
    if (!Array.isArray(jobs)) throw new InvalidArgumentError('`addBulk` needs an array of jobs');
    if (jobs.length > MAX_BULK)
      throw new InvalidArgumentError(`\`addBulk\` takes at most ${MAX_BULK} jobs per call`);
    return jobs.map((j: unknown, i) => {
      if (typeof j !== 'object' || j === null) throw new InvalidArgumentError(`job ${i} must be an object`);
      for (const key of Object.keys(j)) {
        if (!BULK_JOB_KEYS.includes(key))
          throw new InvalidArgumentError(`unknown key \`${key}\` in job ${i}`);
      }
      const { type, payload, options } = j as BulkJob;
      return prepare(type, payload, options);
    });
  };
  return { prepare, prepareBulk, addPrepared };
}

/**
 * Creates a job queue. The backend defaults to memory (same semantics, one process).
 *
 * What the backend does not declare in its `capabilities` is refused with `UnsupportedError`
 * (`ERR_UNSUPPORTED`, `capability` set) before anything is written: here at construction for a
 * `maxDepth`/`overflow` policy it does not offer (and an explicit `keepCompletedMs` > 0 without
 * `lookup`, or `idempotencyWindowMs` without `idempotency`), at `add` for a priority above
 * `maxPriority`, an `idempotencyKey` or a `timeoutMs` above `maxAttemptMs`, and at the call for
 * `getJob`/`deadLetters.get` without `lookup` and `deadLetters.list`/`redrive('all')` without `listDead`.
 *
 * @example
 * ```ts
 * const queue = createJobQueue({ name: 'email', maxDepth: 10_000 });
 * const { id } = await queue.add('welcome', { userId: 42 }, { attempts: 5, delayMs: 60_000 });
 * ```
 */
export function createJobQueue(options: JobQueueOptions): JobQueue {
  const o = parseOptions(options);
  const { name, clock, metrics, keepCompletedMs } = o;
  const ownsBackend = o.backend === undefined;
  const backend = o.backend ?? createMemoryJobBackend({ clock });
  const caps = capabilitiesOf(backend, 'createJobQueue');
  checkQueueOptions(caps, backend.kind, options);
  const limits: AddLimits = {
    maxDepth: o.maxDepth ?? 0,
    overflow: o.overflow,
    idempotencyWindowMs: o.idempotencyWindowMs,
  };
  const m = jobInstruments(metrics);
  const adder = createAdder(name, backend, caps, clock, limits, o.maxPayloadBytes, m);
  let closed = false;
  const open = () => {
    if (closed) throw new QueueClosedError(`queue \`${name}\` is closed`);
  };
  const getJob = async <P>(id: string, what = '`getJob`'): Promise<Job<P> | undefined> => {
    open();
    if (!caps.lookup) throw unsupported('lookup', backend.kind, what);
    argument.key('id', id, 256);
    const record = await backend.getJob(name, id);
    return record ? toJob<P>(record) : undefined;
  };
  return {
    name,
    backend,
    clock,
    metrics,
    keepCompletedMs,
    async add(type, payload, jobOptions) {
      open();
      const [result] = await adder.addPrepared([adder.prepare(type, payload, jobOptions)]);
      return result!;
    },
    async addBulk(jobs) {
      open();
      const prepared = adder.prepareBulk(jobs);
      return prepared.length === 0 ? [] : adder.addPrepared(prepared);
    },
    getJob: <P>(id: string) => getJob<P>(id),
    async counts() {
      open();
      const counts = await backend.counts(name);
      recordDepth(m.depth, name, counts);
      return counts;
    },
    async lagMs() {
      open();
      const lagMs = await backend.lagMs(name);
      m.lagSeconds.set(lagMs / 1000, { queue: name });
      return lagMs;
    },
    async pause() {
      open();
      await backend.setPaused(name, true);
    },
    async resume() {
      open();
      await backend.setPaused(name, false);
    },
    deadLetters: createDeadLetterQueue({ name, backend, caps, clock, open, getJob }),
    async close() {
      if (closed) return;
      closed = true;
      if (ownsBackend) await backend.close?.();
    },
  };
}
