/** JobBackend contract: failed attempts, backoff, budgets, in-process retries and the dead-letter queue. */
import assert from 'node:assert/strict';
import { createWorker, type Job, type JobContext, NonRetryableError } from '../../jobs/index.js';
import {
  claimJobs,
  deadJob,
  eventually,
  processed,
  quietWorker,
  type Suite,
  untilState,
} from './jobs-env.js';

/** Registers the retry and budget cases. */
export function failureCases(s: Suite): void {
  const { t, caps, wall, pick, env } = s;
  t.it(
    'a failed attempt is retried after its backoff, and the history records it',
    env(async (e) => {
      const q = e.queue();
      const seen: Job[] = [];
      const worker = createWorker(
        q,
        async (job) => {
          seen.push(job);
          if (seen.length === 1) throw Object.assign(new Error('smtp 451'), { code: 'E451' });
          return 'sent';
        },
        quietWorker(),
      );
      const delayMs = pick(5000, 100);
      const { id } = await q.add('mail', null, { attempts: 3, backoff: { type: 'fixed', delayMs } });
      if (!wall) {
        if (caps.lookup)
          await eventually('first attempt failed', async () => (await q.getJob(id))?.state === 'delayed');
        else await eventually('first attempt failed', () => processed(e, q, 'retried') === 1);
        assert.equal(seen.length, 1);
        await e.time.advance(delayMs);
      }
      await untilState(e, q, id, 'completed');
      if (caps.lookup) {
        const job = await q.getJob(id);
        assert.equal(job?.attemptsMade, 2);
        assert.equal(job?.history.length, 1);
        assert.equal(job?.history[0]?.error.code, 'E451');
      }
      assert.deepEqual(
        seen.map((j) => [j.id, j.attemptsMade, j.history.length]),
        [
          [id, 1, 0],
          [id, 2, 1],
        ],
      );
      assert.equal(seen[1]?.history[0]?.error.code, 'E451');
      assert.equal(processed(e, q, 'retried'), 1);
      await worker.close();
    }),
  );

  t.it(
    'after its budget a job goes to the dead-letter queue with its error and attempt history',
    env(async (e) => {
      const q = e.queue();
      const worker = createWorker(
        q,
        async () => {
          throw new Error('provider down');
        },
        quietWorker(),
      );
      const { id } = await q.add('mail', null, { attempts: 2, backoff: { type: 'fixed', delayMs: 0 } });
      await untilState(e, q, id, 'dead');
      if (caps.listDead) {
        const [dead] = await q.deadLetters.list();
        assert.equal(dead?.id, id);
      }
      const dead = await deadJob(e, q, id);
      if (dead) {
        assert.equal(dead.attemptsMade, 2);
        assert.equal(dead.error?.message, 'provider down');
        assert.ok(dead.error?.stack?.includes('provider down'));
        assert.deepEqual(
          dead.history.map((h) => h.attempt),
          [1, 2],
        );
      }
      assert.equal(processed(e, q, 'dead'), 1);
      assert.equal(processed(e, q, 'failed'), 2);
      await worker.close();
    }),
  );

  t.it(
    'a NonRetryableError dead-letters at once',
    env(async (e) => {
      const q = e.queue();
      const worker = createWorker(
        q,
        async () => {
          throw new NonRetryableError('no recipient');
        },
        quietWorker(),
      );
      const { id } = await q.add('mail', null, { attempts: 5 });
      await untilState(e, q, id, 'dead');
      const job = await deadJob(e, q, id);
      if (job) {
        assert.equal(job.attemptsMade, 1);
        assert.equal(job.error?.code, 'ERR_JOB_NON_RETRYABLE');
      }
      assert.equal(processed(e, q, 'retried'), 0);
      await worker.close();
    }),
  );

  retryCases(s);
  customBackoffCases(s);
}

/** In-process retries (`ctx.retry`) spend the job's budget. */
function retryCases({ t, caps, env }: Suite): void {
  if (caps.lookup) {
    t.it(
      'in-process retries through ctx.retry are charged to the same budget',
      env(async (e) => {
        const q = e.queue();
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
  }

  t.it(
    'ctx.retry spending the whole budget dead-letters the job without a queue-level retry',
    env(async (e) => {
      const q = e.queue();
      let calls = 0;
      const worker = createWorker(
        q,
        (_job, ctx: JobContext) =>
          ctx.retry(
            () => {
              calls++;
              throw new Error('always');
            },
            { minTimeout: 1, maxTimeout: 1 },
          ),
        quietWorker(),
      );
      const { id } = await q.add('flaky', null, { attempts: 3 });
      await untilState(e, q, id, 'dead');
      assert.equal(calls, 3);
      const job = await deadJob(e, q, id);
      if (job) assert.equal(job.attemptsMade, 3);
      assert.equal(processed(e, q, 'retried'), 0);
      await worker.close();
    }),
  );
}

/** `backoff: { type: 'custom' }`: the worker's function, or a loud dead letter without one. */
function customBackoffCases({ t, caps, wall, pick, env }: Suite): void {
  t.it(
    "backoff { type: 'custom' } is resolved by the worker's `backoff` option",
    env(async (e) => {
      const q = e.queue();
      const asked: [number, string][] = [];
      const retryMs = pick(4000, 100);
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
            return retryMs;
          },
        }),
      );
      const { id } = await q.add('custom', null, { attempts: 2, backoff: { type: 'custom' } });
      if (!wall && caps.lookup) {
        await eventually('retry scheduled', async () => (await q.getJob(id))?.state === 'delayed');
        assert.equal((await q.getJob(id))?.readyAtMs, e.time.now() + retryMs);
      } else {
        await eventually('retry scheduled', () => processed(e, q, 'retried') === 1);
      }
      assert.deepEqual(asked, [[1, 'custom']]);
      if (!wall) {
        assert.equal(calls, 1);
        await e.time.advance(retryMs);
      }
      await untilState(e, q, id, 'completed');
      assert.equal(calls, 2);
      await worker.close();
    }),
  );

  t.it(
    "backoff { type: 'custom' } on a worker without `backoff` dead-letters loudly (ERR_JOB_BACKOFF_UNRESOLVED)",
    env(async (e) => {
      const q = e.queue();
      const reported: unknown[] = [];
      const worker = createWorker(
        q,
        async () => {
          throw new Error('smtp 451');
        },
        quietWorker({ onError: (error) => reported.push(error) }),
      );
      const { id } = await q.add('custom', null, { attempts: 3, backoff: { type: 'custom' } });
      await untilState(e, q, id, 'dead');
      const job = await deadJob(e, q, id);
      if (job) {
        assert.equal(job.attemptsMade, 1);
        assert.equal(job.error?.code, 'ERR_JOB_BACKOFF_UNRESOLVED');
        assert.ok(job.error?.message.includes('smtp 451'));
      }
      assert.equal((reported[0] as { code?: string }).code, 'ERR_JOB_BACKOFF_UNRESOLVED');
      await worker.close();
    }),
  );
}

/** list, get, paced redrive and purge of the dead-letter queue, through the port. */
export function deadLetterCases({ t, caps, pick, env }: Suite): void {
  t.it(
    `dead letters: ${caps.listDead ? 'list, ' : ''}redrive (paced) with a fresh budget, purge`,
    env(async (e) => {
      const q = e.queue();
      const ids: string[] = [];
      const failNow = async (id: string, token: string, message: string) => {
        const error = { message };
        assert.equal(
          await e.backend.fail(q.name, { id, token, error, retryDelayMs: null, chargedAttempts: 0 }),
          'dead',
        );
      };
      for (let i = 0; i < 3; i++) {
        const { id } = await q.add('j', i, { attempts: 1 });
        ids.push(id);
        const { jobs } = await claimJobs(e, q);
        await failNow(id, jobs[0]?.token ?? '', `boom ${i}`);
      }
      if (caps.listDead) assert.equal((await q.deadLetters.list()).length, 3);
      assert.equal((await q.counts()).dead, 3);
      assert.equal(await q.deadLetters.redrive([ids[0] ?? '']), 1);
      if (caps.lookup) {
        const back = await q.getJob(ids[0] ?? '');
        assert.equal(back?.state, 'ready');
        assert.equal(back?.attemptsMade, 0);
      }
      const ratePerSec = pick(1, 20);
      const paced = q.deadLetters.redrive(caps.listDead ? 'all' : ids.slice(1), { ratePerSec });
      let moved: number | undefined;
      void paced.then((n) => {
        moved = n;
      });
      await eventually('paced redrive finished', () => {
        e.time.tick(1000);
        return moved !== undefined;
      });
      assert.equal(moved, 2);
      assert.deepEqual(await q.counts(), { ready: 3, delayed: 0, active: 0, dead: 0, paused: false });
      const { jobs } = await claimJobs(e, q);
      const [again] = jobs;
      assert.ok(again);
      assert.equal(again.attemptsMade, 1);
      await failNow(again.id, again.token, 'again');
      assert.equal(await q.deadLetters.purge(), 1);
      assert.equal((await q.counts()).dead, 0);
      if (caps.lookup) assert.equal(await q.getJob(again.id), undefined);
    }),
  );
}
