/**
 * JobBackend contract: leases and fencing (timed leases only), at-most-once, per-attempt timeouts,
 * graceful shutdown and lag.
 */
import assert from 'node:assert/strict';
import { createWorker } from '../../jobs/index.js';
import {
  claimJobs,
  deadJob,
  EMPTY_COUNTS,
  type Env,
  eventually,
  quietWorker,
  type Suite,
  settle,
  untilState,
} from './jobs-env.js';

/** Registers the lease-expiry cases: they need `leases: 'timed'`. */
export function timedLeaseCases({ t, caps, pick, env }: Suite): void {
  if (caps.leases !== 'timed') return;
  // Wall time: leases long enough that a noisy machine does not expire them early.
  const leaseMs = pick(1000, 600);
  const pastLease = (e: Env) => e.time.advance(leaseMs + pick(1, 100));

  t.it(
    'an expired lease returns the job to the queue as a failed attempt, and the stale result is rejected',
    env(async (e) => {
      const q = e.queue();
      const { id } = await q.add('j', null, { attempts: 3, backoff: { type: 'fixed', delayMs: 0 } });
      const first = await claimJobs(e, q, 1, { leaseMs });
      const token = first.jobs[0]?.token ?? '';
      assert.equal(first.jobs[0]?.id, id);
      await pastLease(e);
      const second = await claimJobs(e, q, 1, { leaseMs });
      assert.equal(second.stalledRetried, 1);
      assert.equal(second.jobs[0]?.id, id);
      assert.equal(second.jobs[0]?.attemptsMade, 2);
      assert.equal(second.jobs[0]?.history[0]?.error.code, 'ERR_JOB_LEASE_EXPIRED');
      const stale = { id, token, resultJson: '1', chargedAttempts: 0, keepCompletedMs: 60_000 };
      assert.equal(await e.backend.complete(q.name, stale), false);
      const fresh = { ...stale, token: second.jobs[0]?.token ?? '' };
      assert.equal(await e.backend.complete(q.name, fresh), true);
      if (caps.lookup) assert.equal((await q.getJob(id))?.state, 'completed');
    }),
  );

  t.it(
    'a lease past its deadline rejects results even before any worker recovered it',
    env(async (e) => {
      const q = e.queue();
      const { id } = await q.add('j', null);
      const { jobs } = await claimJobs(e, q, 1, { leaseMs });
      const token = jobs[0]?.token ?? '';
      await pastLease(e);
      assert.deepEqual(await e.backend.renew(q.name, { leases: [{ id, token }], leaseMs }), [false]);
      if (caps.progress)
        assert.equal(await e.backend.progress(q.name, { id, token, progressJson: '1' }), false);
      const error = { message: 'x' };
      assert.equal(
        await e.backend.fail(q.name, { id, token, error, retryDelayMs: 0, chargedAttempts: 0 }),
        'lost',
      );
      assert.equal(await e.backend.release(q.name, { id, token }), false);
    }),
  );

  t.it(
    'renewing keeps the lease; a wrong token changes nothing',
    env(async (e) => {
      const q = e.queue();
      const { id } = await q.add('j', null);
      const { jobs } = await claimJobs(e, q, 1, { leaseMs });
      const token = jobs[0]?.token ?? '';
      // Most of the lease, twice: only the renewal in between keeps it.
      const mostMs = pick(800, 400);
      await e.time.advance(mostMs);
      assert.deepEqual(await e.backend.renew(q.name, { leases: [{ id, token }], leaseMs }), [true]);
      assert.deepEqual(await e.backend.renew(q.name, { leases: [{ id, token: 'nope' }], leaseMs }), [false]);
      await e.time.advance(mostMs);
      const again = await claimJobs(e, q, 0, { count: 1, leaseMs });
      assert.equal(again.stalledRetried + again.stalledDead, 0);
      assert.equal(again.jobs.length, 0);
      const done = { id, token, resultJson: 'null', chargedAttempts: 0, keepCompletedMs: 0 };
      assert.equal(await e.backend.complete(q.name, { ...done, token: 'nope' }), false);
      assert.equal(await e.backend.complete(q.name, done), true);
      if (caps.lookup) assert.equal(await q.getJob(id), undefined);
    }),
  );

  t.it(
    'a lease expiring on the last attempt dead-letters the job',
    env(async (e) => {
      const q = e.queue();
      const { id } = await q.add('j', null, { attempts: 1 });
      await claimJobs(e, q, 1, { leaseMs });
      await pastLease(e);
      const next = await claimJobs(e, q, 0, { count: 1, leaseMs });
      assert.equal(next.stalledDead, 1);
      const job = await deadJob(e, q, id);
      if (job) assert.equal(job.error?.code, 'ERR_JOB_LEASE_EXPIRED');
      assert.equal((await q.counts()).dead, 1);
    }),
  );
}

/** Registers the delivery, timeout and shutdown cases (every backend). */
export function attemptCases({ t, caps, wall, pick, env }: Suite): void {
  t.it(
    'at-most-once: the job leaves the backend when claimed',
    env(async (e) => {
      const q = e.queue();
      const { id } = await q.add('ping', null, { delivery: 'at-most-once' });
      const { jobs } = await claimJobs(e, q);
      assert.equal(jobs[0]?.id, id);
      assert.equal(jobs[0]?.token, '');
      if (caps.lookup) assert.equal(await q.getJob(id), undefined);
      assert.deepEqual(await q.counts(), EMPTY_COUNTS);
      await e.time.advance(pick(60_000, 300));
      const later = await e.backend.claim(q.name, { count: 1, leaseMs: 1000, token: 'late' });
      assert.equal(later.jobs.length, 0);
    }),
  );

  t.it(
    'a handler that never settles is timed out: its signal aborts and the attempt fails',
    env(async (e) => {
      const q = e.queue();
      let reason: unknown;
      let started = false;
      const worker = createWorker(
        q,
        (_job, { signal }) =>
          new Promise(() => {
            started = true;
            signal.addEventListener('abort', () => {
              reason = signal.reason;
            });
          }),
        quietWorker({ timeoutMs: 60_000 }),
      );
      const timeoutMs = pick(2000, 200);
      const { id } = await q.add('stuck', null, { attempts: 1, timeoutMs });
      await eventually('started', () => started);
      if (caps.lookup) assert.equal((await q.getJob(id))?.state, 'active');
      if (!wall) await e.time.advance(timeoutMs);
      await untilState(e, q, id, 'dead');
      assert.equal((reason as { code?: string }).code, 'ERR_JOB_TIMEOUT');
      const job = await deadJob(e, q, id);
      if (job) assert.equal(job.error?.code, 'ERR_JOB_TIMEOUT');
      assert.equal(worker.inFlight(), 0);
      await worker.close();
    }),
  );

  t.it(
    'graceful shutdown waits, then aborts and releases the lease without charging the attempt',
    env(async (e) => {
      const q = e.queue();
      let reason: unknown;
      let started = false;
      const worker = createWorker(
        q,
        (_job, { signal }) =>
          new Promise(() => {
            started = true;
            signal.addEventListener('abort', () => {
              reason = signal.reason;
            });
          }),
        quietWorker({ timeoutMs: caps.maxAttemptMs ?? 3_600_000 }),
      );
      const { id } = await q.add('long', null);
      await eventually('started', () => started);
      const closed = worker.close({ timeoutMs: pick(5000, 300) });
      await settle(20);
      if (caps.lookup) assert.equal((await q.getJob(id))?.state, 'active');
      else assert.equal((await q.counts()).active, 1);
      let finished = false;
      void closed.then(() => {
        finished = true;
      });
      await eventually('closed after its deadline', () => {
        e.time.tick(1000);
        return finished;
      });
      assert.equal((reason as { code?: string }).code, 'ERR_WORKER_CLOSED');
      if (caps.lookup) {
        const job = await q.getJob(id);
        assert.equal(job?.state, 'ready');
        assert.equal(job?.attemptsMade, 0);
      }
      const [back] = (await claimJobs(e, q)).jobs;
      assert.equal(back?.id, id);
      assert.equal(back?.attemptsMade, 1);
    }),
  );
}
