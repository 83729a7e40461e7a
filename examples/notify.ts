/**
 * Notifier end to end, with no network: the outbox provider keeps what would be sent and the memory
 * store holds preferences, suppressions and idempotency. A welcome email (layout, derived text part),
 * the same send retried (idempotency: nothing sent twice), a promotional mail with its one-click
 * unsubscribe headers, the unsubscribe itself, a hard bounce feeding the suppression list, and the
 * delivery metric.
 *
 *   npm run example -- notify
 */
import { randomBytes } from 'node:crypto';
import { createNotifier, createOutbox } from 'backend-patterns/notify';
import { createMemoryMetrics } from 'backend-patterns/testing';

const outbox = createOutbox();
const metrics = createMemoryMetrics();
const notifier = createNotifier({
  channels: {
    email: { providers: [outbox.email], from: { address: 'hello@example.com', name: 'Example' } },
    sms: { providers: [outbox.sms] },
  },
  categories: { account: 'transactional', newsletter: 'promotional' },
  layouts: { main: '<html><body>{{{body}}}<hr><p>Example Inc.</p></body></html>' },
  templates: {
    welcome: {
      category: 'account',
      email: {
        subject: 'Welcome, {{name}}',
        html: '<h1>Hi {{name}}</h1><p><a href="{{link}}">Start here</a></p>',
        layout: 'main',
      },
      sms: { text: 'Welcome to Example, {{name}}!' },
      locales: {
        fr: { email: { subject: 'Bienvenue, {{name}}', html: '<h1>Salut {{name}}</h1>', layout: 'main' } },
      },
    },
    news: {
      category: 'newsletter',
      email: {
        subject: 'What is new',
        html: '<p>{{headline}}</p><p><a href="{{unsubscribeUrl}}">Unsubscribe</a></p>',
      },
    },
  },
  unsubscribe: { keys: [{ id: 'k1', secret: randomBytes(32) }], url: 'https://example.com/unsubscribe' },
  metrics,
});

const ada = { userId: 'u-ada', email: 'ada@example.com', name: 'Ada Lovelace', phone: '+14155550100' };

// 1. A transactional send on two channels, with an idempotency key.
const welcome = {
  to: ada,
  template: 'welcome',
  data: { name: 'Ada', link: 'https://example.com/start' },
  idempotencyKey: 'welcome:u-ada',
};
const first = await notifier.send(welcome);
console.log('welcome:', first.channels.map((c) => `${c.channel} ${c.status}`).join(', '));
const email = outbox.messages[0]?.message;
if (email?.channel === 'email')
  console.log(`  subject "${email.subject}", text part:\n    ${email.text.replace(/\n/g, '\n    ')}`);

// 2. The caller times out and retries: the stored outcome comes back, nothing is sent again.
const retry = await notifier.send(welcome);
console.log(
  `retry with the same key: replayed=${retry.channels.every((c) => c.replayed)}, outbox holds ${outbox.messages.length} messages`,
);

// 3. Locale fallback: fr-CA falls back to fr for email; SMS has no fr part and uses the default.
const preview = await notifier.preview({ ...welcome, to: { ...ada, locale: 'fr-CA' } });
console.log(
  `preview in fr-CA: ${preview.messages.map((m) => (m.channel === 'email' ? m.subject : m.channel === 'sms' ? m.text : '')).join(' | ')}`,
);

// 4. Promotional mail carries List-Unsubscribe and the RFC 8058 one-click header.
await notifier.send({ to: ada, template: 'news', data: { headline: 'Digests are here' } });
const news = outbox.messages.at(-1)?.message;
if (news?.channel === 'email') {
  console.log(`newsletter headers: List-Unsubscribe-Post: ${news.headers['List-Unsubscribe-Post']}`);
  // The mail client POSTs to the URL; your route hands the token to handleUnsubscribe.
  const token = new URL(
    /<(https:[^>]+)>/.exec(news.headers['List-Unsubscribe'] ?? '')?.[1] ?? '',
  ).searchParams.get('token');
  const claims = await notifier.handleUnsubscribe(token ?? '');
  console.log(
    `one-click unsubscribe: user ${claims.userId} opted out of ${claims.category} on ${claims.channel}`,
  );
}
const after = await notifier.send({ to: ada, template: 'news', data: { headline: 'Second issue' } });
console.log(
  `next newsletter: ${after.channels.map((c) => `${c.status}${c.status === 'skipped' ? ` (${c.reason})` : ''}`).join(', ')}`,
);

// 5. The provider reports a hard bounce: the address is suppressed for every category.
const sent = first.channels.find((c) => c.channel === 'email');
if (sent?.status === 'sent') {
  await notifier.track([
    {
      messageId: sent.messageId,
      provider: sent.provider,
      channel: 'email',
      status: 'bounced',
      permanent: true,
      recipient: ada.email,
      atMs: Date.now(),
    },
  ]);
}
const blocked = await notifier.send({
  to: ada,
  template: 'welcome',
  data: { name: 'Ada', link: 'https://example.com' },
});
console.log(`after a hard bounce: ${blocked.channels.map((c) => `${c.channel} ${c.status}`).join(', ')}`);

const count = (status: string) =>
  ['outbox-email', 'outbox-sms', 'none'].reduce(
    (n, provider) => n + metrics.counterValue('notify.deliveries', { channel: 'email', provider, status }),
    0,
  );
console.log(
  `notify.deliveries (email): attempted ${count('attempted')}, sent ${count('sent')}, bounced ${count('bounced')}, suppressed ${count('suppressed')}`,
);
