/**
 * The JobBackend contract: the semantics every job backend must have (leases, fencing, budgets, DLQ,
 * idempotency, depth limits, lag), checked through the public queue and worker and through the port.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { ManualClock } from '../../core/manual-clock.js';
import { createMemoryMetrics } from '../../core/memory-metrics.js';
import {
  createJobQueue,
  createWorker,
  type JobBackend,
  type JobContext,
  type JobQueue,
  type JobQueueOptions,
  NonRetryableError,
  type WorkerOptions,
} from '../../jobs/index.js';
import { type ContractOptions, type ContractTestApi, withFixture } from './test-api.js';

/**
 * Options of {@link jobBackendContract}: `setup(clock)` builds a fresh backend whose time is `clock`
 * (memory: its `clock`; Redis: the `clock` option) and returns it as `subject`.
 */
export type JobBackendContractOptions = ContractOptions<JobBackend>;

/** Waits (in real time) until `check` passes; for effects of background workers. Not a timing assertion. */
async function eventually(what: string, check: () => boolean | Promise<boolean>, limitMs = 10_000) {
  const deadline = Date.now() + limitMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) assert.fail(`never happened: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const quietWorker = (extra: WorkerOptions = {}): WorkerOptions => ({
  sampleIntervalMs: 0,
  onError: () => {},
  ...extra,
});

/**
 * The JobBackend contract: run it against every job backend (ours or yours). It drives time with the
 * subject's manual clock, so it never sleeps for leases, delays or backoffs.
 *
 * @example
 * ```ts
 * import { describe, it } from 'vitest';
 * jobBackendContract({ describe, it }, {
 *   name: 'memory',
 *   setup: (clock) => ({ subject: createMemoryJobBackend({ clock }) }),
 * });
 * ```
 */
export function jobBackendContract(t: ContractTestApi, options: JobBackendContractOptions): void {
  interface Env {
    readonly s: { readonly backend: JobBackend; readonly clock: ManualClock };
    readonly metrics: ReturnType<typeof createMemoryMetrics>;
    queue(extra?: Omit<JobQueueOptions, 'name' | 'backend' | 'clock'>): JobQueue;
  }
  const withEnv = (body: (env: Env) => Promise<void>) =>
    withFixture(options.setup, async (backend, clock) => {
      const metrics = createMemoryMetrics();
      const queues: JobQueue[] = [];
      try {
        await body({
          s: { backend, clock },
          metrics,
          queue(extra = {}) {
            const q = createJobQueue({
              name: `contract-${randomBytes(4).toString('hex')}`,
              backend,
              clock,
              metrics,
              ...extra,
            });
            queues.push(q);
            return q;
          },
        });
      } finally {
        for (const q of queues) await q.close();
        await backend.close?.();
      }
    });
  const claim = (s: Env['s'], queue: JobQueue, leaseMs = 1000, count = 1) =>
    s.backend.claim(queue.name, { count, leaseMs, token: `t${randomBytes(3).toString('hex')}` });

  t.describe(`JobBackend contract: ${options.name}`, () => {
    t.it(
      'add stores a ready job readable by getJob',
      withEnv(async ({ queue }) => {
        const q = queue();
        const added = await q.add('email', { to: 'a@example.com', n: [1, 2] });
        assert.equal(added.duplicate, false);
        const job = await q.getJob(added.id);
        assert.ok(job);
        assert.equal(job.type, 'email');
        assert.deepEqual(job.payload, { to: 'a@example.com', n: [1, 2] });
        assert.equal(job.state, 'ready');
        assert.equal(job.attempts, 3);
        assert.equal(job.attemptsMade, 0);
        assert.deepEqual(await q.counts(), { ready: 1, delayed: 0, active: 0, dead: 0, paused: false });
      }),
    );

    t.it(
      'a worker runs a job and records its result and progress',
      withEnv(async ({ queue, metrics }) => {
        const q = queue();
        const { id } = await q.add('sum', { a: 2, b: 3 });
        const worker = createWorker<{ a: number; b: number }>(
          q,
          async (job, ctx) => {
            await ctx.progress({ pct: 50 });
            return job.payload.a + job.payload.b;
          },
          quietWorker(),
        );
        await eventually('job completed', async () => (await q.getJob(id))?.state === 'completed');
        const job = await q.getJob(id);
        assert.equal(job?.result, 5);
        assert.deepEqual(job?.progress, { pct: 50 });
        await worker.close();
        assert.equal(metrics.counterValue('jobs.processed', { queue: q.name, outcome: 'completed' }), 1);
      }),
    );

    t.it(
      'a delayed job starts only when due, and an idle worker wakes for it',
      withEnv(async ({ s, queue }) => {
        const q = queue();
        const started: string[] = [];
        const worker = createWorker(q, async (job) => void started.push(job.id), quietWorker());
        const { id } = await q.add('later', null, { delayMs: 60_000 });
        assert.equal((await q.getJob(id))?.state, 'delayed');
        await new Promise((r) => setTimeout(r, 30));
        s.clock.advance(59_999);
        await new Promise((r) => setTimeout(r, 30));
        assert.deepEqual(started, []);
        s.clock.advance(1);
        await eventually('delayed job ran', () => started.length === 1);
        await worker.close();
      }),
    );

    t.it(
      'runAtMs in the past runs at once',
      withEnv(async ({ s, queue }) => {
        const q = queue();
        const { id } = await q.add('now', null, { runAtMs: s.clock.now() - 1000 });
        assert.equal((await q.getJob(id))?.state, 'ready');
      }),
    );

    t.it(
      'claims by priority (0 first), then in order of arrival',
      withEnv(async ({ s, queue }) => {
        const q = queue();
        const a = await q.add('j', 'a', { priority: 5 });
        const b = await q.add('j', 'b');
        const c = await q.add('j', 'c', { priority: 1 });
        const d = await q.add('j', 'd');
        const claimed = await claim(s, q, 1000, 10);
        assert.deepEqual(
          claimed.jobs.map((j) => j.id),
          [b.id, d.id, c.id, a.id],
        );
      }),
    );

    t.it(
      'a failed attempt is retried after its backoff, and the history records it',
      withEnv(async ({ s, queue, metrics }) => {
        const q = queue();
        let calls = 0;
        const worker = createWorker(
          q,
          async () => {
            calls++;
            if (calls === 1) throw Object.assign(new Error('smtp 451'), { code: 'E451' });
            return 'sent';
          },
          quietWorker(),
        );
        const { id } = await q.add('mail', null, { attempts: 3, backoff: { type: 'fixed', delayMs: 5000 } });
        await eventually('first attempt failed', async () => (await q.getJob(id))?.state === 'delayed');
        s.clock.advance(5000);
        await eventually('retried and completed', async () => (await q.getJob(id))?.state === 'completed');
        const job = await q.getJob(id);
        assert.equal(job?.attemptsMade, 2);
        assert.equal(job?.history.length, 1);
        assert.equal(job?.history[0]?.error.code, 'E451');
        assert.equal(metrics.counterValue('jobs.processed', { queue: q.name, outcome: 'retried' }), 1);
        await worker.close();
      }),
    );

    t.it(
      'after its budget a job goes to the dead-letter queue with its error and attempt history',
      withEnv(async ({ queue, metrics }) => {
        const q = queue();
        const worker = createWorker(
          q,
          async () => {
            throw new Error('provider down');
          },
          quietWorker(),
        );
        const { id } = await q.add('mail', null, { attempts: 2, backoff: { type: 'fixed', delayMs: 0 } });
        await eventually('dead', async () => (await q.getJob(id))?.state === 'dead');
        const [dead] = await q.deadLetters.list();
        assert.equal(dead?.id, id);
        assert.equal(dead?.attemptsMade, 2);
        assert.equal(dead?.error?.message, 'provider down');
        assert.ok(dead?.error?.stack?.includes('provider down'));
        assert.deepEqual(
          dead?.history.map((h) => h.attempt),
          [1, 2],
        );
        assert.equal(metrics.counterValue('jobs.processed', { queue: q.name, outcome: 'dead' }), 1);
        assert.equal(metrics.counterValue('jobs.processed', { queue: q.name, outcome: 'failed' }), 2);
        await worker.close();
      }),
    );

    t.it(
      'a NonRetryableError dead-letters at once',
      withEnv(async ({ queue }) => {
        const q = queue();
        const worker = createWorker(
          q,
          async () => {
            throw new NonRetryableError('no recipient');
          },
          quietWorker(),
        );
        const { id } = await q.add('mail', null, { attempts: 5 });
        await eventually('dead', async () => (await q.getJob(id))?.state === 'dead');
        const job = await q.getJob(id);
        assert.equal(job?.attemptsMade, 1);
        assert.equal(job?.error?.code, 'ERR_JOB_NON_RETRYABLE');
        await worker.close();
      }),
    );

    t.it(
      'in-process retries through ctx.retry are charged to the same budget',
      withEnv(async ({ queue }) => {
        const q = queue();
        let calls = 0;
        const worker = createWorker(
          q,
          (_job, ctx: JobContext) =>
            ctx.retry(
              () => {
                calls++;
                if (calls < 3) throw new Error('flaky');
                return 'ok';
              },
              { minTimeout: 1, maxTimeout: 1 },
            ),
          quietWorker(),
        );
        const { id } = await q.add('flaky', null, { attempts: 3 });
        await eventually('completed', async () => (await q.getJob(id))?.state === 'completed');
        assert.equal((await q.getJob(id))?.attemptsMade, 3);
        await worker.close();
      }),
    );

    t.it(
      'an idempotency key returns the first job within its window, and a new one after',
      withEnv(async ({ s, queue }) => {
        const q = queue({ idempotencyWindowMs: 10_000 });
        const first = await q.add('charge', { cents: 100 }, { idempotencyKey: 'order-1' });
        const second = await q.add('charge', { cents: 999 }, { idempotencyKey: 'order-1' });
        assert.equal(second.id, first.id);
        assert.equal(second.duplicate, true);
        assert.equal((await q.counts()).ready, 1);
        s.clock.advance(10_000);
        const third = await q.add('charge', { cents: 100 }, { idempotencyKey: 'order-1' });
        assert.notEqual(third.id, first.id);
        assert.equal(third.duplicate, false);
      }),
    );

    t.it(
      "maxDepth with overflow 'reject' throws QueueFullError and adds nothing, even in bulk",
      withEnv(async ({ queue }) => {
        const q = queue({ maxDepth: 2 });
        await q.add('j', 1);
        await assert.rejects(
          q.addBulk([
            { type: 'j', payload: 2 },
            { type: 'j', payload: 3 },
          ]),
          { code: 'ERR_QUEUE_FULL' },
        );
        assert.equal((await q.counts()).ready, 1);
        await q.add('j', 2);
        await assert.rejects(q.add('j', 3), { code: 'ERR_QUEUE_FULL', name: 'QueueFullError' });
        assert.equal((await q.counts()).ready, 2);
      }),
    );

    t.it(
      "overflow 'drop-oldest' deletes the head of the queue",
      withEnv(async ({ queue }) => {
        const q = queue({ maxDepth: 2, overflow: 'drop-oldest' });
        const a = await q.add('j', 'a');
        const b = await q.add('j', 'b');
        const c = await q.add('j', 'c');
        assert.equal(await q.getJob(a.id), undefined);
        assert.ok(await q.getJob(b.id));
        assert.ok(await q.getJob(c.id));
        assert.equal((await q.counts()).ready, 2);
      }),
    );

    t.it(
      "overflow 'dead-letter' sends the new job to the DLQ",
      withEnv(async ({ queue }) => {
        const q = queue({ maxDepth: 1, overflow: 'dead-letter' });
        await q.add('j', 'a');
        const b = await q.add('j', 'b');
        assert.equal(b.state, 'dead');
        const job = await q.getJob(b.id);
        assert.equal(job?.state, 'dead');
        assert.equal(job?.error?.code, 'ERR_QUEUE_FULL');
        assert.deepEqual(await q.counts(), { ready: 1, delayed: 0, active: 0, dead: 1, paused: false });
      }),
    );

    t.it(
      'an expired lease returns the job to the queue as a failed attempt, and the stale result is rejected',
      withEnv(async ({ s, queue }) => {
        const q = queue();
        const { id } = await q.add('j', null, { attempts: 3, backoff: { type: 'fixed', delayMs: 0 } });
        const first = await claim(s, q, 1000);
        const token = first.jobs[0]?.token ?? '';
        assert.equal(first.jobs[0]?.id, id);
        s.clock.advance(1001);
        const second = await claim(s, q, 1000);
        assert.equal(second.stalledRetried, 1);
        assert.equal(second.jobs[0]?.id, id);
        assert.equal(second.jobs[0]?.attemptsMade, 2);
        assert.equal(second.jobs[0]?.history[0]?.error.code, 'ERR_JOB_LEASE_EXPIRED');
        const stale = { id, token, resultJson: '1', chargedAttempts: 0, keepCompletedMs: 60_000 };
        assert.equal(await s.backend.complete(q.name, stale), false);
        const fresh = { ...stale, token: second.jobs[0]?.token ?? '' };
        assert.equal(await s.backend.complete(q.name, fresh), true);
        assert.equal((await q.getJob(id))?.state, 'completed');
      }),
    );

    t.it(
      'a lease past its deadline rejects results even before any worker recovered it',
      withEnv(async ({ s, queue }) => {
        const q = queue();
        const { id } = await q.add('j', null);
        const { jobs } = await claim(s, q, 1000);
        const token = jobs[0]?.token ?? '';
        s.clock.advance(1001);
        assert.deepEqual(await s.backend.renew(q.name, { leases: [{ id, token }], leaseMs: 1000 }), [false]);
        assert.equal(await s.backend.progress(q.name, { id, token, progressJson: '1' }), false);
        const error = { message: 'x' };
        assert.equal(
          await s.backend.fail(q.name, { id, token, error, retryDelayMs: 0, chargedAttempts: 0 }),
          'lost',
        );
        assert.equal(await s.backend.release(q.name, { id, token }), false);
      }),
    );

    t.it(
      'renewing keeps the lease; a wrong token changes nothing',
      withEnv(async ({ s, queue }) => {
        const q = queue();
        const { id } = await q.add('j', null);
        const { jobs } = await claim(s, q, 1000);
        const token = jobs[0]?.token ?? '';
        s.clock.advance(800);
        assert.deepEqual(await s.backend.renew(q.name, { leases: [{ id, token }], leaseMs: 1000 }), [true]);
        assert.deepEqual(await s.backend.renew(q.name, { leases: [{ id, token: 'nope' }], leaseMs: 1000 }), [
          false,
        ]);
        s.clock.advance(800);
        const again = await claim(s, q, 1000);
        assert.equal(again.stalledRetried + again.stalledDead, 0);
        assert.equal(again.jobs.length, 0);
        const done = { id, token, resultJson: 'null', chargedAttempts: 0, keepCompletedMs: 0 };
        assert.equal(await s.backend.complete(q.name, { ...done, token: 'nope' }), false);
        assert.equal(await s.backend.complete(q.name, done), true);
        assert.equal(await q.getJob(id), undefined);
      }),
    );

    t.it(
      'a lease expiring on the last attempt dead-letters the job',
      withEnv(async ({ s, queue }) => {
        const q = queue();
        const { id } = await q.add('j', null, { attempts: 1 });
        await claim(s, q, 1000);
        s.clock.advance(1001);
        const next = await claim(s, q, 1000);
        assert.equal(next.stalledDead, 1);
        const job = await q.getJob(id);
        assert.equal(job?.state, 'dead');
        assert.equal(job?.error?.code, 'ERR_JOB_LEASE_EXPIRED');
      }),
    );

    t.it(
      'at-most-once: the job leaves the backend when claimed',
      withEnv(async ({ s, queue }) => {
        const q = queue();
        const { id } = await q.add('ping', null, { delivery: 'at-most-once' });
        const { jobs } = await claim(s, q, 1000);
        assert.equal(jobs[0]?.id, id);
        assert.equal(jobs[0]?.token, '');
        assert.equal(await q.getJob(id), undefined);
        assert.deepEqual(await q.counts(), { ready: 0, delayed: 0, active: 0, dead: 0, paused: false });
        s.clock.advance(60_000);
        assert.equal((await claim(s, q)).jobs.length, 0);
      }),
    );

    t.it(
      'a handler that never settles is timed out: its signal aborts and the attempt fails',
      withEnv(async ({ s, queue }) => {
        const q = queue();
        let reason: unknown;
        const worker = createWorker(
          q,
          (_job, { signal }) =>
            new Promise(() => {
              signal.addEventListener('abort', () => {
                reason = signal.reason;
              });
            }),
          quietWorker({ timeoutMs: 60_000 }),
        );
        const { id } = await q.add('stuck', null, { attempts: 1, timeoutMs: 2000 });
        await eventually('started', async () => (await q.getJob(id))?.state === 'active');
        s.clock.advance(2000);
        await eventually('dead after timeout', async () => (await q.getJob(id))?.state === 'dead');
        assert.equal((reason as { code?: string }).code, 'ERR_JOB_TIMEOUT');
        assert.equal((await q.getJob(id))?.error?.code, 'ERR_JOB_TIMEOUT');
        assert.equal(worker.inFlight(), 0);
        await worker.close();
      }),
    );

    t.it(
      'graceful shutdown waits, then aborts and releases the lease without charging the attempt',
      withEnv(async ({ s, queue }) => {
        const q = queue();
        let reason: unknown;
        const worker = createWorker(
          q,
          (_job, { signal }) =>
            new Promise(() => {
              signal.addEventListener('abort', () => {
                reason = signal.reason;
              });
            }),
          quietWorker({ timeoutMs: 3_600_000 }),
        );
        const { id } = await q.add('long', null);
        await eventually('started', async () => (await q.getJob(id))?.state === 'active');
        const closed = worker.close({ timeoutMs: 5000 });
        await new Promise((r) => setTimeout(r, 20));
        assert.equal((await q.getJob(id))?.state, 'active');
        let finished = false;
        void closed.then(() => {
          finished = true;
        });
        await eventually('closed after its deadline', () => {
          s.clock.advance(1000);
          return finished;
        });
        assert.equal((reason as { code?: string }).code, 'ERR_WORKER_CLOSED');
        const job = await q.getJob(id);
        assert.equal(job?.state, 'ready');
        assert.equal(job?.attemptsMade, 0);
      }),
    );

    t.it(
      'a paused queue is not claimed; resume wakes workers',
      withEnv(async ({ queue }) => {
        const q = queue();
        await q.pause();
        const done: string[] = [];
        const worker = createWorker(q, async (job) => void done.push(job.id), quietWorker());
        const { id } = await q.add('j', null);
        await new Promise((r) => setTimeout(r, 50));
        assert.equal(done.length, 0);
        assert.equal((await q.counts()).paused, true);
        await q.resume();
        await eventually('ran after resume', () => done.includes(id));
        await worker.close();
      }),
    );

    t.it(
      'lag is the age of the oldest ready job, including prioritised and due delayed jobs',
      withEnv(async ({ s, queue, metrics }) => {
        const q = queue();
        assert.equal(await q.lagMs(), 0);
        await q.add('j', null, { priority: 7 });
        s.clock.advance(4000);
        await q.add('j', null);
        s.clock.advance(1000);
        assert.equal(await q.lagMs(), 5000);
        // the metric keeps its unit, seconds (declared on the instrument)
        assert.equal(metrics.gaugeValue('jobs.queue.lag', { queue: q.name }), 5);
        const q2 = queue();
        await q2.add('j', null, { delayMs: 1000 });
        assert.equal(await q2.lagMs(), 0);
        s.clock.advance(3000);
        assert.equal(await q2.lagMs(), 2000);
      }),
    );

    t.it(
      'dead letters: list, redrive (paced) with a fresh budget, purge',
      withEnv(async ({ s, queue }) => {
        const q = queue();
        const ids: string[] = [];
        for (let i = 0; i < 3; i++) {
          const { id } = await q.add('j', i, { attempts: 1 });
          ids.push(id);
          const { jobs } = await claim(s, q);
          const error = { message: `boom ${i}` };
          await s.backend.fail(q.name, {
            id,
            token: jobs[0]?.token ?? '',
            error,
            retryDelayMs: null,
            chargedAttempts: 0,
          });
        }
        assert.equal((await q.deadLetters.list()).length, 3);
        assert.equal(await q.deadLetters.redrive([ids[0]!]), 1);
        const back = await q.getJob(ids[0]!);
        assert.equal(back?.state, 'ready');
        assert.equal(back?.attemptsMade, 0);
        const paced = q.deadLetters.redrive('all', { ratePerSec: 1 });
        let moved: number | undefined;
        void paced.then((n) => {
          moved = n;
        });
        await eventually('paced redrive finished', () => {
          s.clock.advance(1000);
          return moved !== undefined;
        });
        assert.equal(moved, 2);
        assert.equal((await q.counts()).ready, 3);
        const { jobs } = await claim(s, q);
        const error = { message: 'again' };
        await s.backend.fail(q.name, {
          id: jobs[0]!.id,
          token: jobs[0]!.token,
          error,
          retryDelayMs: null,
          chargedAttempts: 0,
        });
        assert.equal(await q.deadLetters.purge(), 1);
        assert.equal((await q.counts()).dead, 0);
        assert.equal(await q.getJob(jobs[0]!.id), undefined);
      }),
    );

    t.it(
      'a worker runs from a wrapped queue (a spread copy or a Proxy): only the public surface is used',
      withEnv(async ({ queue }) => {
        const q = queue();
        const spread = { ...q };
        const proxy = new Proxy(q, {});
        const done: string[] = [];
        const workers = [spread, proxy].map((wrapped) =>
          createWorker(wrapped, async (job) => void done.push(job.id), quietWorker()),
        );
        const a = await spread.add('j', 1);
        const b = await proxy.add('j', 2);
        await eventually('both ran', () => done.includes(a.id) && done.includes(b.id));
        for (const w of workers) await w.close();
      }),
    );

    t.it(
      "backoff { type: 'custom' } is resolved by the worker's `backoff` option",
      withEnv(async ({ s, queue }) => {
        const q = queue();
        const asked: [number, string][] = [];
        let calls = 0;
        const worker = createWorker(
          q,
          async () => {
            calls++;
            if (calls === 1) throw new Error('try later');
          },
          quietWorker({
            backoff: (attempt, _error, job) => {
              asked.push([attempt, job.type]);
              return 4000;
            },
          }),
        );
        const { id } = await q.add('custom', null, { attempts: 2, backoff: { type: 'custom' } });
        await eventually('retry scheduled', async () => (await q.getJob(id))?.state === 'delayed');
        assert.deepEqual(asked, [[1, 'custom']]);
        assert.equal((await q.getJob(id))?.readyAtMs, s.clock.now() + 4000);
        s.clock.advance(4000);
        await eventually('completed', async () => (await q.getJob(id))?.state === 'completed');
        await worker.close();
      }),
    );

    t.it(
      "backoff { type: 'custom' } on a worker without `backoff` dead-letters loudly (ERR_JOB_BACKOFF_UNRESOLVED)",
      withEnv(async ({ queue }) => {
        const q = queue();
        const reported: unknown[] = [];
        const worker = createWorker(
          q,
          async () => {
            throw new Error('smtp 451');
          },
          quietWorker({ onError: (error) => reported.push(error) }),
        );
        const { id } = await q.add('custom', null, { attempts: 3, backoff: { type: 'custom' } });
        await eventually('dead', async () => (await q.getJob(id))?.state === 'dead');
        const job = await q.getJob(id);
        assert.equal(job?.attemptsMade, 1);
        assert.equal(job?.error?.code, 'ERR_JOB_BACKOFF_UNRESOLVED');
        assert.ok(job?.error?.message.includes('smtp 451'));
        assert.equal((reported[0] as { code?: string }).code, 'ERR_JOB_BACKOFF_UNRESOLVED');
        await worker.close();
      }),
    );

    t.it(
      'a function backoff is refused at add (it could not run in another process): nothing is written',
      withEnv(async ({ queue }) => {
        const q = queue();
        const backoff = (() => 10) as unknown as { type: 'custom' };
        await assert.rejects(q.add('j', null, { backoff }), { code: 'ERR_INVALID_ARGUMENT' });
        assert.deepEqual(await q.counts(), { ready: 0, delayed: 0, active: 0, dead: 0, paused: false });
      }),
    );

    t.it(
      'addBulk adds all jobs in one step, in order',
      withEnv(async ({ s, queue }) => {
        const q = queue();
        const added = await q.addBulk(Array.from({ length: 50 }, (_, i) => ({ type: 'j', payload: i })));
        assert.equal(added.length, 50);
        const { jobs } = await claim(s, q, 1000, 50);
        assert.deepEqual(
          jobs.map((j) => JSON.parse(j.payloadJson)),
          Array.from({ length: 50 }, (_, i) => i),
        );
      }),
    );
  });
}
