/**
 * One queue of the memory backend: the same sorted sets as the Redis backend (ready by priority then
 * age, delayed, leases, dead, completed by expiry) and the same transitions, under the time it is given.
 * Every method runs synchronously, which makes it atomic like a Lua script.
 */
import type { Clock } from '../core/clock.js';
import { backoffDelayMs } from './backoff.js';
import {
  HISTORY_LIMIT,
  LEASE_EXPIRED_ERROR,
  PRIORITY_FACTOR,
  PROMOTE_BATCH,
  QUEUE_FULL_ERROR,
  STALL_BATCH,
} from './constants.js';
import { SortedSet } from './sorted-set.js';
import type {
  AddBatchResult,
  AddRequest,
  AttemptRecord,
  ClaimedJob,
  ClaimRequest,
  ClaimResult,
  CompleteInput,
  FailInput,
  FailOutcome,
  JobCounts,
  JobError,
  JobRecord,
  LeaseRef,
  NewJob,
  WaitForWorkRequest,
} from './types.js';

type MutableJob = {
  -readonly [K in keyof JobRecord]: JobRecord[K];
} & { token: string; startedAtMs: number; history: AttemptRecord[] };

type AddStatus = AddBatchResult['jobs'][number]['status'];

/** Reason for cancelling internal timers: preallocated, because `abort()` without one builds a DOMException. */
const CANCELLED = new Error('cancelled');

const snapshot = (job: MutableJob): JobRecord => {
  const { token: _token, startedAtMs: _started, ...record } = job;
  return { ...record, history: [...job.history] };
};

const newRecord = (input: NewJob, nowMs: number): MutableJob => ({
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
});

/** The state and transitions of one queue. */
export class MemoryQueue {
  private readonly jobs = new Map<string, MutableJob>();
  private readonly ready = new SortedSet();
  /** Prioritised ready jobs by ready time, so lag sees them too. */
  private readonly age = new SortedSet();
  private readonly delayed = new SortedSet();
  /** Leased jobs by lease deadline. */
  private readonly active = new SortedSet();
  private readonly dead = new SortedSet();
  /** Completed jobs by expiry. */
  private readonly completed = new SortedSet();
  private readonly idempotency = new Map<string, string>();
  /** Idempotency keys by expiry, so expiring them costs only what expired. */
  private readonly idempotencyExpiry = new SortedSet();
  private readonly waiters = new Set<() => void>();
  private wakeMarker = false;
  private paused = false;

  /** `random` in [0, 1): jitter of the backoff of expired leases. */
  constructor(private readonly random: () => number) {}

  /**
   * Like the Redis wake list: with nobody waiting, a marker is kept so the next wait returns at once
   * (a worker between its claim and its wait must not miss the add).
   */
  wake(): void {
    if (this.waiters.size === 0) this.wakeMarker = true;
    for (const waiter of [...this.waiters]) waiter();
  }

  /** Forgets completed jobs and idempotency keys whose time is up. */
  private expire(nowMs: number): void {
    for (const id of this.completed.upTo(nowMs, Number.MAX_SAFE_INTEGER)) {
      this.completed.delete(id);
      this.jobs.delete(id);
    }
    for (const key of this.idempotencyExpiry.upTo(nowMs, Number.MAX_SAFE_INTEGER)) {
      this.idempotencyExpiry.delete(key);
      this.idempotency.delete(key);
    }
  }

  private makeReady(job: MutableJob, readyAtMs: number): void {
    job.state = 'ready';
    job.readyAtMs = readyAtMs;
    this.ready.add(job.id, job.priority * PRIORITY_FACTOR + readyAtMs);
    if (job.priority > 0) this.age.add(job.id, readyAtMs);
  }

  private schedule(job: MutableJob, nowMs: number, delayMs: number): void {
    if (delayMs <= 0) {
      this.makeReady(job, nowMs);
      return;
    }
    job.state = 'delayed';
    job.readyAtMs = nowMs + delayMs;
    this.delayed.add(job.id, job.readyAtMs);
  }

  private bury(job: MutableJob, nowMs: number): void {
    job.state = 'dead';
    job.finishedAtMs = nowMs;
    job.token = '';
    this.dead.add(job.id, nowMs);
  }

  private removeWaiting(id: string): void {
    this.ready.delete(id);
    this.age.delete(id);
    this.delayed.delete(id);
  }

  private recordFailure(job: MutableJob, error: JobError, nowMs: number): void {
    job.error = error;
    job.history.push({ attempt: job.attemptsMade, startedAtMs: job.startedAtMs, endedAtMs: nowMs, error });
    if (job.history.length > HISTORY_LIMIT) job.history.splice(0, job.history.length - HISTORY_LIMIT);
  }

  /** The job if `token` still holds an unexpired lease on it. */
  private leased({ id, token }: LeaseRef, nowMs: number): MutableJob | undefined {
    const job = this.jobs.get(id);
    const leaseUntilMs = this.active.score(id);
    if (!job || token === '' || job.token !== token || leaseUntilMs === undefined) return undefined;
    return leaseUntilMs >= nowMs ? job : undefined;
  }

  /** Inserts a batch; with `reject` over `maxDepth` nothing is written. */
  add({ jobs, limits }: AddRequest, nowMs: number): AddBatchResult {
    this.expire(nowMs);
    const fresh = jobs.filter((j) => !(j.idempotencyKey && this.idempotency.has(j.idempotencyKey)));
    // Depth check first, for the whole batch: with 'reject' nothing is written.
    const depth = this.ready.size + this.delayed.size;
    const overBy = limits.maxDepth > 0 ? depth + fresh.length - limits.maxDepth : 0;
    if (overBy > 0 && limits.overflow === 'reject') return { rejected: true, dropped: 0, jobs: [] };
    const results: { id: string; status: AddStatus }[] = [];
    let dropped = 0;
    let room = limits.maxDepth > 0 ? Math.max(0, limits.maxDepth - depth) : Number.POSITIVE_INFINITY;
    for (const input of jobs) {
      const known = input.idempotencyKey ? this.idempotency.get(input.idempotencyKey) : undefined;
      if (known !== undefined) {
        results.push({ id: known, status: 'duplicate' });
        continue;
      }
      const status = this.insert(
        input,
        nowMs,
        limits.idempotencyWindowMs,
        room > 0 ? 'room' : limits.overflow,
      );
      if (status === 'dropped-one') dropped++;
      if (room > 0) room--;
      results.push({ id: input.id, status: status === 'dead' ? 'dead' : 'added' });
    }
    this.wake();
    return { rejected: false, dropped, jobs: results };
  }

  /** Inserts one new job; `space` says whether it fits or which overflow policy applies. */
  private insert(
    input: NewJob,
    nowMs: number,
    windowMs: number,
    space: 'room' | 'drop-oldest' | 'dead-letter' | 'reject',
  ): 'added' | 'dropped-one' | 'dead' {
    const job = newRecord(input, nowMs);
    if (input.idempotencyKey) {
      this.idempotencyExpiry.add(input.idempotencyKey, nowMs + windowMs);
      this.idempotency.set(input.idempotencyKey, input.id);
    }
    this.jobs.set(job.id, job);
    if (space === 'dead-letter') {
      job.startedAtMs = nowMs; // its history entry spans the add, as in Lua (not epoch 0)
      this.recordFailure(job, QUEUE_FULL_ERROR, nowMs);
      this.bury(job, nowMs);
      return 'dead';
    }
    const droppedOne = space === 'drop-oldest' && this.dropOldest();
    this.schedule(job, nowMs, input.delayMs);
    return droppedOne ? 'dropped-one' : 'added';
  }

  /** Deletes the head of the queue (ready first, then delayed); false when there is none. */
  private dropOldest(): boolean {
    const head = this.ready.first()?.member ?? this.delayed.first()?.member;
    if (head === undefined) return false;
    this.removeWaiting(head);
    this.jobs.delete(head);
    return true;
  }

  /** Promotes due delayed jobs, recovers expired leases, then leases up to `count` ready jobs. */
  claim(request: ClaimRequest, nowMs: number): ClaimResult {
    this.expire(nowMs);
    this.promoteDue(nowMs);
    const { stalledRetried, stalledDead } = this.recoverExpired(nowMs);
    const jobs = this.paused ? [] : this.leaseNext(request, nowMs);
    if (stalledRetried > 0) this.wake();
    // Like the Lua claim: only a claim that came up short (or a paused queue) says when to look again; a
    // full claim answers null, as its caller claims again at once.
    const nextWakeMs = this.paused || jobs.length < request.count ? this.nextWakeMs(nowMs) : null;
    return { jobs, nextWakeMs, stalledRetried, stalledDead, paused: this.paused };
  }

  private promoteDue(nowMs: number): void {
    for (const id of this.delayed.upTo(nowMs, PROMOTE_BATCH)) {
      const job = this.jobs.get(id)!;
      this.delayed.delete(id);
      this.makeReady(job, job.readyAtMs);
    }
  }

  private recoverExpired(nowMs: number): { stalledRetried: number; stalledDead: number } {
    let stalledRetried = 0;
    let stalledDead = 0;
    for (const id of this.active.upTo(nowMs - 1, STALL_BATCH)) {
      const job = this.jobs.get(id)!;
      this.active.delete(id);
      job.token = '';
      this.recordFailure(job, LEASE_EXPIRED_ERROR, nowMs);
      if (job.attemptsMade >= job.attempts) {
        this.bury(job, nowMs);
        stalledDead++;
        continue;
      }
      // A custom backoff runs in workers only: like the Lua formula, an expired lease of such a job is
      // retried at once (docs/jobs.md, "Retries and budgets").
      const delayMs =
        job.backoff.type === 'custom' ? 0 : backoffDelayMs(job.backoff, job.attemptsMade, this.random);
      this.schedule(job, nowMs, delayMs);
      stalledRetried++;
    }
    return { stalledRetried, stalledDead };
  }

  private leaseNext(request: ClaimRequest, nowMs: number): ClaimedJob[] {
    const claimed: ClaimedJob[] = [];
    for (const id of this.ready.range(0, request.count)) {
      const job = this.jobs.get(id)!;
      this.removeWaiting(id);
      job.attemptsMade++;
      job.startedAtMs = nowMs;
      job.state = 'active';
      if (job.delivery === 'at-most-once') {
        this.jobs.delete(id);
        claimed.push({ ...snapshot(job), token: '', startedAtMs: nowMs });
        continue;
      }
      job.token = `${request.token}:${claimed.length}`;
      this.active.add(id, nowMs + request.leaseMs);
      claimed.push({ ...snapshot(job), token: job.token, startedAtMs: nowMs });
    }
    return claimed;
  }

  private nextWakeMs(nowMs: number): number | null {
    const dueAt = [this.delayed.first()?.score, this.active.first()?.score].filter(
      (s): s is number => s !== undefined,
    );
    return dueAt.length ? Math.max(0, Math.min(...dueAt) - nowMs) : null;
  }

  /** Extends each lease still held. */
  renew(leases: readonly LeaseRef[], leaseMs: number, nowMs: number): boolean[] {
    return leases.map((lease) => {
      if (!this.leased(lease, nowMs)) return false;
      this.active.add(lease.id, nowMs + leaseMs);
      return true;
    });
  }

  /** Stores progress while the lease is held. */
  progress(lease: LeaseRef, progressJson: string, nowMs: number): boolean {
    const job = this.leased(lease, nowMs);
    if (job) job.progressJson = progressJson;
    return job !== undefined;
  }

  /** Completes one attempt; false when the lease was lost. */
  complete(input: CompleteInput, nowMs: number): boolean {
    const job = this.leased(input, nowMs);
    if (!job) return false;
    this.active.delete(input.id);
    if (input.keepCompletedMs <= 0) {
      this.jobs.delete(input.id);
      return true;
    }
    job.state = 'completed';
    job.token = '';
    job.attemptsMade += input.chargedAttempts;
    job.resultJson = input.resultJson;
    job.finishedAtMs = nowMs;
    this.completed.add(input.id, nowMs + input.keepCompletedMs);
    return true;
  }

  /** Records a failed attempt. */
  fail(input: FailInput, nowMs: number): FailOutcome {
    const job = this.leased(input, nowMs);
    if (!job) return 'lost';
    this.active.delete(input.id);
    job.token = '';
    job.attemptsMade += input.chargedAttempts;
    this.recordFailure(job, input.error, nowMs);
    if (input.retryDelayMs === null || job.attemptsMade >= job.attempts) {
      this.bury(job, nowMs);
      return 'dead';
    }
    this.schedule(job, nowMs, input.retryDelayMs);
    this.wake();
    return 'retried';
  }

  /** Puts a leased job back without charging the attempt. */
  release(lease: LeaseRef, nowMs: number): boolean {
    const job = this.leased(lease, nowMs);
    if (!job) return false;
    this.active.delete(lease.id);
    job.token = '';
    job.attemptsMade = Math.max(0, job.attemptsMade - 1);
    this.makeReady(job, job.readyAtMs);
    this.wake();
    return true;
  }

  /** Pauses or resumes claiming; resuming wakes waiters. */
  setPaused(paused: boolean): void {
    this.paused = paused;
    if (!paused) this.wake();
  }

  /** One job in any state. */
  getJob(id: string, nowMs: number): JobRecord | undefined {
    this.expire(nowMs);
    const job = this.jobs.get(id);
    return job ? snapshot(job) : undefined;
  }

  /** Jobs by state. */
  counts(): JobCounts {
    const { ready, delayed, active, dead, paused } = this;
    return { ready: ready.size, delayed: delayed.size, active: active.size, dead: dead.size, paused };
  }

  /** Age of the oldest job ready to run (a due delayed job counts before a claim promotes it). */
  lagMs(nowMs: number): number {
    const candidates: number[] = [];
    const head = this.ready.first();
    if (head && head.score < PRIORITY_FACTOR) candidates.push(head.score);
    const aged = this.age.first();
    if (aged) candidates.push(aged.score);
    const delayed = this.delayed.first();
    if (delayed && delayed.score <= nowMs) candidates.push(delayed.score);
    return candidates.length ? Math.max(0, nowMs - Math.min(...candidates)) : 0;
  }

  /** Dead jobs, oldest death first. */
  listDead(offset: number, limit: number): JobRecord[] {
    return this.dead.range(offset, limit).map((id) => snapshot(this.jobs.get(id)!));
  }

  /** Moves dead jobs back to ready with a fresh budget. */
  redrive(ids: readonly string[], nowMs: number): number {
    let moved = 0;
    for (const id of ids) {
      const job = this.jobs.get(id);
      if (!job || !this.dead.delete(id)) continue;
      job.attemptsMade = 0;
      job.finishedAtMs = undefined;
      this.makeReady(job, nowMs);
      moved++;
    }
    if (moved) this.wake();
    return moved;
  }

  /** Deletes up to `limit` dead jobs. */
  purgeDead(limit: number): number {
    const ids = this.dead.range(0, limit);
    for (const id of ids) {
      this.dead.delete(id);
      this.jobs.delete(id);
    }
    return ids.length;
  }

  /** Resolves on the next wake or after `maxWaitMs` on `clock`; rejects with the signal's reason. */
  waitForWork({ maxWaitMs, signal }: WaitForWorkRequest, clock: Clock): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      if (this.wakeMarker) {
        this.wakeMarker = false;
        return resolve();
      }
      const timer = new AbortController();
      const done = () => {
        this.waiters.delete(done);
        signal.removeEventListener('abort', onAbort);
        timer.abort(CANCELLED);
        resolve();
      };
      const onAbort = () => {
        this.waiters.delete(done);
        timer.abort(CANCELLED);
        reject(signal.reason);
      };
      this.waiters.add(done);
      signal.addEventListener('abort', onAbort, { once: true });
      clock.sleep(maxWaitMs, timer.signal).then(done, () => {});
    });
  }
}
