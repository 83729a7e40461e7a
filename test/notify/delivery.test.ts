/**
 * Provider outages with in-module test providers: failover only on `unavailable`, retries with backoff
 * for `retryable`, `permanent` never retried, `ambiguous` (and a hang past the deadline) never retried
 * nor failed over unless the provider is idempotent, the per-provider circuit breaker, our own rate
 * limits, and idempotency keys so a retry never sends twice.
 */
import { describe, expect, it } from 'vitest';
import type { ManualClock } from '../../src/core/manual-clock.js';
import {
  createNotifier,
  type EmailMessage,
  type NotifierOptions,
  type NotifyProvider,
  type SmsMessage,
} from '../../src/notify/index.js';
import { createRateLimiter, fixedWindow } from '../../src/ratelimit/index.js';
import { createMemoryMetrics } from '../../src/testing/index.js';
import { drive, FROM, newClock, rejection, type ScriptedProvider, scripted, settle } from './fixtures.js';

const to = { userId: 'u1', email: 'ada@example.com', phone: '+14155550100' };
const templates = {
  receipt: { email: { subject: 'Receipt {{n}}', text: 'Paid {{n}}' } },
  both: { email: { subject: 'Hi', text: 'Hi' }, sms: { text: 'Hi' } },
};

function build(providers: NotifyProvider[], clock: ManualClock, extra: Partial<NotifierOptions> = {}) {
  const metrics = createMemoryMetrics();
  const notifier = createNotifier({
    channels: {
      email: { providers: providers as unknown as NotifyProvider<EmailMessage>[], from: FROM },
      sms: { providers: [scripted('sms0', 'sms', ['ok']) as unknown as NotifyProvider<SmsMessage>] },
      ...extra.channels,
    },
    categories: { transactional: 'transactional' },
    templates,
    clock,
    metrics,
    retry: { attempts: 3, minDelayMs: 1000, maxDelayMs: 8000 },
    attemptTimeoutMs: 5000,
    random: () => 0.5,
    ...extra,
  });
  return { notifier, metrics };
}

const send = (n: ReturnType<typeof build>['notifier'], key = 'k1', template = 'receipt') =>
  n.send({ to, template, data: { n: 1 }, idempotencyKey: key });

describe('failover and retries', () => {
  it('fails over to the next provider when the first is unavailable', async () => {
    const clock = newClock();
    const p1 = scripted('p1', 'email', ['unavailable']);
    const p2 = scripted('p2', 'email', ['ok']);
    const { notifier, metrics } = build([p1, p2], clock);
    const result = await send(notifier);
    expect(result.channels[0]).toMatchObject({ status: 'sent', provider: 'p2', attempts: 2 });
    expect(p2.calls[0]?.idempotencyKey).toBe(p1.calls[0]?.idempotencyKey);
    expect(
      metrics.counterValue('notify.deliveries', { channel: 'email', provider: 'p2', status: 'sent' }),
    ).toBe(1);
    expect(metrics.counterValue('notify.provider.errors', { provider: 'p1', failure: 'unavailable' })).toBe(
      1,
    );
  });

  it('retries a retryable failure on the same provider after a backoff, never failing over', async () => {
    const clock = newClock();
    const p1 = scripted('p1', 'email', ['retryable', 'retryable', 'ok']);
    const p2 = scripted('p2', 'email', ['ok']);
    const { notifier } = build([p1, p2], clock);
    const result = await drive(clock, send(notifier), 500);
    expect(result.channels[0]).toMatchObject({ status: 'sent', provider: 'p1', attempts: 3 });
    expect(p2.calls).toHaveLength(0);
  });

  it('gives up after the retry budget with DeliveryFailedError carrying the result', async () => {
    const clock = newClock();
    const p1 = scripted('p1', 'email', ['retryable']);
    const { notifier } = build([p1], clock);
    const error = await drive(
      clock,
      rejection(() => send(notifier)),
      500,
    );
    expect(error).toMatchObject({ code: 'ERR_NOTIFY_DELIVERY_FAILED', failure: 'retryable' });
    expect(error.result).toMatchObject({
      channels: [{ status: 'failed', failure: 'retryable', attempts: 3 }],
    });
    expect(p1.calls).toHaveLength(3);
    expect((error.cause as { code: string }).code).toBe('ERR_NOTIFY_PROVIDER');
  });

  it('never retries a permanent failure and never fails over after one', async () => {
    const clock = newClock();
    const p1 = scripted('p1', 'email', ['permanent']);
    const p2 = scripted('p2', 'email', ['ok']);
    const { notifier } = build([p1, p2], clock);
    expect(await rejection(() => send(notifier))).toMatchObject({ failure: 'permanent' });
    expect([p1.calls.length, p2.calls.length]).toEqual([1, 0]);
    // Nothing went out, so the key is free: a fixed message may go under it.
    p1.script = ['ok'];
    expect((await send(notifier)).channels[0]).toMatchObject({ status: 'sent', replayed: false });
  });

  it('an ambiguous failure is neither retried nor failed over, and a retry of the send does not resend', async () => {
    const clock = newClock();
    const p1 = scripted('p1', 'email', ['ambiguous', 'ok']);
    const p2 = scripted('p2', 'email', ['ok']);
    const { notifier } = build([p1, p2], clock);
    expect(await rejection(() => send(notifier))).toMatchObject({ failure: 'ambiguous' });
    const again = await rejection(() => send(notifier));
    expect(again).toMatchObject({ code: 'ERR_NOTIFY_DELIVERY_FAILED', failure: 'ambiguous' });
    expect(again.result).toMatchObject({ channels: [{ status: 'failed', replayed: true }] });
    expect([p1.calls.length, p2.calls.length]).toEqual([1, 0]);
  });

  it('a provider hanging past the deadline is ambiguous: aborted, not retried, not failed over, not resent', async () => {
    const clock = newClock();
    const p1 = scripted('p1', 'email', ['hang']);
    const p2 = scripted('p2', 'email', ['ok']);
    const { notifier } = build([p1, p2], clock);
    const error = await drive(
      clock,
      rejection(() => send(notifier)),
      1000,
    );
    expect(error).toMatchObject({ failure: 'ambiguous' });
    expect(p1.calls[0]?.aborted()).toBe(true);
    await drive(
      clock,
      rejection(() => send(notifier)),
      1000,
    );
    expect([p1.calls.length, p2.calls.length]).toEqual([1, 0]);
  });

  it('an idempotent provider is retried after an ambiguous failure, with the same idempotency key', async () => {
    const clock = newClock();
    const p1 = scripted('p1', 'email', ['ambiguous', 'ok'], { idempotent: true });
    const p2 = scripted('p2', 'email', ['ok']);
    const { notifier } = build([p1, p2], clock);
    const result = await drive(clock, send(notifier), 500);
    expect(result.channels[0]).toMatchObject({ status: 'sent', provider: 'p1', attempts: 2 });
    expect(p1.calls[0]?.idempotencyKey).toBe(p1.calls[1]?.idempotencyKey);
    expect(p2.calls).toHaveLength(0);
  });

  it('retries the whole chain after a backoff when every provider is unavailable', async () => {
    const clock = newClock();
    const p1 = scripted('p1', 'email', ['unavailable', 'unavailable', 'ok']);
    const p2 = scripted('p2', 'email', ['unavailable']);
    const { notifier } = build([p1, p2], clock);
    const result = await drive(clock, send(notifier), 500);
    expect(result.channels[0]).toMatchObject({ status: 'sent', provider: 'p1', attempts: 5 });
  });

  it('honours Retry-After above the backoff, and stops when it exceeds maxDelayMs', async () => {
    const clock = newClock();
    const p1 = scripted('p1', 'email', ['unavailable'], { retryAfterMs: 60_000 });
    const { notifier } = build([p1], clock);
    expect(
      await drive(
        clock,
        rejection(() => send(notifier)),
        500,
      ),
    ).toMatchObject({ failure: 'unavailable' });
    expect(p1.calls).toHaveLength(1);
  });

  it('a provider that breaks its contract (a plain Error, no message id) counts as ambiguous', async () => {
    const clock = newClock();
    const broken: NotifyProvider = {
      name: 'broken',
      channel: 'email',
      idempotent: false,
      send: async () => {
        throw new TypeError('oops');
      },
    };
    const { notifier } = build([broken], clock);
    expect(await rejection(() => send(notifier))).toMatchObject({ failure: 'ambiguous' });
    const noId: NotifyProvider = {
      name: 'noid',
      channel: 'email',
      idempotent: false,
      send: async () => ({ providerMessageId: '' }),
    };
    expect(await rejection(() => send(build([noId], newClock()).notifier))).toMatchObject({
      failure: 'ambiguous',
    });
  });
});

describe('circuit breaker per provider', () => {
  it('opens after consecutive failures, skips the provider while open, and probes after openMs', async () => {
    const clock = newClock();
    const p1 = scripted('p1', 'email', ['unavailable']);
    const p2 = scripted('p2', 'email', ['ok']);
    const { notifier, metrics } = build([p1, p2], clock, { circuit: { failuresToOpen: 2, openMs: 30_000 } });
    for (let i = 0; i < 4; i++) await send(notifier, `k${i}`);
    expect(p1.calls).toHaveLength(2); // open after 2: the next sends skip it
    expect(p2.calls).toHaveLength(4);
    expect(metrics.gaugeValue('notify.provider.circuit', { provider: 'p1' })).toBe(2);
    clock.advance(30_000);
    p1.script = ['ok'];
    expect((await send(notifier, 'k-probe')).channels[0]).toMatchObject({ provider: 'p1' });
    expect(metrics.gaugeValue('notify.provider.circuit', { provider: 'p1' })).toBe(0);
  });

  it('permanent and retryable failures do not open it (they are not the provider being down)', async () => {
    const clock = newClock();
    const p1 = scripted('p1', 'email', ['permanent']);
    const { notifier } = build([p1], clock, { circuit: { failuresToOpen: 1, openMs: 30_000 } });
    for (let i = 0; i < 3; i++) await rejection(() => send(notifier, `k${i}`));
    expect(p1.calls).toHaveLength(3);
  });
});

describe('rate limits per provider', () => {
  it('a provider at its limit is skipped for the next one (nothing was sent, so failing over is safe)', async () => {
    const clock = newClock();
    const p1 = scripted('p1', 'email', ['ok']);
    const p2 = scripted('p2', 'email', ['ok']);
    const limiter = createRateLimiter({
      name: 'p1',
      algorithm: fixedWindow({ limit: 1, windowMs: 1000 }),
      clock,
    });
    const { notifier } = build([p1, p2], clock, { limits: { p1: limiter } });
    await send(notifier, 'a');
    await send(notifier, 'b');
    expect([p1.calls.length, p2.calls.length]).toEqual([1, 1]);
  });

  it('with one provider, a send waits for the limit (up to rateLimitWaitMs), then fails unavailable', async () => {
    const clock = newClock();
    const p1 = scripted('p1', 'email', ['ok']);
    const limiter = createRateLimiter({
      name: 'p1',
      algorithm: fixedWindow({ limit: 1, windowMs: 1000 }),
      clock,
    });
    const { notifier } = build([p1], clock, { limits: { p1: limiter }, rateLimitWaitMs: 2000 });
    await send(notifier, 'a');
    expect((await drive(clock, send(notifier, 'b'), 100)).channels[0]).toMatchObject({ status: 'sent' });
    const tight = build([scripted('p9', 'email', ['ok'])], clock, {
      limits: {
        p9: createRateLimiter({ name: 'p9', algorithm: fixedWindow({ limit: 1, windowMs: 60_000 }), clock }),
      },
      rateLimitWaitMs: 1000,
    });
    await send(tight.notifier, 'c');
    expect(
      await drive(
        clock,
        rejection(() => send(tight.notifier, 'd')),
        100,
      ),
    ).toMatchObject({ failure: 'unavailable' });
  });
});

describe('idempotency', () => {
  it('a second send with the same key replays the first outcome and sends nothing', async () => {
    const clock = newClock();
    const p1 = scripted('p1', 'email', ['ok']);
    const { notifier, metrics } = build([p1], clock);
    const first = await send(notifier);
    const second = await send(notifier);
    expect(second.channels[0]).toEqual({ ...first.channels[0], replayed: true });
    expect(p1.calls).toHaveLength(1);
    expect(
      metrics.counterValue('notify.deliveries', { channel: 'email', provider: 'p1', status: 'attempted' }),
    ).toBe(1);
  });

  it('the same key for another message is ERR_NOTIFY_IDEMPOTENCY_MISMATCH', async () => {
    const clock = newClock();
    const { notifier } = build([scripted('p1', 'email', ['ok'])], clock);
    await send(notifier);
    expect(
      await rejection(() => notifier.send({ to, template: 'receipt', data: { n: 2 }, idempotencyKey: 'k1' })),
    ).toMatchObject({
      code: 'ERR_NOTIFY_IDEMPOTENCY_MISMATCH',
    });
  });

  it('a concurrent duplicate gets ERR_NOTIFY_IN_PROGRESS while the first is sending, and sends nothing', async () => {
    const clock = newClock();
    let release: () => void = () => {};
    const slow: NotifyProvider = {
      name: 'slow',
      channel: 'email',
      idempotent: false,
      send: () => new Promise((resolve) => (release = () => resolve({ providerMessageId: 'pm-1' }))),
    };
    const { notifier } = build([slow], clock);
    const first = send(notifier);
    await settle();
    const duplicate = await rejection(() => send(notifier));
    expect(duplicate).toMatchObject({ code: 'ERR_NOTIFY_IN_PROGRESS', idempotencyKey: 'k1' });
    release();
    expect((await first).channels[0]).toMatchObject({ status: 'sent' });
    expect((await send(notifier)).channels[0]).toMatchObject({ status: 'sent', replayed: true });
  });

  it('per channel: a failed SMS beside a sent email is retried alone', async () => {
    const clock = newClock();
    const mail = scripted('mail', 'email', ['ok']);
    const sms = scripted('sms', 'sms', ['unavailable', 'ok']);
    const { notifier } = build([mail], clock, {
      channels: {
        email: { providers: [mail as unknown as NotifyProvider<EmailMessage>], from: FROM },
        sms: { providers: [sms as unknown as NotifyProvider<SmsMessage>] },
      },
      retry: { attempts: 1, minDelayMs: 1, maxDelayMs: 1 },
    });
    const error = await rejection(() => send(notifier, 'k', 'both'));
    expect(error.result).toMatchObject({
      channels: [
        { channel: 'email', status: 'sent' },
        { channel: 'sms', status: 'failed' },
      ],
    });
    const retry = await send(notifier, 'k', 'both');
    expect(retry.channels).toMatchObject([
      { channel: 'email', status: 'sent', replayed: true },
      { channel: 'sms', status: 'sent', replayed: false },
    ]);
    expect([mail.calls.length, sms.calls.length]).toEqual([1, 2]);
  });
});

describe('the metric', () => {
  it('counts attempted, sent, then provider events; success rate = delivered / (attempted - suppressed)', async () => {
    const clock = newClock();
    const p1 = scripted('p1', 'email', ['ok']) as ScriptedProvider;
    const { notifier, metrics } = build([p1], clock);
    const sent = await send(notifier, 'a');
    const messageId = sent.channels[0]?.status === 'sent' ? sent.channels[0].messageId : '';
    await notifier.suppress({ channel: 'email', recipient: 'grace@example.com', reason: 'manual' });
    const suppressed = await notifier.send({
      to: { userId: 'u2', email: 'Grace@Example.com' },
      template: 'receipt',
      data: { n: 1 },
    });
    expect(suppressed.channels[0]).toMatchObject({ status: 'suppressed', reason: 'manual' });
    expect(
      await notifier.track([
        {
          messageId,
          provider: 'p1',
          channel: 'email',
          status: 'delivered',
          recipient: to.email,
          atMs: clock.now(),
        },
      ]),
    ).toEqual({
      updated: 1,
      ignored: 0,
      unknown: 0,
      suppressed: 0,
    });
    const value = (provider: string, status: string) =>
      metrics.counterValue('notify.deliveries', { channel: 'email', provider, status });
    const attempted = value('p1', 'attempted') + value('none', 'attempted');
    expect(value('p1', 'delivered') / (attempted - value('none', 'suppressed'))).toBe(1);
    expect((await notifier.getDelivery({ messageId }))?.status).toBe('delivered');
  });
});
