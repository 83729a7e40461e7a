import { createJobQueue } from 'backend-patterns/jobs';
import {
  createMemoryNotifyStore,
  createNotifier,
  createOutbox,
  type EmailMessage,
  type NotifyProvider,
  ProviderError,
} from 'backend-patterns/notify';
import { createRedisNotifyStore } from 'backend-patterns/notify/redis';
import { createManualClock } from 'backend-patterns/testing';
import type { DemoSection } from '../types.js';

/** Waits (real time) for background work the manual clock has released. */
async function until(check: () => boolean) {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
}

export const notifySection: DemoSection = {
  title: 'Notifier',
  problem:
    'deliver email/SMS despite provider outages and complaints: failover, idempotency, opt-outs, digests',
  async run({ redis, metrics, prefix, step }) {
    const clock = createManualClock(Date.UTC(2026, 0, 5, 12, 0, 0));
    const store = redis
      ? createRedisNotifyStore({ client: redis, prefix, clock })
      : createMemoryNotifyStore({ clock });
    const outbox = createOutbox();
    let outageCalls = 0;
    // A primary provider in an outage: every call is refused before acceptance (safe to fail over).
    const down: NotifyProvider<EmailMessage> = {
      name: 'primary',
      channel: 'email',
      idempotent: false,
      async send() {
        outageCalls++;
        throw new ProviderError('primary', 'unavailable', 'connection refused');
      },
    };
    const queue = createJobQueue({ name: 'demo-notify', clock });
    const notifier = createNotifier({
      channels: { email: { providers: [down, outbox.email], from: { address: 'app@example.com' } } },
      categories: { account: 'transactional', activity: 'transactional' },
      templates: {
        receipt: { category: 'account', email: { subject: 'Receipt {{n}}', text: 'Paid {{n}}' } },
        comment: {
          category: 'activity',
          email: { subject: 'New comment', text: '{{who}} commented' },
          digest: { windowMs: 3_600_000, template: 'comments' },
        },
        comments: { email: { subject: '{{count}} new comments', text: '{{#each items}}{{who}} {{/each}}' } },
      },
      store,
      queue,
      clock,
      metrics,
      circuit: { failuresToOpen: 2, openMs: 30_000 },
    });
    const worker = notifier.startWorker({ sampleIntervalMs: 0, onError: () => {} });
    const to = { userId: 'u1', email: 'ada@example.com' };

    for (let n = 1; n <= 3; n++)
      await notifier.send({ to, template: 'receipt', data: { n }, idempotencyKey: `receipt-${n}` });
    step(
      'send 3 receipts while the primary provider is down',
      `${outbox.messages.length} delivered by the fallback; primary called ${outageCalls} times (circuit open after 2 failures)`,
    );
    const again = await notifier.send({
      to,
      template: 'receipt',
      data: { n: 3 },
      idempotencyKey: 'receipt-3',
    });
    step(
      'retry receipt 3 with the same idempotency key',
      `replayed = ${again.channels[0]?.replayed ? 'yes' : 'no'}, still ${outbox.messages.length} messages (no double send)`,
    );

    for (const who of ['ann', 'bob', 'cid', 'dan'])
      await notifier.send({ to, template: 'comment', data: { who } });
    clock.advance(3_600_000);
    await until(() => outbox.messages.length === 4);
    await worker.close();
    const digest = outbox.messages.at(-1)?.message;
    step(
      '4 comment events in an hour, digest window 1 h',
      `1 digest message "${digest?.channel === 'email' ? digest.subject : ''}" for 4 events`,
    );

    const last = outbox.messages[0];
    if (last) {
      await notifier.track([
        {
          provider: last.provider,
          providerMessageId: last.providerMessageId,
          channel: 'email',
          status: 'bounced',
          permanent: true,
          recipient: to.email,
          atMs: clock.now(),
        },
      ]);
    }
    const suppressed = await notifier.send({ to, template: 'receipt', data: { n: 4 } });
    step(
      'the provider reports a hard bounce, then receipt 4 is sent',
      `receipt 4: ${suppressed.channels[0]?.status} (suppression list)`,
    );
  },
};
