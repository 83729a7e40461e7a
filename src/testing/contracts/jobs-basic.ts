/** JobBackend contract: adding, claiming, ordering, delays, pausing, and the worker's happy path. */
import assert from 'node:assert/strict';
import { createWorker, FULL_JOB_CAPABILITIES } from '../../jobs/index.js';
import {
  claimJobs,
  EMPTY_COUNTS,
  eventually,
  processed,
  quietWorker,
  type Suite,
  settle,
  untilState,
} from './jobs-env.js';

/** Registers the basic cases. */
export function basicCases({ t, caps, wall, pick, env }: Suite): void {
  t.it(
    'add stores a ready job (readable by getJob with lookup), handed out by claim as it went in',
    env(async (e) => {
      const q = e.queue();
      const added = await q.add('email', { to: 'a@example.com', n: [1, 2] });
      assert.equal(added.duplicate, false);
      assert.equal(added.state, 'ready');
      if (caps.lookup) {
        const job = await q.getJob(added.id);
        assert.ok(job);
        assert.equal(job.type, 'email');
        assert.deepEqual(job.payload, { to: 'a@example.com', n: [1, 2] });
        assert.equal(job.state, 'ready');
        assert.equal(job.attempts, 3);
        assert.equal(job.attemptsMade, 0);
      }
      assert.deepEqual(await q.counts(), { ...EMPTY_COUNTS, ready: 1 });
      const [claimed] = (await claimJobs(e, q)).jobs;
      assert.equal(claimed?.id, added.id);
      assert.equal(claimed?.type, 'email');
      assert.deepEqual(JSON.parse(claimed?.payloadJson ?? 'null'), { to: 'a@example.com', n: [1, 2] });
      assert.equal(claimed?.attempts, 3);
      assert.equal(claimed?.attemptsMade, 1);
    }),
  );

  t.it(
    `a worker runs a job and records its result${caps.progress ? ' and progress' : ''}`,
    env(async (e) => {
      const q = e.queue();
      const { id } = await q.add('sum', { a: 2, b: 3 });
      const sums: number[] = [];
      const worker = createWorker<{ a: number; b: number }>(
        q,
        async (job, ctx) => {
          if (caps.progress) await ctx.progress({ pct: 50 });
          sums.push(job.payload.a + job.payload.b);
          return job.payload.a + job.payload.b;
        },
        quietWorker(),
      );
      await untilState(e, q, id, 'completed');
      if (caps.lookup) {
        const job = await q.getJob(id);
        assert.equal(job?.result, 5);
        if (caps.progress) assert.deepEqual(job?.progress, { pct: 50 });
      }
      await worker.close();
      assert.deepEqual(sums, [5]);
      assert.equal(processed(e, q, 'completed'), 1);
    }),
  );

  t.it(
    'a delayed job starts only when due, and an idle worker wakes for it',
    env(async (e) => {
      const q = e.queue();
      const started: { id: string; atMs: number; readyAtMs: number }[] = [];
      const worker = createWorker(
        q,
        async (job) => void started.push({ id: job.id, atMs: e.time.now(), readyAtMs: job.readyAtMs }),
        quietWorker(),
      );
      const delayMs = pick(60_000, 300);
      const addedAtMs = e.time.now();
      const { id } = await q.add('later', null, { delayMs });
      if (caps.lookup) assert.equal((await q.getJob(id))?.state, 'delayed');
      if (!wall) {
        assert.equal((await q.counts()).delayed, 1);
        await settle(30);
        await e.time.advance(delayMs - 1);
        await settle(30);
        assert.deepEqual(started, []);
        await e.time.advance(1);
      }
      await eventually('delayed job ran', () => started.length === 1);
      // In wall time "not before due" is what the job saw: started at or after its readyAtMs.
      assert.equal(started[0]?.id, id);
      assert.ok((started[0]?.readyAtMs ?? 0) >= addedAtMs + delayMs);
      assert.ok((started[0]?.atMs ?? 0) >= (started[0]?.readyAtMs ?? Number.POSITIVE_INFINITY));
      await worker.close();
    }),
  );

  t.it(
    'runAtMs in the past runs at once',
    env(async (e) => {
      const q = e.queue();
      const { id } = await q.add('now', null, { runAtMs: e.time.now() - 1000 });
      if (caps.lookup) assert.equal((await q.getJob(id))?.state, 'ready');
      assert.deepEqual(await q.counts(), { ...EMPTY_COUNTS, ready: 1 });
    }),
  );

  if (caps.maxPriority >= 5) {
    t.it(
      'claims by priority (0 first), then in order of arrival',
      env(async (e) => {
        const q = e.queue();
        const a = await q.add('j', 'a', { priority: 5 });
        const b = await q.add('j', 'b');
        const c = await q.add('j', 'c', { priority: 1 });
        const d = await q.add('j', 'd');
        const claimed = await claimJobs(e, q, 4, { count: 10 });
        assert.deepEqual(
          claimed.jobs.map((j) => j.id),
          [b.id, d.id, c.id, a.id],
        );
      }),
    );
  }

  t.it(
    'jobs of one priority are claimed in order of arrival',
    env(async (e) => {
      const q = e.queue();
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push((await q.add('j', i)).id);
      const claimed = await claimJobs(e, q, 5, { count: 10 });
      assert.deepEqual(
        claimed.jobs.map((j) => j.id),
        ids,
      );
    }),
  );

  t.it(
    'a paused queue is not claimed; resume wakes workers',
    env(async (e) => {
      const q = e.queue();
      await q.pause();
      const done: string[] = [];
      const worker = createWorker(q, async (job) => void done.push(job.id), quietWorker());
      const { id } = await q.add('j', null);
      await settle(50);
      assert.equal(done.length, 0);
      assert.equal((await q.counts()).paused, true);
      await q.resume();
      await eventually('ran after resume', () => done.includes(id));
      await worker.close();
    }),
  );

  t.it(
    'a worker runs from a wrapped queue (a spread copy or a Proxy): only the public surface is used',
    env(async (e) => {
      const q = e.queue();
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
    'a function backoff is refused at add (it could not run in another process): nothing is written',
    env(async (e) => {
      const q = e.queue();
      const backoff = (() => 10) as unknown as { type: 'custom' };
      await assert.rejects(q.add('j', null, { backoff }), { code: 'ERR_INVALID_ARGUMENT' });
      assert.deepEqual(await q.counts(), EMPTY_COUNTS);
    }),
  );

  t.it(
    'addBulk adds all jobs in one step, in order',
    env(async (e) => {
      const q = e.queue();
      const added = await q.addBulk(Array.from({ length: 50 }, (_, i) => ({ type: 'j', payload: i })));
      assert.equal(added.length, 50);
      const { jobs } = await claimJobs(e, q, 50);
      assert.deepEqual(
        jobs.map((j) => JSON.parse(j.payloadJson)),
        Array.from({ length: 50 }, (_, i) => i),
      );
    }),
  );
}

/** The declaration the suite was given is the one the subject makes. */
export function declarationCase({ t, caps, env }: Suite): void {
  t.it(
    'the backend declares the capabilities the suite runs',
    env(async (e) => {
      assert.deepEqual(e.backend.capabilities ?? FULL_JOB_CAPABILITIES, caps);
    }),
  );
}
