/**
 * The RabbitMQ job backend when things go wrong: sockets destroyed mid-publish and mid-job, foreign
 * messages in the work queue, a conflicting existing queue, bad options, oversized payloads, and what
 * the backend declares it cannot do.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import { isBackendPatternsError } from '../../src/core/errors.js';
import { AmqpTopologyError, createAmqpJobBackend } from '../../src/jobs/amqp.js';
import { createWorker } from '../../src/jobs/index.js';
import { amqpTestScope, destroySocket, eventually, rawChannel } from './amqp-support.js';

const { fixture, queueOn } = amqpTestScope();
const quiet = { sampleIntervalMs: 0, onError: () => {} };
const lease = { leaseMs: 30_000, token: 't' };

describe('amqp job backend: connection failures', () => {
  it('an add whose socket is destroyed mid-publish rejects, or was confirmed and is consumable', async () => {
    const f = fixture();
    const q = queueOn(f);
    await q.add('warm', 0); // connected and declared
    const warm = await f.backend.claim(q.name, { count: 1, ...lease });
    assert.equal(warm.jobs.length, 1);
    await f.backend.complete(q.name, {
      id: warm.jobs[0]?.id ?? '',
      token: warm.jobs[0]?.token ?? '',
      resultJson: 'null',
      chargedAttempts: 0,
      keepCompletedMs: 0,
    });
    const outcomes = await Promise.allSettled(
      Array.from({ length: 20 }, (_, n) => {
        const added = q.add('n', n);
        if (n === 10) destroySocket(f.models.at(-1));
        return added;
      }),
    );
    const confirmed = outcomes.filter((o) => o.status === 'fulfilled').length;
    for (const o of outcomes) {
      if (o.status === 'rejected') assert.ok(isBackendPatternsError(o.reason, 'ERR_STORE'), String(o.reason));
    }
    assert.ok(confirmed < 20, 'the destroyed socket failed nothing');
    // Reconnected: every confirmed job is there (unconfirmed ones may be too: at least once).
    const seen = new Set<string>();
    await eventually('the confirmed jobs are consumable', async () => {
      const { jobs } = await f.backend.claim(q.name, { count: 20, ...lease });
      for (const job of jobs) {
        seen.add(job.payloadJson);
        await f.backend.complete(q.name, {
          id: job.id,
          token: job.token,
          resultJson: 'null',
          chargedAttempts: 0,
          keepCompletedMs: 0,
        });
      }
      return outcomes.every((o, n) => o.status === 'rejected' || seen.has(String(n)));
    });
    assert.ok(f.models.length >= 2, 'the backend reconnected');
  });

  it('a job whose connection drops mid-run is redelivered; the stale token is refused; consuming goes on', async () => {
    const f = fixture();
    const q = queueOn(f);
    const { id } = await q.add('long', {});
    const first = await f.backend.claim(q.name, { count: 1, ...lease });
    const token = first.jobs[0]?.token ?? '';
    assert.equal(first.jobs[0]?.id, id);
    destroySocket(f.models.at(-1));
    let again: { id: string; token: string } | undefined;
    await eventually('redelivered after the reconnection', async () => {
      const { jobs } = await f.backend.claim(q.name, { count: 1, ...lease }).catch(() => ({ jobs: [] }));
      again = jobs[0];
      return again !== undefined;
    });
    assert.equal(again?.id, id);
    assert.notEqual(again?.token, token);
    const stale = { id, token, resultJson: 'null', chargedAttempts: 0, keepCompletedMs: 0 };
    assert.equal(await f.backend.complete(q.name, stale), false);
    assert.deepEqual(await f.backend.renew(q.name, { leases: [{ id, token }], leaseMs: 1000 }), [false]);
    assert.equal(await f.backend.complete(q.name, { ...stale, token: again?.token ?? '' }), true);
    assert.ok(f.models.length >= 2);
  });

  it('a worker keeps consuming across a dropped connection; the in-flight result is lost, the job reruns', async () => {
    const f = fixture();
    const q = queueOn(f);
    const runs: number[] = [];
    let release: (() => void) | undefined;
    const w = createWorker<{ n: number }>(
      q,
      async (job) => {
        runs.push(job.payload.n);
        if (job.payload.n === 1 && runs.length === 1) await new Promise<void>((r) => (release = r));
      },
      quiet,
    );
    await q.add('n', { n: 1 });
    await eventually('first run started', () => release !== undefined);
    destroySocket(f.models.at(-1));
    release?.();
    await eventually('rerun after reconnection', () => runs.filter((n) => n === 1).length >= 2);
    await q.add('n', { n: 2 });
    await eventually('new work after the reconnection', () => runs.includes(2));
    await w.close();
  });
});

describe('amqp job backend: hostile input', () => {
  it('a foreign message in the work queue is dead-lettered with a clear error; the worker goes on', async () => {
    const f = fixture();
    const q = queueOn(f);
    await q.counts(); // declares the topology
    const raw = await rawChannel();
    try {
      const ch = await raw.model.createConfirmChannel();
      ch.sendToQueue(`${f.prefix}.${q.name}`, Buffer.from('\u0000not json{'), { persistent: true });
      ch.sendToQueue(`${f.prefix}.${q.name}`, Buffer.from(JSON.stringify({ v: 1, id: 'x' })), {
        messageId: 'half',
      });
      await ch.waitForConfirms();
    } finally {
      await raw.close();
    }
    const done: string[] = [];
    const w = createWorker(q, async (job) => void done.push(job.type), quiet);
    await q.add('real', {});
    await eventually('the real job ran', () => done.includes('real'));
    await eventually('two dead', async () => (await q.counts()).dead === 2);
    await w.close();
    const dead = await q.deadLetters.list();
    assert.deepEqual(
      dead.map((d) => d.type),
      ['unreadable', 'unreadable'],
    );
    assert.match(dead[0]?.error?.message ?? '', /not a job of this library: the body is not JSON/);
    assert.equal(dead[1]?.id, 'half');
    assert.match(dead[1]?.error?.message ?? '', /`type` is missing or invalid/);
    assert.deepEqual(done, ['real']);
    assert.equal(await q.deadLetters.purge(), 2);
  });

  it('an existing queue with other arguments is a typed error naming the argument', async () => {
    const f = fixture({ deliveryLimit: 5 });
    const name = f.queue();
    await f.backend.counts(name);
    const g = fixture({ deliveryLimit: 6 }, f.prefix);
    await assert.rejects(g.backend.counts(name), (e) => {
      assert.ok(e instanceof AmqpTopologyError);
      assert.equal(e.code, 'ERR_STORE');
      assert.equal(e.argument, 'x-delivery-limit');
      assert.equal(e.objectName, `${f.prefix}.${name}`);
      return true;
    });
  });

  it('bad options are InvalidOptionError at construction', () => {
    const bad: Record<string, unknown>[] = [
      { url: 'amqp://127.0.0.1', prefix: 'has space' },
      { url: 'amqp://127.0.0.1', deliveryLimit: 0 },
      { url: 'amqp://127.0.0.1', delayStepsMs: [1000, 50] },
      { url: 'amqp://127.0.0.1', delayStepsMs: [-5, 50] },
      { url: 'amqp://127.0.0.1', delayStepsMs: [] },
      { url: 'http://127.0.0.1:5672' },
      { url: 'not a url' },
      {},
      { url: 'amqp://127.0.0.1', connect: async () => ({}) },
      { url: 'amqp://127.0.0.1', maxDepth: 0 },
      { url: 'amqp://127.0.0.1', maxDepth: { email: -1 } },
      { url: 'amqp://127.0.0.1', reconnect: { initialDelayMs: 5000, maxDelayMs: 100 } },
      { url: 'amqp://127.0.0.1', consumerTimeoutMs: 10 },
      { url: 'amqp://127.0.0.1', unknown: 1 },
    ];
    for (const options of bad) {
      assert.throws(
        () => createAmqpJobBackend(options as never),
        (e) => isBackendPatternsError(e, 'ERR_INVALID_OPTION'),
        JSON.stringify(options),
      );
    }
    assert.throws(
      () => createAmqpJobBackend({ url: 'amqp://user:s3cret@127.0.0.1', prefix: 'a b' }),
      (e) => e instanceof Error && !e.message.includes('s3cret'),
    );
  });

  it('oversized payloads are refused before publishing; bad queue names at the port', async () => {
    const f = fixture();
    const q = queueOn(f, f.queue(), { maxPayloadBytes: 1000 });
    await assert.rejects(q.add('big', { blob: 'x'.repeat(2000) }), (e) =>
      isBackendPatternsError(e, 'ERR_JOB_PAYLOAD_TOO_LARGE'),
    );
    assert.equal((await q.counts()).ready, 0);
    await assert.rejects(f.backend.counts('bad name'), (e) =>
      isBackendPatternsError(e, 'ERR_INVALID_ARGUMENT'),
    );
  });

  it('what RabbitMQ cannot do is ERR_UNSUPPORTED, never a silent no-op', async () => {
    const f = fixture();
    const q = queueOn(f);
    const { id } = await q.add('a', {});
    await assert.rejects(q.getJob(id), (e) => isBackendPatternsError(e, 'ERR_UNSUPPORTED'));
    await assert.rejects(q.add('a', {}, { priority: 5 }), (e) =>
      isBackendPatternsError(e, 'ERR_UNSUPPORTED'),
    );
    await assert.rejects(q.add('a', {}, { idempotencyKey: 'k' }), (e) =>
      isBackendPatternsError(e, 'ERR_UNSUPPORTED'),
    );
    await assert.rejects(f.backend.progress(q.name, { id, token: 'x', progressJson: '1' }), (e) =>
      isBackendPatternsError(e, 'ERR_UNSUPPORTED'),
    );
    assert.equal(f.backend.capabilities.maxAttemptMs, 1_620_000);
    assert.throws(
      () => createWorker(q, async () => {}, { ...quiet, timeoutMs: 1_700_000 }),
      (e) => isBackendPatternsError(e, 'ERR_UNSUPPORTED'),
    );
  });
});
