/**
 * Real-time vs digest, and quiet hours in the recipient's zone, under the manual clock, through the
 * JobQueue's public API (a memory backend and a real worker), including both 2026 DST changes of
 * America/New_York (2026-03-08 and 2026-11-01).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ManualClock } from '../../src/core/manual-clock.js';
import { createJobQueue, type Worker } from '../../src/jobs/index.js';
import { createNotifier, createOutbox, type NotifierOptions } from '../../src/notify/index.js';
import { quietUntil } from '../../src/notify/schedule.js';
import { createMemoryMetrics } from '../../src/testing/index.js';
import { FROM, newClock, settle } from './fixtures.js';

const NIGHT = { startMinute: 22 * 60, endMinute: 7 * 60 };
const NY = 'America/New_York';

describe('quietUntil (DST-correct)', () => {
  it('ends at 07:00 local on the day clocks go forward (EDT, UTC-4), not at 07:00 EST', () => {
    // 2026-03-07 23:00 EST = 2026-03-08 04:00Z; clocks go 02:00 → 03:00 that night.
    expect(quietUntil(Date.UTC(2026, 2, 8, 4, 0), NY, NIGHT)).toBe(Date.UTC(2026, 2, 8, 11, 0));
  });
  it('ends at 07:00 local on the day clocks go back (EST, UTC-5)', () => {
    // 2026-10-31 23:00 EDT = 2026-11-01 03:00Z; clocks go 02:00 → 01:00 that night.
    expect(quietUntil(Date.UTC(2026, 10, 1, 3, 0), NY, NIGHT)).toBe(Date.UTC(2026, 10, 1, 12, 0));
  });
  it('after midnight the window ends the same morning; outside it there is no wait', () => {
    expect(quietUntil(Date.UTC(2026, 0, 5, 6, 30), NY, NIGHT)).toBe(Date.UTC(2026, 0, 5, 12, 0)); // 01:30 EST
    expect(quietUntil(Date.UTC(2026, 0, 5, 17, 0), NY, NIGHT)).toBeUndefined(); // noon EST
    expect(quietUntil(Date.UTC(2026, 0, 5, 12, 0), NY, NIGHT)).toBeUndefined(); // 07:00 EST: the end is open
  });
  it('a window ending in the skipped hour ends at the first instant after the gap', () => {
    // Quiet 01:00–02:30 on 2026-03-08: 02:30 does not exist in New York; it ends at 03:00 EDT (07:00Z).
    const window = { startMinute: 60, endMinute: 150 };
    expect(quietUntil(Date.UTC(2026, 2, 8, 6, 30), NY, window)).toBe(Date.UTC(2026, 2, 8, 7, 30));
  });
  it('a window ending in the repeated hour ends at its first occurrence', () => {
    // Quiet 00:00–01:30 on 2026-11-01: 01:30 happens twice; the first is EDT (05:30Z).
    const window = { startMinute: 0, endMinute: 90 };
    expect(quietUntil(Date.UTC(2026, 10, 1, 4, 30), NY, window)).toBe(Date.UTC(2026, 10, 1, 5, 30));
  });
  it('works for zones east of UTC and with half-hour offsets', () => {
    expect(quietUntil(Date.UTC(2026, 0, 5, 18, 0), 'Asia/Kolkata', NIGHT)).toBe(Date.UTC(2026, 0, 6, 1, 30)); // 23:30 IST → 07:00 IST
  });
});

/** Waits (real time) for background work released by the manual clock. */
async function until(check: () => boolean | Promise<boolean>) {
  for (let i = 0; i < 500 && !(await check()); i++) await new Promise((r) => setTimeout(r, 5));
  expect(await check()).toBe(true);
}

const workers: Worker[] = [];
afterEach(async () => {
  for (const w of workers.splice(0)) await w.close({ timeoutMs: 1000 });
});

function build(clock: ManualClock, extra: Partial<NotifierOptions> = {}) {
  const outbox = createOutbox();
  const metrics = createMemoryMetrics();
  const queue = createJobQueue({ name: 'notify-test', clock });
  const notifier = createNotifier({
    channels: { email: { providers: [outbox.email], from: FROM } },
    categories: { transactional: 'transactional', activity: 'transactional' },
    templates: {
      alert: { email: { subject: 'Alert {{what}}', text: 'Alert {{what}}' } },
      comment: {
        category: 'activity',
        email: { subject: 'New comment', text: '{{who}} commented' },
        digest: { windowMs: 3_600_000, template: 'comments-digest', maxItems: 3 },
      },
      'comments-digest': {
        email: {
          subject: '{{count}} new comments',
          text: '{{#each items}}{{who}};{{/each}}{{#if truncated}} and more{{/if}}',
        },
      },
    },
    queue,
    clock,
    metrics,
    ...extra,
  });
  workers.push(notifier.startWorker({ sampleIntervalMs: 0, onError: () => {} }));
  return { outbox, notifier, queue, metrics };
}

describe('quiet hours through the queue', () => {
  it('a normal message at 23:00 New York time on 2026-03-07 goes out at 07:00 EDT; a high-priority one at once', async () => {
    const clock = newClock(Date.UTC(2026, 2, 8, 4, 0));
    const { notifier, outbox } = build(clock, { quietHours: { start: '22:00', end: '07:00' } });
    const recipient = { userId: 'u1', email: 'ada@example.com', timeZone: NY };
    const normal = await notifier.send({ to: recipient, template: 'alert', data: { what: 'digest' } });
    expect(normal.channels[0]).toMatchObject({
      status: 'queued',
      reason: 'quiet-hours',
      runAtMs: Date.UTC(2026, 2, 8, 11, 0),
    });
    const urgent = await notifier.send({
      to: recipient,
      template: 'alert',
      data: { what: 'fraud' },
      priority: 'high',
    });
    expect(urgent.channels[0]).toMatchObject({ status: 'sent' });
    expect(outbox.messages).toHaveLength(1);
    clock.set(Date.UTC(2026, 2, 8, 11, 0) - 1);
    await settle();
    expect(outbox.messages).toHaveLength(1);
    clock.set(Date.UTC(2026, 2, 8, 11, 0));
    await until(() => outbox.messages.length === 2);
    const late = outbox.messages[1]?.message;
    expect(late?.channel === 'email' && late.subject).toBe('Alert digest');
  });

  it('on 2026-11-01 the deferred send waits until 07:00 EST (12:00Z); a recipient can turn quiet hours off', async () => {
    const clock = newClock(Date.UTC(2026, 10, 1, 3, 0));
    const { notifier, outbox } = build(clock, { quietHours: { start: '22:00', end: '07:00' } });
    const queued = await notifier.send({
      to: { userId: 'u1', email: 'ada@example.com', timeZone: NY },
      template: 'alert',
      data: { what: 'x' },
    });
    expect(queued.channels[0]).toMatchObject({ status: 'queued', runAtMs: Date.UTC(2026, 10, 1, 12, 0) });
    const own = await notifier.send({
      to: { userId: 'u2', email: 'bob@example.com', timeZone: NY, quietHours: null },
      template: 'alert',
      data: { what: 'y' },
    });
    expect(own.channels[0]).toMatchObject({ status: 'sent' });
    clock.set(Date.UTC(2026, 10, 1, 12, 0));
    await until(() => outbox.messages.length === 2);
  });

  it('suppression is checked again when a digest flushes (nothing goes to an address suppressed meanwhile)', async () => {
    const clock = newClock(Date.UTC(2026, 2, 8, 4, 0));
    const { notifier, outbox, queue, metrics } = build(clock, {
      quietHours: { start: '22:00', end: '07:00' },
      categories: { transactional: 'transactional', activity: 'promotional' },
      unsubscribe: { keys: [{ id: 'k', secret: new Uint8Array(32).fill(1) }], url: 'https://example.com/u' },
    });
    const recipient = { userId: 'u1', email: 'ada@example.com', timeZone: NY };
    const queued = await notifier.send({
      to: recipient,
      template: 'comment',
      data: { who: 'x' },
      priority: 'low',
      channels: ['email'],
    });
    expect(queued.channels[0]?.status).toBe('queued');
    await notifier.suppress({ channel: 'email', recipient: 'ada@example.com', reason: 'manual' });
    clock.advance(4 * 3_600_000);
    await until(
      () =>
        metrics.counterValue('notify.deliveries', {
          channel: 'email',
          provider: 'none',
          status: 'suppressed',
        }) === 1,
    );
    const counts = await queue.counts();
    expect(counts.ready + counts.delayed + counts.active).toBe(0);
    expect(outbox.messages).toHaveLength(0);
  });
});

describe('digests through the queue', () => {
  it('N events in the window become one message; a high-priority one skips the digest', async () => {
    const clock = newClock();
    const { notifier, outbox } = build(clock);
    const recipient = { userId: 'u1', email: 'ada@example.com' };
    for (const who of ['ann', 'bob', 'cid', 'dan', 'eve']) {
      const r = await notifier.send({ to: recipient, template: 'comment', data: { who } });
      expect(r.channels[0]).toMatchObject({ status: 'queued', reason: 'digest' });
    }
    const urgent = await notifier.send({
      to: recipient,
      template: 'comment',
      data: { who: 'boss' },
      priority: 'high',
    });
    expect(urgent.channels[0]?.status).toBe('sent');
    const other = await notifier.send({
      to: { userId: 'u2', email: 'bob@example.com' },
      template: 'comment',
      data: { who: 'ann' },
    });
    expect(other.channels[0]?.status).toBe('queued');
    expect(outbox.messages).toHaveLength(1);
    clock.advance(3_600_000);
    await until(() => outbox.messages.length === 3);
    const digests = outbox.messages
      .slice(1)
      .map((m) =>
        m.message.channel === 'email' ? [m.message.to.address, m.message.subject, m.message.text] : [],
      );
    expect(digests).toContainEqual(['ada@example.com', '5 new comments', 'ann;bob;cid; and more']);
    expect(digests).toContainEqual(['bob@example.com', '1 new comments', 'ann;']);
    // The next event opens a new window.
    const next = await notifier.send({ to: recipient, template: 'comment', data: { who: 'fay' } });
    expect(next.channels[0]).toMatchObject({ status: 'queued', runAtMs: clock.now() + 3_600_000 });
  });

  it('a failed digest delivery puts its items back for the next window', async () => {
    const clock = newClock();
    let fail = true;
    let calls = 0;
    const flakyCalls = () => calls;
    const outbox = createOutbox();
    const flaky = {
      ...outbox.email,
      name: 'flaky',
      async send(
        message: Parameters<typeof outbox.email.send>[0],
        context: Parameters<typeof outbox.email.send>[1],
      ) {
        calls++;
        if (fail) {
          const { ProviderError } = await import('../../src/notify/index.js');
          throw new ProviderError('flaky', 'permanent', 'down');
        }
        return outbox.email.send(message, context);
      },
    };
    const { notifier, queue } = build(clock, { channels: { email: { providers: [flaky], from: FROM } } });
    await notifier.send({
      to: { userId: 'u1', email: 'ada@example.com' },
      template: 'comment',
      data: { who: 'ann' },
    });
    expect((await queue.counts()).delayed).toBe(1);
    clock.advance(3_600_000);
    // The flush job ran, failed to deliver, and the put-back scheduled a new flush.
    for (let i = 0; i < 500; i++) {
      const c = await queue.counts();
      if (c.delayed === 1 && c.ready + c.active === 0 && flakyCalls() === 1) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(flakyCalls()).toBe(1);
    expect((await queue.counts()).delayed).toBe(1);
    fail = false;
    clock.advance(3_600_000);
    await until(() => outbox.messages.length === 1);
    expect(outbox.messages[0]?.message.channel === 'email' && outbox.messages[0].message.text).toBe('ann;');
  });
});

describe('our own rate limit with a queue', () => {
  it('a normal send over the provider limit is queued for when the limit has room; a high-priority one waits inline', async () => {
    const clock = newClock();
    const { createRateLimiter, fixedWindow } = await import('../../src/ratelimit/index.js');
    const outbox = createOutbox();
    const limiter = createRateLimiter({
      name: 'mail',
      algorithm: fixedWindow({ limit: 1, windowMs: 60_000 }),
      clock,
    });
    const { notifier } = build(clock, {
      channels: { email: { providers: [outbox.email], from: FROM } },
      limits: { 'outbox-email': limiter },
    });
    const to = { userId: 'u1', email: 'ada@example.com' };
    expect((await notifier.send({ to, template: 'alert', data: { what: 'a' } })).channels[0]?.status).toBe(
      'sent',
    );
    const limited = await notifier.send({ to, template: 'alert', data: { what: 'b' } });
    expect(limited.channels[0]).toMatchObject({ status: 'queued', reason: 'rate-limited' });
    const runAtMs = limited.channels[0]?.status === 'queued' ? limited.channels[0].runAtMs : 0;
    expect(runAtMs).toBeGreaterThan(clock.now());
    expect(outbox.messages).toHaveLength(1);
    clock.set(runAtMs);
    await until(() => outbox.messages.length === 2);
    expect(outbox.messages[1]?.message.channel === 'email' && outbox.messages[1].message.subject).toBe(
      'Alert b',
    );
  });
});
