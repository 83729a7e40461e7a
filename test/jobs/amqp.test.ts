/**
 * The RabbitMQ job backend on the shared broker: adds after confirms, depth limits, the delay ladder,
 * retries and the DLQ, redrive, delivery modes, buffered jobs on shutdown.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import { isBackendPatternsError } from '../../src/core/errors.js';
import { type ClaimedJob, createWorker, NonRetryableError } from '../../src/jobs/index.js';
import { amqpTestScope, eventually } from './amqp-support.js';

const { fixture, queueOn } = amqpTestScope();
const quiet = { sampleIntervalMs: 0, onError: () => {} };
const lease = { leaseMs: 30_000, token: 't' };

describe('amqp job backend', () => {
  it('adds, claims and completes a job; counts come from the broker', async () => {
    const f = fixture();
    const q = queueOn(f);
    const { id } = await q.add('email', { to: 'a@example.com' });
    assert.deepEqual(await q.counts(), { ready: 1, delayed: 0, active: 0, dead: 0, paused: false });
    const { jobs } = await f.backend.claim(q.name, { count: 1, ...lease });
    assert.equal(jobs.length, 1);
    assert.equal(jobs[0]?.id, id);
    assert.equal(jobs[0]?.attemptsMade, 1);
    assert.deepEqual(JSON.parse(jobs[0]?.payloadJson ?? ''), { to: 'a@example.com' });
    assert.equal((await q.counts()).active, 1);
    const token = jobs[0]?.token ?? '';
    assert.deepEqual(await f.backend.renew(q.name, { leases: [{ id, token }], leaseMs: 1000 }), [true]);
    assert.equal(
      await f.backend.complete(q.name, {
        id,
        token,
        resultJson: '1',
        chargedAttempts: 0,
        keepCompletedMs: 0,
      }),
      true,
    );
    assert.equal(
      await f.backend.complete(q.name, {
        id,
        token,
        resultJson: '1',
        chargedAttempts: 0,
        keepCompletedMs: 0,
      }),
      false,
    );
    assert.deepEqual(await q.counts(), { ready: 0, delayed: 0, active: 0, dead: 0, paused: false });
  });

  it('a worker runs jobs end to end, bulk adds included', async () => {
    const f = fixture();
    const q = queueOn(f);
    await q.addBulk([1, 2, 3, 4, 5].map((n) => ({ type: 'n', payload: { n } })));
    const seen: number[] = [];
    const w = createWorker<{ n: number }>(q, async (job) => void seen.push(job.payload.n), {
      ...quiet,
      concurrency: 3,
    });
    await eventually('five jobs ran', () => seen.length === 5);
    await w.close();
    assert.deepEqual([...seen].sort(), [1, 2, 3, 4, 5]);
    assert.equal((await q.counts()).ready, 0);
  });

  it('a full queue rejects the add with QueueFullError and nothing consumable', async () => {
    const f = fixture({ maxDepth: 2 });
    const q = queueOn(f, f.queue(), { maxDepth: 2 });
    await q.add('a', 1);
    await q.add('a', 2);
    await assert.rejects(q.add('a', 3), (e) => isBackendPatternsError(e, 'ERR_QUEUE_FULL'));
    assert.equal((await q.counts()).ready, 2);
    const { jobs } = await f.backend.claim(q.name, { count: 10, ...lease });
    assert.deepEqual(jobs.map((j) => j.payloadJson).sort(), ['1', '2']);
  });

  it('a depth limit the backend was not given is refused as unsupported', async () => {
    const f = fixture();
    assert.throws(
      () => queueOn(f, f.queue(), { maxDepth: 5 }),
      (e) => isBackendPatternsError(e, 'ERR_UNSUPPORTED'),
    );
    const other = fixture({ maxDepth: 3 });
    const port = other.queue();
    const request = {
      jobs: [],
      limits: { maxDepth: 5, overflow: 'reject' as const, idempotencyWindowMs: 0 },
    };
    await assert.rejects(other.backend.add(port, request), (e) =>
      isBackendPatternsError(e, 'ERR_UNSUPPORTED'),
    );
  });

  it('a job released over its delivery limit is dead-lettered by the broker, with a history entry', async () => {
    const f = fixture({ deliveryLimit: 2 });
    const q = queueOn(f);
    const { id } = await q.add('poison', {});
    let deliveries = 0;
    await eventually('dead-lettered', async () => {
      const { jobs } = await f.backend.claim(q.name, { count: 1, ...lease });
      for (const job of jobs) {
        deliveries++;
        await f.backend.release(q.name, { id: job.id, token: job.token });
      }
      return (await q.counts()).dead === 1;
    });
    assert.equal(deliveries, 3); // the limit allows 2 redeliveries after the first
    const [dead] = await q.deadLetters.list();
    assert.equal(dead?.id, id);
    assert.equal(dead?.state, 'dead');
    assert.equal(dead?.error?.name, 'DeliveryLimitExceeded');
    assert.equal(dead?.history.at(-1)?.error.name, 'DeliveryLimitExceeded');
  });

  it('a delayed job goes through the ladder and arrives no earlier than its readyAtMs', async () => {
    const f = fixture({ delayStepsMs: [50, 1000] });
    const q = queueOn(f);
    const { id } = await q.add('later', {}, { delayMs: 150 });
    assert.equal((await q.counts()).delayed, 1);
    let arrived: { readyAtMs: number; startedAtMs: number; createdAtMs: number } | undefined;
    await eventually('delayed job arrived', async () => {
      const { jobs } = await f.backend.claim(q.name, { count: 1, ...lease });
      if (jobs[0]) arrived = jobs[0];
      return arrived !== undefined;
    });
    assert.ok(arrived);
    assert.equal(arrived.readyAtMs - arrived.createdAtMs, 150);
    assert.ok(arrived.startedAtMs >= arrived.readyAtMs, 'handed out before its readyAtMs');
    assert.equal((await q.counts()).delayed, 0);
    assert.ok(id);
  });

  it('backoff retries go through the ladder and the dead job carries the history', async () => {
    const f = fixture({ delayStepsMs: [50] });
    const q = queueOn(f);
    const { id } = await q.add('flaky', {}, { attempts: 3, backoff: { type: 'fixed', delayMs: 60 } });
    let calls = 0;
    const w = createWorker(
      q,
      async () => {
        calls++;
        throw new Error(`boom ${calls}`);
      },
      quiet,
    );
    await eventually('dead after 3 attempts', async () => (await q.counts()).dead === 1);
    await w.close();
    assert.equal(calls, 3);
    const [dead] = await q.deadLetters.list();
    assert.equal(dead?.id, id);
    assert.equal(dead?.attemptsMade, 3);
    assert.deepEqual(
      dead?.history.map((h) => [h.attempt, h.error.message]),
      [
        [1, 'boom 1'],
        [2, 'boom 2'],
        [3, 'boom 3'],
      ],
    );
    for (const [a, b] of [
      [dead?.history[0], dead?.history[1]],
      [dead?.history[1], dead?.history[2]],
    ]) {
      assert.ok(a && b && b.startedAtMs - a.endedAtMs >= 60, 'a retry ran before its backoff');
    }
  });

  it('listDead pages in order without consuming; redrive with a rate gives a fresh budget', async () => {
    const f = fixture();
    const q = queueOn(f);
    for (let n = 0; n < 4; n++) await q.add('bad', { n });
    const w = createWorker(
      q,
      async () => {
        throw new NonRetryableError('no');
      },
      quiet,
    );
    await eventually('four dead', async () => (await q.counts()).dead === 4);
    await w.close();
    const all = await q.deadLetters.list();
    assert.equal(all.length, 4);
    const page = await q.deadLetters.list({ offset: 1, limit: 2 });
    assert.deepEqual(
      page.map((j) => j.id),
      all.slice(1, 3).map((j) => j.id),
    );
    assert.deepEqual(
      (await q.deadLetters.list()).map((j) => j.id),
      all.map((j) => j.id),
    );
    const moved = await q.deadLetters.redrive([all[0]?.id ?? '', all[2]?.id ?? ''], { ratePerSec: 100 });
    assert.equal(moved, 2);
    assert.equal((await q.counts()).dead, 2);
    // A claim hands out what has been delivered so far: claim until both redriven jobs arrived.
    const jobs: ClaimedJob[] = [];
    await eventually('both redriven jobs are delivered', async () => {
      jobs.push(...(await f.backend.claim(q.name, { count: 5, ...lease })).jobs);
      return jobs.length >= 2;
    });
    assert.deepEqual(jobs.map((j) => j.id).sort(), [all[0]?.id, all[2]?.id].sort());
    assert.ok(jobs.every((j) => j.attemptsMade === 1 && j.history.length === 1));
    assert.equal(await q.deadLetters.redrive('all', { ratePerSec: 1000 }), 2);
    assert.equal(await q.deadLetters.purge(), 0);
  });

  it('purge deletes dead jobs', async () => {
    const f = fixture();
    const q = queueOn(f);
    for (let n = 0; n < 3; n++) await q.add('bad', { n });
    const w = createWorker(
      q,
      async () => {
        throw new NonRetryableError('no');
      },
      quiet,
    );
    await eventually('three dead', async () => (await q.counts()).dead === 3);
    await w.close();
    assert.equal(await q.deadLetters.purge(), 3);
    assert.equal((await q.counts()).dead, 0);
  });

  it('at-most-once: acked before the handler, so a crash loses the job and never duplicates it', async () => {
    const f = fixture();
    const name = f.queue();
    const q = queueOn(f, name);
    await q.add('once', {}, { delivery: 'at-most-once' });
    const { jobs } = await f.backend.claim(name, { count: 1, ...lease });
    assert.equal(jobs.length, 1);
    assert.equal(jobs[0]?.token, '');
    await f.backend.close(); // the "crash": the connection goes without a result
    const g = fixture({}, f.prefix);
    const again = await g.backend.claim(name, { count: 1, ...lease });
    assert.equal(again.jobs.length, 0);
    assert.equal((await g.backend.counts(name)).ready, 0);
  });

  it('releaseBuffered hands prefetched jobs to another consumer', async () => {
    const f = fixture();
    const name = f.queue();
    const q = queueOn(f, name);
    await f.backend.claim(name, { count: 5, ...lease }); // prefetch 5, nothing yet
    for (let n = 0; n < 5; n++) await q.add('n', n);
    const consumerOf = await f.backend.claim(name, { count: 1, ...lease });
    assert.equal(consumerOf.jobs.length, 1);
    await eventually('the rest buffered', async () => (await q.counts()).ready === 4);
    await f.backend.releaseBuffered(name);
    const g = fixture({}, f.prefix);
    const taken: string[] = [];
    await eventually('another backend got the four', async () => {
      const { jobs } = await g.backend.claim(name, { count: 5, ...lease });
      taken.push(...jobs.map((j) => j.payloadJson));
      return taken.length === 4;
    });
    assert.equal(new Set(taken).size, 4);
  });

  it('pause is local: claims stop and buffered jobs go back, resume claims again', async () => {
    const f = fixture();
    const q = queueOn(f);
    await q.add('a', 1);
    await q.pause();
    const paused = await f.backend.claim(q.name, { count: 1, ...lease });
    assert.equal(paused.paused, true);
    assert.equal(paused.jobs.length, 0);
    assert.equal((await q.counts()).paused, true);
    await q.resume();
    const { jobs } = await f.backend.claim(q.name, { count: 1, ...lease });
    assert.equal(jobs.length, 1);
  });

  it('lag is 0 when empty and the age of the oldest buffered job otherwise', async () => {
    const f = fixture();
    const q = queueOn(f);
    assert.equal(await q.lagMs(), 0);
    await f.backend.claim(q.name, { count: 2, ...lease });
    await q.add('a', 1);
    await eventually('buffered', async () => (await q.counts()).ready === 1);
    assert.ok((await q.lagMs()) >= 0);
  });
});
