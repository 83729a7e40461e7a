/**
 * JobBackend contract: for each capability the backend leaves out, the public API answers a typed
 * `UnsupportedError` (`ERR_UNSUPPORTED`, `capability` naming it) and writes nothing: never a silent
 * no-op or an approximation.
 */
import assert from 'node:assert/strict';
import { createWorker, type OverflowPolicy } from '../../jobs/index.js';
import { EMPTY_COUNTS, quietWorker, type Suite, untilState } from './jobs-env.js';

const refused = (capability: string) => ({ code: 'ERR_UNSUPPORTED', name: 'UnsupportedError', capability });
const POLICIES: readonly OverflowPolicy[] = ['reject', 'drop-oldest', 'dead-letter'];
/** Largest `timeoutMs` the queue and worker accept at all. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Registers one case per capability the backend does not declare. */
export function unsupportedCases(s: Suite): void {
  const { t, caps, env } = s;
  if (!caps.lookup) {
    t.it(
      'without lookup: getJob and deadLetters.get answer ERR_UNSUPPORTED; keepCompletedMs > 0 is refused',
      env(async (e) => {
        const q = e.queue();
        const { id } = await q.add('j', null);
        await assert.rejects(q.getJob(id), refused('lookup'));
        await assert.rejects(q.deadLetters.get(id), refused('lookup'));
        assert.throws(() => e.queue({ keepCompletedMs: 60_000 }), refused('lookup'));
        e.queue({ keepCompletedMs: 0 });
      }),
    );
  }
  if (!caps.idempotency) {
    t.it(
      'without idempotency: an idempotencyKey answers ERR_UNSUPPORTED and nothing is written',
      env(async (e) => {
        const q = e.queue();
        await assert.rejects(q.add('j', 1, { idempotencyKey: 'order-1' }), refused('idempotency'));
        const bulk = [
          { type: 'j', payload: 1 },
          { type: 'j', payload: 2, options: { idempotencyKey: 'order-2' } },
        ];
        await assert.rejects(q.addBulk(bulk), refused('idempotency'));
        assert.deepEqual(await q.counts(), EMPTY_COUNTS);
        assert.throws(() => e.queue({ idempotencyWindowMs: 1000 }), refused('idempotency'));
      }),
    );
  }
  if (caps.maxPriority < 1000) {
    t.it(
      `priorities above ${caps.maxPriority} answer ERR_UNSUPPORTED and nothing is written`,
      env(async (e) => {
        const q = e.queue();
        const over = caps.maxPriority + 1;
        await assert.rejects(q.add('j', 1, { priority: over }), refused('maxPriority'));
        await assert.rejects(q.add('j', 1, { priority: 1000 }), refused('maxPriority'));
        const bulk = [
          { type: 'j', payload: 1 },
          { type: 'j', payload: 2, options: { priority: over } },
        ];
        await assert.rejects(q.addBulk(bulk), refused('maxPriority'));
        assert.deepEqual(await q.counts(), EMPTY_COUNTS);
        await q.add('j', 3, { priority: caps.maxPriority });
        assert.equal((await q.counts()).ready, 1);
      }),
    );
  }
  const missing = POLICIES.filter((p) => !caps.overflow.includes(p));
  if (missing.length) {
    t.it(
      `overflow ${missing.map((p) => `'${p}'`).join(', ')} is refused at createJobQueue with ERR_UNSUPPORTED`,
      env(async (e) => {
        for (const overflow of missing) {
          assert.throws(() => e.queue({ maxDepth: 10, overflow }), refused('overflow'));
          assert.throws(() => e.queue({ overflow }), refused('overflow'));
        }
        if (!caps.overflow.includes('reject'))
          assert.throws(() => e.queue({ maxDepth: 10 }), refused('overflow'));
      }),
    );
  }
  workerCases(s);
}

/** What a worker or handler is refused: progress, a timeout the backend cannot hold, dead-letter listing. */
function workerCases({ t, caps, env }: Suite): void {
  if (!caps.progress) {
    t.it(
      'without progress: ctx.progress rejects with ERR_UNSUPPORTED in the handler, which may go on',
      env(async (e) => {
        const q = e.queue();
        let caught: unknown;
        const worker = createWorker(
          q,
          async (_job, ctx) => {
            await ctx.progress({ pct: 50 }).catch((error: unknown) => {
              caught = error;
            });
            return 'done';
          },
          quietWorker(),
        );
        const { id } = await q.add('j', null);
        await untilState(e, q, id, 'completed');
        await worker.close();
        assert.throws(() => {
          throw caught;
        }, refused('progress'));
      }),
    );
  }
  if (!caps.listDead) {
    t.it(
      "without listDead: deadLetters.list and redrive('all') answer ERR_UNSUPPORTED",
      env(async (e) => {
        const q = e.queue();
        await assert.rejects(q.deadLetters.list(), refused('listDead'));
        await assert.rejects(q.deadLetters.redrive('all'), refused('listDead'));
        assert.equal(await q.deadLetters.redrive([]), 0);
      }),
    );
  }
  const maxMs = caps.maxAttemptMs;
  if (maxMs !== undefined) {
    t.it(
      `a per-attempt timeout above ${maxMs} ms is refused: by createWorker, and by add before any write`,
      env(async (e) => {
        const q = e.queue();
        const handler = async () => 'done';
        if (maxMs < MAX_TIMER_MS) {
          assert.throws(() => createWorker(q, handler, { timeoutMs: maxMs + 1 }), refused('maxAttemptMs'));
          await assert.rejects(q.add('j', null, { timeoutMs: maxMs + 1 }), refused('maxAttemptMs'));
          assert.deepEqual(await q.counts(), EMPTY_COUNTS);
        }
        const allowedMs = Math.min(maxMs, MAX_TIMER_MS);
        await createWorker(q, handler, quietWorker({ timeoutMs: allowedMs })).close();
        await q.add('j', null, { timeoutMs: allowedMs });
        assert.equal((await q.counts()).ready, 1);
      }),
    );
  }
}
