/**
 * Hostile input: each case is a typed error before anything is sent, or a safe render. The outbox is
 * checked after every refused send: nothing half-sent.
 */
import { describe, expect, it } from 'vitest';
import { createNotifier, createOutbox, normalizeEmail } from '../../src/notify/index.js';
import { FROM, newClock, rejection } from './fixtures.js';

function build() {
  const outbox = createOutbox();
  const notifier = createNotifier({
    channels: {
      email: { providers: [outbox.email], from: FROM },
      sms: { providers: [outbox.sms] },
      webhook: { providers: [outbox.webhook] },
    },
    categories: { transactional: 'transactional' },
    templates: {
      t: {
        email: { subject: 'Hello {{subject}}', html: '<p>{{body}}</p>' },
        sms: { text: '{{body}}' },
        webhook: { type: 'user.hello' },
      },
    },
    clock: newClock(),
  });
  return { outbox, notifier };
}

const to = {
  userId: 'u1',
  email: 'ada@example.com',
  phone: '+14155550100',
  webhookUrl: 'https://hooks.example.com/in',
};

async function refused(data: Record<string, unknown>, recipient: Record<string, unknown> = to) {
  const { notifier, outbox } = build();
  const error = await rejection(() =>
    notifier.send({ to: recipient as typeof to, template: 't', data: { subject: 's', body: 'b', ...data } }),
  );
  expect(outbox.messages).toEqual([]); // nothing half-sent: not even the channels whose input was fine
  return error;
}

describe('header injection', () => {
  it.each([
    ['CRLF', 'hi\r\nBcc: victim@example.com'],
    ['LF', 'hi\nBcc: x@example.com'],
    ['CR', 'hi\rX: y'],
    ['NUL', 'hi\u0000'],
    ['unicode line separator', 'hi\u2028there'],
  ])('a subject rendered with %s is ERR_NOTIFY_HEADER_INJECTION', async (_, subject) => {
    expect(await refused({ subject })).toMatchObject({
      code: 'ERR_NOTIFY_HEADER_INJECTION',
      field: 'subject',
    });
  });

  it('CRLF in to, the display name and from is refused', async () => {
    expect(await refused({}, { ...to, email: 'ada@example.com\r\nBcc: x@example.com' })).toMatchObject({
      code: 'ERR_NOTIFY_HEADER_INJECTION',
    });
    expect(await refused({}, { ...to, name: 'Ada\r\nBcc: x@example.com' })).toMatchObject({
      code: 'ERR_NOTIFY_HEADER_INJECTION',
      field: 'to.name',
    });
    expect(() =>
      createNotifier({
        channels: {
          email: {
            providers: [createOutbox().email],
            from: { address: 'a@example.com', name: 'App\r\nBcc: x@y.z' },
          },
        },
        categories: { transactional: 'transactional' },
        templates: { t: { email: { subject: 's', text: 't' } } },
      }),
    ).toThrow(expect.objectContaining({ code: 'ERR_NOTIFY_HEADER_INJECTION' }));
    expect(() =>
      createNotifier({
        channels: {
          email: { providers: [createOutbox().email], from: { address: 'a@example.com\r\nBcc: x@y.z' } },
        },
        categories: { transactional: 'transactional' },
        templates: { t: { email: { subject: 's', text: 't' } } },
      }),
    ).toThrow(expect.objectContaining({ code: 'ERR_NOTIFY_HEADER_INJECTION' }));
  });

  it('a tab in a subject is folding white space, not an injection', async () => {
    const { notifier, outbox } = build();
    await notifier.send({ to, template: 't', data: { subject: 'a\tb', body: 'x' } });
    expect(outbox.messages).toHaveLength(3);
  });
});

describe('data', () => {
  it('a 10 MB data object is ERR_NOTIFY_DATA_TOO_LARGE, measured without being rendered', async () => {
    const big = { subject: 's', body: 'x'.repeat(10 * 1024 * 1024) };
    expect(await refused(big)).toMatchObject({ code: 'ERR_NOTIFY_DATA_TOO_LARGE', maxBytes: 256 * 1024 });
    const many = { subject: 's', body: 'b', rows: Array.from({ length: 500_000 }, (_, i) => ({ i })) };
    expect(await refused(many)).toMatchObject({ code: 'ERR_NOTIFY_DATA_TOO_LARGE' });
  });

  it.each([
    ['__proto__ (from JSON)', JSON.parse('{"__proto__": {"polluted": true}}')],
    ['constructor', { constructor: { prototype: { polluted: true } } }],
    ['nested prototype', { a: [{ prototype: 1 }] }],
    ['a function', { f: () => 1 }],
    ['a symbol', { s: Symbol('x') }],
    ['a bigint', { n: 10n }],
    ['NaN', { n: Number.NaN }],
    ['a Date', { d: new Date(0) }],
    ['a class instance', { m: new Map() }],
    ['a lone surrogate', { s: '\ud800' }],
  ])('%s in data is ERR_NOTIFY_INVALID_DATA', async (_, data) => {
    expect(await refused({ nested: data })).toMatchObject({ code: 'ERR_NOTIFY_INVALID_DATA' });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('a cycle and absurd nesting are refused', async () => {
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(await refused({ cycle })).toMatchObject({ code: 'ERR_NOTIFY_INVALID_DATA' });
    let deep: Record<string, unknown> = {};
    for (let i = 0; i < 100; i++) deep = { deep };
    expect(await refused({ deep })).toMatchObject({ code: 'ERR_NOTIFY_INVALID_DATA' });
  });

  it('template-looking data renders as text on every channel', async () => {
    const { notifier, outbox } = build();
    await notifier.send({
      to,
      template: 't',
      data: { subject: '{{7*7}}', body: '{{#each this}}x{{/each}} {{{raw}}}' },
    });
    const [email, sms, hook] = outbox.messages.map((m) => m.message);
    expect(email?.channel === 'email' && email.subject).toBe('Hello {{7*7}}');
    expect(sms?.channel === 'sms' && sms.text).toBe('{{#each this}}x{{/each}} {{{raw}}}');
    expect(hook?.channel === 'webhook' && hook.data).toEqual({
      subject: '{{7*7}}',
      body: '{{#each this}}x{{/each}} {{{raw}}}',
    });
  });

  it('data of the wrong shape is refused', async () => {
    const { notifier } = build();
    for (const data of [[1, 2], 'text', 42, null]) {
      expect(await rejection(() => notifier.send({ to, template: 't', data: data as never }))).toMatchObject({
        code: 'ERR_NOTIFY_INVALID_DATA',
      });
    }
  });
});

describe('addresses', () => {
  it.each([
    'plain',
    '@example.com',
    'ada@',
    'ada@@example.com',
    'ada@example',
    'ada@-example.com',
    'ada@example..com',
    'ada@example.123',
    '"quoted"@example.com',
    'a b@example.com',
    'ada.@example.com',
    '.ada@example.com',
    `${'a'.repeat(65)}@example.com`,
    `ada@${'a'.repeat(250)}.com`,
    'ada@[127.0.0.1]',
    'ada@exa_mple.com',
  ])('%s is not an email address (ERR_NOTIFY_INVALID_RECIPIENT)', async (email) => {
    expect(await refused({}, { ...to, email })).toMatchObject({
      code: 'ERR_NOTIFY_INVALID_RECIPIENT',
      field: 'to.email',
    });
  });

  it('IDN domains are turned to ASCII; practical local parts are accepted', () => {
    expect(normalizeEmail('e', 'ada@Bücher.DE')).toBe('ada@xn--bcher-kva.de');
    expect(normalizeEmail('e', "o'brien+tag@sub.example.co.uk")).toBe("o'brien+tag@sub.example.co.uk");
    expect(normalizeEmail('e', 'x@例え.jp')).toBe('x@xn--r8jz45g.jp');
  });

  it('a unicode display name passes through untouched (the adapter encodes it)', async () => {
    const { notifier, outbox } = build();
    await notifier.send({
      to: { ...to, name: 'Zoë Ångström 山田 👩‍💻' },
      template: 't',
      data: { subject: 's', body: 'b' },
      channels: ['email'],
    });
    const email = outbox.messages[0]?.message;
    expect(email?.channel === 'email' && email.to).toEqual({
      address: 'ada@example.com',
      name: 'Zoë Ångström 山田 👩‍💻',
    });
  });

  it.each([
    '4155550100',
    '+04155550100',
    '+1415555010012345',
    '+1 415 555 0100',
    '+1-415-555-0100',
    '+',
    '+1\r\n',
  ])('%s is not an E.164 number', async (phone) => {
    const error = await refused({}, { ...to, phone });
    expect(['ERR_NOTIFY_INVALID_RECIPIENT', 'ERR_NOTIFY_HEADER_INJECTION']).toContain(error.code);
  });

  it.each([
    'http://hooks.example.com/in',
    'ftp://hooks.example.com/in',
    'https://user:pass@hooks.example.com/in',
    'not a url',
    'http://127.0.0.1:8080/in',
    'javascript:alert(1)',
  ])('%s is not an allowed webhook URL', async (webhookUrl) => {
    expect(await refused({}, { ...to, webhookUrl })).toMatchObject({
      code: 'ERR_NOTIFY_INVALID_RECIPIENT',
      field: 'to.webhookUrl',
    });
  });

  it('unknown recipient fields, bad time zones and bad quiet hours are refused', async () => {
    expect(await refused({}, { ...to, bcc: 'x@example.com' })).toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
    });
    expect(await refused({}, { ...to, timeZone: 'Mars/Olympus' })).toMatchObject({
      code: 'ERR_NOTIFY_INVALID_RECIPIENT',
    });
    expect(await refused({}, { ...to, quietHours: { start: '25:00', end: '07:00' } })).toMatchObject({
      code: 'ERR_NOTIFY_INVALID_RECIPIENT',
    });
    expect(await refused({}, { ...to, userId: '' })).toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
  });

  it('a recipient without an address for a channel skips that channel', async () => {
    const { notifier, outbox } = build();
    const result = await notifier.send({
      to: { userId: 'u1', email: 'ada@example.com' },
      template: 't',
      data: { subject: 's', body: 'b' },
    });
    expect(result.channels.map((c) => c.status)).toEqual(['sent', 'skipped', 'skipped']);
    expect(outbox.messages).toHaveLength(1);
  });
});

describe('requests and options', () => {
  it('unknown request fields, priorities and channels are refused', async () => {
    const { notifier } = build();
    for (const extra of [
      { bcc: 'x' },
      { priority: 'urgent' },
      { channels: ['fax'] },
      { channels: [] },
      { idempotencyKey: '' },
    ]) {
      expect(await rejection(() => notifier.send({ to, template: 't', ...extra } as never))).toMatchObject({
        code: 'ERR_INVALID_ARGUMENT',
      });
    }
  });

  it('misconfiguration fails construction with ERR_INVALID_OPTION', () => {
    const outbox = createOutbox();
    const templates = { t: { email: { subject: 's', text: 't' } } };
    const categories = { transactional: 'transactional' as const };
    const email = { providers: [outbox.email], from: FROM };
    const cases: unknown[] = [
      { channels: { email }, templates, categories, unknownOption: 1 },
      { channels: { email: { ...email, providers: [] } }, templates, categories },
      { channels: { email: { ...email, providers: [outbox.sms] } }, templates, categories },
      { channels: { email: { providers: [outbox.email, outbox.email], from: FROM } }, templates, categories },
      { channels: {}, templates, categories },
      { channels: { email }, templates: { t: { email: { subject: 's' } } }, categories },
      { channels: { email }, templates: { t: {} }, categories },
      {
        channels: { email },
        templates: { t: { email: { subject: 's', text: 't' }, digest: { windowMs: 1000, template: 't' } } },
        categories,
      },
      { channels: { email }, templates, categories, quietHours: { start: '22:00', end: '07:00' } },
      { channels: { email }, templates, categories: { x: 'marketing' } },
      { channels: { email }, templates, categories, limits: { nobody: {} } },
    ];
    for (const options of cases)
      expect(() => createNotifier(options as never)).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
      );
  });
});
