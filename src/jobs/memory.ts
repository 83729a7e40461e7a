/**
 * The memory backend: the default. Same semantics as the Redis backend (leases, fencing tokens,
 * depth limits, idempotency windows, dead letters) under the injected clock, within one process.
 * Each method runs synchronously between awaits, which makes it atomic like a Lua script.
 */
import { type Clock, systemClock } from '../core/clock.js';
import { option } from '../core/validate.js';
import { backoffDelayMs } from './backoff.js';
import { SortedSet } from './sorted-set.js';
import type {
  AddBatchResult,
  AddLimits,
  AttemptRecord,
  ClaimedJob,
  ClaimResult,
  CompleteInput,
  FailInput,
  JobBackend,
  JobCounts,
  JobError,
  JobRecord,
  NewJob,
} from './types.js';

/** Ready jobs are ordered by priority first, then by the time they became ready. */
export const PRIORITY_FACTOR = 2 ** 42;
/** Attempt records kept per job. */
export const HISTORY_LIMIT = 20;
/** Jobs recovered from expired leases per claim, so one claim stays short. */
export const STALL_BATCH = 100;
/** Delayed jobs promoted per claim. */
export const PROMOTE_BATCH = 1000;

/** Reason for cancelling internal timers: preallocated, because `abort()` without one builds a DOMException. */
const CANCELLED = new Error('cancelled');

/** The error recorded when a lease expires. */
export const LEASE_EXPIRED_ERROR: JobError = Object.freeze({
  name: 'LeaseExpired',
  code: 'ERR_JOB_LEASE_EXPIRED',
  message: 'the lease expired before the attempt finished (worker crashed, blocked or too slow)',
});

type MutableJob = {
  -readonly [K in keyof JobRecord]: JobRecord[K];
} & { token: string; startedAtMs: number; history: AttemptRecord[] };

interface QueueState {
  readonly jobs: Map<string, MutableJob>;
  readonly ready: SortedSet;
  /** Prioritised ready jobs by ready time, so lag sees them too. */
  readonly age: SortedSet;
  readonly delayed: SortedSet;
  /** Leased jobs by lease deadline. */
  readonly active: SortedSet;
  readonly dead: SortedSet;
  /** Completed jobs by expiry. */
  readonly completed: SortedSet;
  readonly idempotency: Map<string, { id: string; expiresAtMs: number }>;
  /** Idempotency keys by expiry, so expiring them costs only what expired. */
  readonly idempotencyExpiry: SortedSet;
  readonly waiters: Set<() => void>;
  wakeMarker: boolean;
  paused: boolean;
}

/** Options of {@link createMemoryJobBackend}. */
export interface MemoryJobBackendOptions {
  /** Time source for delays, leases and lag. Default the system clock. */
  readonly clock?: Clock;
  /** Random source in [0, 1) for backoff jitter of expired leases. Default `Math.random`. */
  readonly random?: () => number;
}

const snapshot = (job: MutableJob): JobRecord => {
  const { token: _token, startedAtMs: _started, ...record } = job;
  return { ...record, history: [...job.history] };
};

/**
 * Creates an in-process job backend. Jobs live in this process only: use it for tests, development
 * and single-process apps that accept losing queued jobs on restart.
 *
 * @example
 * ```ts
 * const clock = createManualClock();
 * const queue = createJobQueue({ name: 'email', backend: createMemoryJobBackend({ clock }), clock });
 * ```
 */
export function createMemoryJobBackend(options: MemoryJobBackendOptions = {}): JobBackend {
  option.knownKeys('createMemoryJobBackend', options, ['clock', 'random']);
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  const queues = new Map<string, QueueState>();

  const state = (name: string): QueueState => {
    let q = queues.get(name);
    if (!q) {
      q = {
        jobs: new Map(),
        ready: new SortedSet(),
        age: new SortedSet(),
        delayed: new SortedSet(),
        active: new SortedSet(),
        dead: new SortedSet(),
        completed: new SortedSet(),
        idempotency: new Map(),
        idempotencyExpiry: new SortedSet(),
        waiters: new Set(),
        wakeMarker: false,
        paused: false,
      };
      queues.set(name, q);
    }
    return q;
  };

  // Like the Redis wake list: with nobody waiting, a marker is kept so the next wait returns at once
  // (a worker between its claim and its wait must not miss the add).
  const wake = (q: QueueState) => {
    if (q.waiters.size === 0) q.wakeMarker = true;
    for (const waiter of [...q.waiters]) waiter();
  };

  const expire = (q: QueueState, nowMs: number) => {
    for (const id of q.completed.upTo(nowMs, Number.MAX_SAFE_INTEGER)) {
      q.completed.delete(id);
      q.jobs.delete(id);
    }
    for (const key of q.idempotencyExpiry.upTo(nowMs, Number.MAX_SAFE_INTEGER)) {
      q.idempotencyExpiry.delete(key);
      q.idempotency.delete(key);
    }
  };

  const makeReady = (q: QueueState, job: MutableJob, readyAtMs: number) => {
    job.state = 'ready';
    job.readyAtMs = readyAtMs;
    q.ready.add(job.id, job.priority * PRIORITY_FACTOR + readyAtMs);
    if (job.priority > 0) q.age.add(job.id, readyAtMs);
  };

  const schedule = (q: QueueState, job: MutableJob, nowMs: number, delayMs: number) => {
    if (delayMs > 0) {
      job.state = 'delayed';
      job.readyAtMs = nowMs + delayMs;
      q.delayed.add(job.id, job.readyAtMs);
    } else {
      makeReady(q, job, nowMs);
    }
  };

  const bury = (q: QueueState, job: MutableJob, nowMs: number) => {
    job.state = 'dead';
    job.finishedAtMs = nowMs;
    job.token = '';
    q.dead.add(job.id, nowMs);
  };

  const removeWaiting = (q: QueueState, id: string) => {
    q.ready.delete(id);
    q.age.delete(id);
    q.delayed.delete(id);
  };

  const recordFailure = (job: MutableJob, error: JobError, nowMs: number) => {
    job.error = error;
    job.history.push({ attempt: job.attemptsMade, startedAtMs: job.startedAtMs, endedAtMs: nowMs, error });
    if (job.history.length > HISTORY_LIMIT) job.history.splice(0, job.history.length - HISTORY_LIMIT);
  };

  /** The job if `token` still holds an unexpired lease on it. */
  const leased = (q: QueueState, id: string, token: string, nowMs: number) => {
    const job = q.jobs.get(id);
    const leaseUntilMs = q.active.score(id);
    if (!job || token === '' || job.token !== token || leaseUntilMs === undefined) return undefined;
    return leaseUntilMs >= nowMs ? job : undefined;
  };

  const backend: JobBackend = {
    kind: 'memory',

    async add(queue: string, jobs: readonly NewJob[], limits: AddLimits): Promise<AddBatchResult> {
      const q = state(queue);
      const nowMs = clock.now();
      expire(q, nowMs);
      const results: { id: string; status: 'added' | 'duplicate' | 'dead' }[] = [];
      const fresh = jobs.filter((j) => !(j.idempotencyKey && q.idempotency.has(j.idempotencyKey)));
      // Depth check first, for the whole batch: with 'reject' nothing is written.
      const depth = q.ready.size + q.delayed.size;
      const overBy = limits.maxDepth > 0 ? depth + fresh.length - limits.maxDepth : 0;
      if (overBy > 0 && limits.overflow === 'reject') return { rejected: true, dropped: 0, jobs: [] };
      let dropped = 0;
      let room = limits.maxDepth > 0 ? Math.max(0, limits.maxDepth - depth) : Number.POSITIVE_INFINITY;
      for (const input of jobs) {
        const known = input.idempotencyKey ? q.idempotency.get(input.idempotencyKey) : undefined;
        if (known) {
          results.push({ id: known.id, status: 'duplicate' });
          continue;
        }
        const job: MutableJob = {
          id: input.id,
          type: input.type,
          payloadJson: input.payloadJson,
          state: 'ready',
          priority: input.priority,
          attempts: input.attempts,
          attemptsMade: 0,
          delivery: input.delivery,
          timeoutMs: input.timeoutMs,
          backoff: input.backoff,
          createdAtMs: nowMs,
          readyAtMs: nowMs + input.delayMs,
          idempotencyKey: input.idempotencyKey,
          history: [],
          token: '',
          startedAtMs: 0,
        };
        if (input.idempotencyKey) {
          q.idempotencyExpiry.add(input.idempotencyKey, nowMs + limits.idempotencyWindowMs);
          q.idempotency.set(input.idempotencyKey, {
            id: input.id,
            expiresAtMs: nowMs + limits.idempotencyWindowMs,
          });
        }
        q.jobs.set(job.id, job);
        if (room <= 0 && limits.overflow === 'dead-letter') {
          recordFailure(
            job,
            { name: 'QueueFullError', code: 'ERR_QUEUE_FULL', message: 'queue full' },
            nowMs,
          );
          bury(q, job, nowMs);
          results.push({ id: job.id, status: 'dead' });
          continue;
        }
        if (room <= 0) {
          const head = q.ready.first()?.member ?? q.delayed.first()?.member;
          if (head !== undefined) {
            removeWaiting(q, head);
            q.jobs.delete(head);
            dropped++;
          }
        } else {
          room--;
        }
        schedule(q, job, nowMs, input.delayMs);
        results.push({ id: job.id, status: 'added' });
      }
      wake(q);
      return { rejected: false, dropped, jobs: results };
    },

    async claim(queue, request): Promise<ClaimResult> {
      const q = state(queue);
      const nowMs = clock.now();
      expire(q, nowMs);
      for (const id of q.delayed.upTo(nowMs, PROMOTE_BATCH)) {
        const job = q.jobs.get(id)!;
        q.delayed.delete(id);
        makeReady(q, job, job.readyAtMs);
      }
      let stalledRetried = 0;
      let stalledDead = 0;
      for (const id of q.active.upTo(nowMs - 1, STALL_BATCH)) {
        const job = q.jobs.get(id)!;
        q.active.delete(id);
        job.token = '';
        recordFailure(job, LEASE_EXPIRED_ERROR, nowMs);
        if (job.attemptsMade >= job.attempts) {
          bury(q, job, nowMs);
          stalledDead++;
        } else {
          schedule(q, job, nowMs, backoffDelayMs(job.backoff, job.attemptsMade, LEASE_EXPIRED_ERROR, random));
          stalledRetried++;
        }
      }
      const claimed: ClaimedJob[] = [];
      if (!q.paused) {
        for (const id of q.ready.range(0, request.count)) {
          const job = q.jobs.get(id)!;
          removeWaiting(q, id);
          job.attemptsMade++;
          job.startedAtMs = nowMs;
          if (job.delivery === 'at-most-once') {
            q.jobs.delete(id);
            job.state = 'active';
            claimed.push({ ...snapshot(job), token: '', startedAtMs: nowMs });
            continue;
          }
          job.state = 'active';
          job.token = `${request.token}:${claimed.length}`;
          q.active.add(id, nowMs + request.leaseMs);
          claimed.push({ ...snapshot(job), token: job.token, startedAtMs: nowMs });
        }
      }
      const dueAt = [q.delayed.first()?.score, q.active.first()?.score].filter(
        (s): s is number => s !== undefined,
      );
      const nextWakeMs = dueAt.length ? Math.max(0, Math.min(...dueAt) - nowMs) : null;
      if (stalledRetried > 0) wake(q);
      return { jobs: claimed, nextWakeMs, stalledRetried, stalledDead, paused: q.paused };
    },

    async renew(queue, leases, leaseMs) {
      const q = state(queue);
      const nowMs = clock.now();
      return leases.map(({ id, token }) => {
        if (!leased(q, id, token, nowMs)) return false;
        q.active.add(id, nowMs + leaseMs);
        return true;
      });
    },

    async progress(queue, id, token, progressJson) {
      const q = state(queue);
      const job = leased(q, id, token, clock.now());
      if (job) job.progressJson = progressJson;
      return job !== undefined;
    },

    async complete(queue: string, input: CompleteInput) {
      const q = state(queue);
      const nowMs = clock.now();
      const job = leased(q, input.id, input.token, nowMs);
      if (!job) return false;
      q.active.delete(input.id);
      if (input.keepCompletedMs <= 0) {
        q.jobs.delete(input.id);
        return true;
      }
      job.state = 'completed';
      job.token = '';
      job.attemptsMade += input.chargedAttempts;
      job.resultJson = input.resultJson;
      job.finishedAtMs = nowMs;
      q.completed.add(input.id, nowMs + input.keepCompletedMs);
      return true;
    },

    async settle(queue, completions, claim) {
      const completed: boolean[] = [];
      for (const input of completions) completed.push(await backend.complete(queue, input));
      return claim ? { completed, claimed: await backend.claim(queue, claim) } : { completed };
    },

    async fail(queue: string, input: FailInput) {
      const q = state(queue);
      const nowMs = clock.now();
      const job = leased(q, input.id, input.token, nowMs);
      if (!job) return 'lost';
      q.active.delete(input.id);
      job.token = '';
      job.attemptsMade += input.chargedAttempts;
      recordFailure(job, input.error, nowMs);
      if (input.retryDelayMs === null || job.attemptsMade >= job.attempts) {
        bury(q, job, nowMs);
        return 'dead';
      }
      schedule(q, job, nowMs, input.retryDelayMs);
      wake(q);
      return 'retried';
    },

    async release(queue, id, token) {
      const q = state(queue);
      const job = leased(q, id, token, clock.now());
      if (!job) return false;
      q.active.delete(id);
      job.token = '';
      job.attemptsMade = Math.max(0, job.attemptsMade - 1);
      makeReady(q, job, job.readyAtMs);
      wake(q);
      return true;
    },

    async setPaused(queue, paused) {
      const q = state(queue);
      q.paused = paused;
      if (!paused) wake(q);
    },

    async getJob(queue, id) {
      const q = state(queue);
      expire(q, clock.now());
      const job = q.jobs.get(id);
      return job ? snapshot(job) : undefined;
    },

    async counts(queue): Promise<JobCounts> {
      const q = state(queue);
      return {
        ready: q.ready.size,
        delayed: q.delayed.size,
        active: q.active.size,
        dead: q.dead.size,
        paused: q.paused,
      };
    },

    async lagMs(queue) {
      const q = state(queue);
      const nowMs = clock.now();
      const candidates: number[] = [];
      const head = q.ready.first();
      if (head && head.score < PRIORITY_FACTOR) candidates.push(head.score);
      const aged = q.age.first();
      if (aged) candidates.push(aged.score);
      const delayed = q.delayed.first();
      if (delayed && delayed.score <= nowMs) candidates.push(delayed.score);
      return candidates.length ? Math.max(0, nowMs - Math.min(...candidates)) : 0;
    },

    async listDead(queue, offset, limit) {
      const q = state(queue);
      return q.dead.range(offset, limit).map((id) => snapshot(q.jobs.get(id)!));
    },

    async redrive(queue, ids) {
      const q = state(queue);
      const nowMs = clock.now();
      let moved = 0;
      for (const id of ids) {
        const job = q.jobs.get(id);
        if (!job || !q.dead.delete(id)) continue;
        job.attemptsMade = 0;
        job.finishedAtMs = undefined;
        makeReady(q, job, nowMs);
        moved++;
      }
      if (moved) wake(q);
      return moved;
    },

    async purgeDead(queue, limit) {
      const q = state(queue);
      const ids = q.dead.range(0, limit);
      for (const id of ids) {
        q.dead.delete(id);
        q.jobs.delete(id);
      }
      return ids.length;
    },

    waitForWork(queue, maxWaitMs, signal) {
      const q = state(queue);
      return new Promise<void>((resolve, reject) => {
        if (signal.aborted) {
          reject(signal.reason);
          return;
        }
        if (q.wakeMarker) {
          q.wakeMarker = false;
          resolve();
          return;
        }
        const timer = new AbortController();
        const done = () => {
          q.waiters.delete(done);
          signal.removeEventListener('abort', onAbort);
          timer.abort(CANCELLED);
          resolve();
        };
        const onAbort = () => {
          q.waiters.delete(done);
          timer.abort(CANCELLED);
          reject(signal.reason);
        };
        q.waiters.add(done);
        signal.addEventListener('abort', onAbort, { once: true });
        clock.sleep(maxWaitMs, timer.signal).then(done, () => {});
      });
    },

    async close() {
      for (const q of queues.values()) wake(q);
    },
  };
  return backend;
}
