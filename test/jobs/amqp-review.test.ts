/**
 * Regressions of the adversarial review of the RabbitMQ backend: an early delivery whose re-route up
 * the delay ladder fails is handed back (the worker does not stall), well-formed bodies with absurd
 * times are dead-lettered instead of circling the ladder, and a message over the broker's size limit is
 * refused before it can close the shared publishing channel.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import { isBackendPatternsError } from '../../src/core/errors.js';
import { createWorker } from '../../src/jobs/index.js';
import { type AmqpFixture, amqpTestScope, eventually, rawChannel } from './amqp-support.js';

const { fixture, queueOn: queueIn, track } = amqpTestScope();
const queueOn = (f: AmqpFixture, name: string) => queueIn(f, name, { keepCompletedMs: 0 });
describe('amqp job backend: review regressions', () => {
  it('an early job whose ladder queue is gone is handed back, the ladder redeclared, and the worker goes on', async () => {
    const consumer = fixture();
    const name = consumer.queue();
    // A producer whose clock runs 10 minutes ahead: its job reaches the work queue "early".
    const ahead = {
      now: () => Date.now() + 600_000,
      sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)),
    };
    const producer = fixture({ clock: ahead }, consumer.prefix);
    const early = queueOn(producer, name);
    const q = queueOn(consumer, name);
    await q.add('warm', 0); // the topology exists
    await early.counts(); // the producer declared it too (it would recreate the ladder otherwise)
    const raw = await rawChannel();
    const channel = await raw.model.createChannel();
    // The early job's route up the ladder: its publish now fails (mandatory, no queue).
    await channel.deleteQueue(`${consumer.prefix}.${name}.delay.1000`);
    await raw.close();
    await early.add('late', 'early');
    await q.add('now', 'normal');
    const seen: string[] = [];
    const worker = createWorker<string>(
      q,
      async (job) => {
        seen.push(job.payload);
      },
      { concurrency: 1, sampleIntervalMs: 0, onError: () => {} },
    );
    track(worker);
    await eventually('the normal job runs behind the early one', () => seen.includes('normal'), 20_000);
    assert.ok(!seen.includes('early'), 'the early job ran before it was due');
    // Handed back after a second, then routed up the ladder the backend declared again.
    await eventually(
      'the early job went up the redeclared ladder',
      async () => (await q.counts()).delayed === 1,
    );
    assert.ok(!seen.includes('early'), 'the early job ran before it was due');
  }, 40_000);

  it('a smaller worker after a bigger one on the same backend holds only what it needs', async () => {
    const f = fixture();
    const name = f.queue();
    const q = queueOn(f, name);
    const big = createWorker(q, async () => {}, { concurrency: 20, sampleIntervalMs: 0, onError: () => {} });
    await q.add('warm', 0);
    await eventually('the big worker ran its job', async () => (await q.counts()).ready === 0);
    await big.close({ timeoutMs: 1000 });
    await q.addBulk(Array.from({ length: 60 }, (_, n) => ({ type: 'n', payload: n })));
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let started = 0;
    const small = createWorker(
      q,
      async () => {
        started += 1;
        await gate; // holds its one job while we look at the broker
      },
      { concurrency: 1, sampleIntervalMs: 0, onError: () => {} },
    );
    track(small);
    await eventually('the small worker started a job', () => started === 1);
    const raw = await rawChannel();
    const channel = await raw.model.createChannel();
    const { messageCount } = await channel.checkQueue(`${f.prefix}.${name}`);
    await raw.close();
    release();
    // Held by this process: its running job plus at most its prefetch, not the 20 of the big worker.
    assert.ok(60 - messageCount <= 3, `the small worker holds ${60 - messageCount} jobs`);
  }, 30_000);

  it('well-formed bodies with absurd times are dead-lettered as unreadable, not looped', async () => {
    const f = fixture();
    const name = f.queue();
    const q = queueOn(f, name);
    await q.add('warm', 0);
    const raw = await rawChannel();
    const channel = await raw.model.createConfirmChannel();
    const base = {
      v: 1,
      type: 't',
      payloadJson: '1',
      attempts: 1,
      attemptsMade: 0,
      delivery: 'at-least-once',
      backoff: { type: 'fixed', delayMs: 0 },
      createdAtMs: 1,
      history: [],
    };
    for (const [id, extra] of [
      ['far-future', { timeoutMs: 0, readyAtMs: 1e15 }],
      ['huge-timeout', { timeoutMs: 1e12, readyAtMs: 1 }],
    ] as const) {
      channel.sendToQueue(`${f.prefix}.${name}`, Buffer.from(JSON.stringify({ ...base, id, ...extra })), {
        persistent: true,
        messageId: id,
      });
    }
    await channel.waitForConfirms();
    await raw.close();
    const ran: unknown[] = [];
    const worker = createWorker(q, async (job) => void ran.push(job.payload), {
      sampleIntervalMs: 0,
      onError: () => {},
    });
    track(worker);
    await eventually('both reach the dead-letter queue', async () => (await q.counts()).dead === 2);
    assert.deepEqual(
      ran.filter((p) => p !== 0),
      [],
      'a hostile body ran',
    );
    assert.equal((await q.counts()).delayed, 0);
  }, 30_000);

  it('a message over the broker size limit is refused before publishing; other adds go on', async () => {
    const f = fixture();
    const name = f.queue();
    const q = queueIn(f, name, { keepCompletedMs: 0, maxPayloadBytes: 256 * 1024 * 1024 });
    const big = 'x'.repeat(129 * 1024 * 1024);
    const [oversize, small] = await Promise.allSettled([q.add('big', big), q.add('small', 1)]);
    assert.equal(oversize?.status, 'rejected');
    assert.ok(
      oversize?.status === 'rejected' && isBackendPatternsError(oversize.reason, 'ERR_JOB_PAYLOAD_TOO_LARGE'),
    );
    assert.equal(small?.status, 'fulfilled', 'an unrelated add failed with it');
    assert.equal((await q.counts()).ready, 1);
  }, 60_000);
});
