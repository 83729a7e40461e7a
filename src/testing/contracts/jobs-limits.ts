/** JobBackend contract: idempotency windows, depth limits and their overflow policies, and lag. */
import assert from 'node:assert/strict';
import { createWorker, type OverflowPolicy } from '../../jobs/index.js';
import {
  claimJobs,
  deadJob,
  EMPTY_COUNTS,
  eventually,
  processed,
  quietWorker,
  type Suite,
} from './jobs-env.js';

/** Registers the idempotency and overflow cases the backend declares. */
export function limitCases(s: Suite): void {
  const { t, caps, pick, env } = s;
  const offers = (policy: OverflowPolicy) => caps.overflow.includes(policy);
  if (caps.idempotency) {
    t.it(
      'an idempotency key returns the first job within its window, and a new one after',
      env(async (e) => {
        const windowMs = pick(10_000, 200);
        const q = e.queue({ idempotencyWindowMs: windowMs });
        const first = await q.add('charge', { cents: 100 }, { idempotencyKey: 'order-1' });
        const second = await q.add('charge', { cents: 999 }, { idempotencyKey: 'order-1' });
        assert.equal(second.id, first.id);
        assert.equal(second.duplicate, true);
        assert.equal((await q.counts()).ready, 1);
        await e.time.advance(windowMs);
        const third = await q.add('charge', { cents: 100 }, { idempotencyKey: 'order-1' });
        assert.notEqual(third.id, first.id);
        assert.equal(third.duplicate, false);
      }),
    );
  }

  if (offers('reject')) {
    t.it(
      "maxDepth with overflow 'reject' throws QueueFullError and adds nothing, even in bulk",
      env(async (e) => {
        const q = e.queue({ maxDepth: 2 });
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
        const { jobs } = await claimJobs(e, q, 2, { count: 10 });
        assert.deepEqual(
          jobs.map((j) => JSON.parse(j.payloadJson)),
          [1, 2],
        );
      }),
    );
  }

  if (offers('drop-oldest')) {
    t.it(
      "overflow 'drop-oldest' deletes the head of the queue",
      env(async (e) => {
        const q = e.queue({ maxDepth: 2, overflow: 'drop-oldest' });
        const a = await q.add('j', 'a');
        const b = await q.add('j', 'b');
        const c = await q.add('j', 'c');
        if (caps.lookup) {
          assert.equal(await q.getJob(a.id), undefined);
          assert.ok(await q.getJob(b.id));
          assert.ok(await q.getJob(c.id));
        }
        assert.equal((await q.counts()).ready, 2);
        const { jobs } = await claimJobs(e, q, 2, { count: 10 });
        assert.deepEqual(
          jobs.map((j) => j.id),
          [b.id, c.id],
        );
      }),
    );
  }

  if (offers('dead-letter')) {
    t.it(
      "overflow 'dead-letter' sends the new job to the DLQ",
      env(async (e) => {
        const q = e.queue({ maxDepth: 1, overflow: 'dead-letter' });
        await q.add('j', 'a');
        const b = await q.add('j', 'b');
        assert.equal(b.state, 'dead');
        const job = await deadJob(e, q, b.id);
        if (job) assert.equal(job.error?.code, 'ERR_QUEUE_FULL');
        assert.deepEqual(await q.counts(), { ...EMPTY_COUNTS, ready: 1, dead: 1 });
      }),
    );
  }
  lagCase(s);
}

/** `lagMs`: exact on the manual clock, a lower bound in wall time, sane bounds when estimated. */
function lagCase({ t, caps, wall, pick, env }: Suite): void {
  if (caps.lag === 'exact') {
    t.it(
      'lag is the age of the oldest ready job, including prioritised and due delayed jobs',
      env(async (e) => {
        const q = e.queue();
        assert.equal(await q.lagMs(), 0);
        const gauge = () => e.metrics.gaugeValue('jobs.queue.lag', { queue: q.name });
        await q.add('j', null, { priority: Math.min(7, caps.maxPriority) });
        const firstAddedMs = e.time.now();
        await e.time.advance(pick(4000, 60));
        await q.add('j', null);
        await e.time.advance(pick(1000, 20));
        const lagFromMs = e.time.now();
        const lag = await q.lagMs();
        // Wall time: at least the time since the first add returned (exact on the manual clock).
        if (wall) assert.ok(lag >= lagFromMs - firstAddedMs, `lag ${lag}`);
        else assert.equal(lag, 5000);
        // the metric keeps its unit, seconds (declared on the instrument)
        assert.equal(gauge(), lag / 1000);
        const q2 = e.queue();
        const delayMs = pick(1000, 50);
        await q2.add('j', null, { delayMs });
        const delayedAddedMs = e.time.now();
        if (!wall) assert.equal(await q2.lagMs(), 0);
        await e.time.advance(pick(3000, 150));
        const lag2FromMs = e.time.now();
        const lag2 = await q2.lagMs();
        if (wall) assert.ok(lag2 >= lag2FromMs - delayedAddedMs - delayMs, `lag ${lag2}`);
        else assert.equal(lag2, 2000);
      }),
    );
    return;
  }
  t.it(
    'estimated lag: 0 on an empty queue, a finite age while jobs wait, 0 again once drained',
    env(async (e) => {
      const q = e.queue();
      assert.equal(await q.lagMs(), 0);
      await q.add('j', null);
      await e.time.advance(pick(1000, 100));
      const lag = await q.lagMs();
      assert.ok(Number.isFinite(lag) && lag >= 0, `lag ${lag}`);
      assert.equal(e.metrics.gaugeValue('jobs.queue.lag', { queue: q.name }), lag / 1000);
      const worker = createWorker(q, async () => 'done', quietWorker());
      await eventually('drained', () => processed(e, q, 'completed') === 1);
      await eventually('lag 0 once drained', async () => (await q.lagMs()) === 0);
      await worker.close();
    }),
  );
}
