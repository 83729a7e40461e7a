/**
 * The webhook provider and the Standard Webhooks verifier: the spec's published test vector, deliveries
 * to a local node:http receiver verified with our own verifier, secret rotation, the status mapping,
 * the URL rules (https, loopback, private ranges, credentials, redirects), a hang past the timeout, and
 * every way the verifier must refuse a request.
 */
import { createHmac } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../../src/core/manual-clock.js';
import type { WebhookMessage } from '../../../src/notify/provider.js';
import { webhookUrl } from '../../../src/notify/providers/webhook-send.js';
import {
  createMemoryReplayGuard,
  createWebhookProvider,
  createWebhookVerifier,
  signWebhook,
  verifyWebhook,
} from '../../../src/notify/webhook.js';
import {
  context,
  expectCode,
  expectFailure,
  expectRefused,
  type HttpTestServer,
  hang,
  type Received,
  reply,
  startHttpServer,
} from './support.js';

// The Standard Webhooks reference libraries' test vector (libraries/javascript/src/webhook.test.ts).
const SPEC = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestampSeconds: 1614265330,
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const NEXT_SECRET = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
const NOW_MS = Date.UTC(2026, 0, 1, 0, 0, 0);

describe('Standard Webhooks signature', () => {
  it('matches the spec test vector', () => {
    expect(signWebhook(SPEC)).toBe(SPEC.signature);
  });

  it('is HMAC-SHA256 of id.timestamp.body keyed by the base64-decoded secret (derived from the spec text)', () => {
    const key = Buffer.from(SPEC.secret.slice('whsec_'.length), 'base64');
    const expected = createHmac('sha256', key)
      .update(`${SPEC.id}.${SPEC.timestampSeconds}.${SPEC.body}`)
      .digest('base64');
    expect(signWebhook(SPEC)).toBe(`v1,${expected}`);
  });

  it('signs with every secret during a rotation, space-separated', () => {
    const both = signWebhook({ ...SPEC, secret: [SPEC.secret, NEXT_SECRET] }).split(' ');
    expect(both).toHaveLength(2);
    expect(both[0]).toBe(SPEC.signature);
  });

  it('verifies the spec vector at its own time', async () => {
    const clock = createManualClock(SPEC.timestampSeconds * 1000 + 10_000);
    const headers = {
      'webhook-id': SPEC.id,
      'webhook-timestamp': String(SPEC.timestampSeconds),
      'webhook-signature': SPEC.signature,
    };
    await expect(verifyWebhook({ secret: SPEC.secret, headers, body: SPEC.body, clock })).resolves.toEqual({
      id: SPEC.id,
      timestampMs: SPEC.timestampSeconds * 1000,
      payload: { test: 2432232314 },
    });
  });
});

const hook = (url: string, overrides: Partial<WebhookMessage> = {}): WebhookMessage => ({
  channel: 'webhook',
  url,
  type: 'invoice.paid',
  data: { invoiceId: 'inv_1', amount: 4200, note: 'café 🚀' },
  messageId: 'msg_0001',
  category: 'billing',
  ...overrides,
});

describe('webhook provider (local receiver)', () => {
  let server: HttpTestServer;
  beforeAll(async () => {
    server = await startHttpServer(reply(204));
  });
  afterAll(() => server.close());
  afterEach(() => server.answer(reply(204)));

  const clock = createManualClock(NOW_MS);
  const provider = (extra: Record<string, unknown> = {}) =>
    createWebhookProvider({ secret: SECRET, allowHttpLoopback: true, clock, ...extra });
  const verify = (r: Received | undefined, secret: string | string[] = SECRET) =>
    verifyWebhook({ secret, headers: r?.headers ?? {}, body: r?.body ?? '', clock });

  it('posts { type, timestamp, data } signed; our verifier accepts it', async () => {
    const receipt = await provider().send(hook(`${server.url}/hooks`), context());
    expect(receipt).toEqual({ providerMessageId: 'msg_0001' });
    const request = server.received.at(-1);
    expect(request).toMatchObject({ method: 'POST', url: '/hooks' });
    expect(request?.headers).toMatchObject({
      'content-type': 'application/json',
      'webhook-id': 'msg_0001',
      'webhook-timestamp': String(NOW_MS / 1000),
    });
    expect(JSON.parse(request?.body ?? '')).toEqual({
      type: 'invoice.paid',
      timestamp: '2026-01-01T00:00:00.000Z',
      data: { invoiceId: 'inv_1', amount: 4200, note: 'café 🚀' },
    });
    expect(await verify(request)).toMatchObject({ id: 'msg_0001', payload: { type: 'invoice.paid' } });
  });

  it('during a rotation both the old and the new secret verify', async () => {
    await provider({ secret: [SECRET, NEXT_SECRET] }).send(hook(server.url), context());
    const request = server.received.at(-1);
    expect(String(request?.headers['webhook-signature']).split(' ')).toHaveLength(2);
    await expect(verify(request, SECRET)).resolves.toBeTruthy();
    await expect(verify(request, NEXT_SECRET)).resolves.toBeTruthy();
    await expect(
      verify(request, [`whsec_${Buffer.alloc(24, 1).toString('base64')}`, NEXT_SECRET]),
    ).resolves.toBeTruthy();
  });

  it('is idempotent by default (receivers deduplicate on webhook-id), or not when told', () => {
    expect(provider()).toMatchObject({ name: 'webhook', channel: 'webhook', idempotent: true });
    expect(provider({ idempotent: false }).idempotent).toBe(false);
  });

  describe('maps statuses', () => {
    it.each([200, 201, 202, 204])('%i: delivered', async (status) => {
      server.answer(reply(status, 'ok'));
      await expect(provider().send(hook(server.url), context())).resolves.toEqual({
        providerMessageId: 'msg_0001',
      });
    });

    it('410: permanent (the endpoint is gone)', async () => {
      server.answer(reply(410));
      expect(
        (await expectFailure(provider().send(hook(server.url), context()), 'permanent')).message,
      ).toMatch(/gone/);
    });

    it.each([400, 401, 403, 404, 413, 422])('%i: permanent', async (status) => {
      server.answer(reply(status));
      expect((await expectFailure(provider().send(hook(server.url), context()), 'permanent')).status).toBe(
        status,
      );
    });

    it.each([408, 429, 500, 502, 503, 504])('%i: unavailable', async (status) => {
      server.answer(reply(status, '', { 'retry-after': '30' }));
      const e = await expectFailure(provider().send(hook(server.url), context()), 'unavailable');
      expect({ status: e.status, retryAfterMs: e.retryAfterMs }).toEqual({ status, retryAfterMs: 30_000 });
    });

    it('a redirect is refused, never followed (no SSRF through Location)', async () => {
      server.answer(reply(302, '', { location: 'http://169.254.169.254/latest/meta-data/' }));
      const before = server.received.length;
      await expectFailure(provider().send(hook(server.url), context()), 'permanent');
      expect(server.received.length - before).toBe(1);
    });

    it('a hang past timeoutMs (manual clock): ambiguous', async () => {
      server.answer(hang);
      const timed = createManualClock(NOW_MS);
      const sending = provider({ clock: timed, timeoutMs: 15_000 }).send(hook(server.url), context());
      await server.nextRequest();
      timed.advance(15_000);
      await expectFailure(sending, 'ambiguous');
    });
  });

  describe('hostile input is refused before any request', () => {
    const urls: [string, string, Record<string, unknown>?][] = [
      ['plain http to a public host', 'http://hooks.example.com/x'],
      ['http to loopback without allowHttpLoopback', 'http://127.0.0.1:9/x', { allowHttpLoopback: false }],
      ['https to localhost without allowHttpLoopback', 'https://localhost/x', { allowHttpLoopback: false }],
      ['a *.localhost name', 'https://admin.localhost/x', { allowHttpLoopback: false }],
      ['loopback in decimal form', 'https://2130706433/x', { allowHttpLoopback: false }],
      ['IPv6 loopback', 'https://[::1]/x', { allowHttpLoopback: false }],
      ['cloud metadata (link-local)', 'https://169.254.169.254/latest/meta-data/'],
      ['a private range', 'https://10.1.2.3/x'],
      ['a private range, IPv4-mapped IPv6', 'https://[::ffff:192.168.1.1]/x'],
      ['unique-local IPv6', 'https://[fd00::1]/x'],
      ['credentials in the URL', 'https://user:pw@hooks.example.com/x'],
      ['another scheme', 'file:///etc/passwd'],
      ['not a URL', 'hooks.example.com/x'],
    ];
    it.each(urls)('%s', async (_label, url, extra = {}) => {
      await expectRefused(
        () => provider(extra).send(hook(url), context()),
        () => server.received.length,
      );
    });

    it('private ranges pass the check with allowPrivateNetworks; loopback still needs allowHttpLoopback', () => {
      const policy = { allowHttpLoopback: false, allowPrivateNetworks: true };
      expect(webhookUrl('webhook', 'https://10.1.2.3/x', policy).hostname).toBe('10.1.2.3');
      expect(webhookUrl('webhook', 'https://[fd00::1]/x', policy).hostname).toBe('[fd00::1]');
      expect(() => webhookUrl('webhook', 'https://127.0.0.1/x', policy)).toThrow(/loopback/);
      expect(() => webhookUrl('webhook', 'http://10.1.2.3/x', policy)).toThrow(/https/);
      expect(
        webhookUrl('webhook', 'https://hooks.example.com/x', {
          allowHttpLoopback: false,
          allowPrivateNetworks: false,
        }).host,
      ).toBe('hooks.example.com');
    });

    const messages: [string, Partial<WebhookMessage>][] = [
      ['a message id with a dot (ambiguous in id.timestamp.body)', { messageId: 'a.b' }],
      ['a message id with a newline', { messageId: 'a\nb' }],
      ['a type with a space', { type: 'invoice paid' }],
      [
        'data with a cycle',
        {
          data: (() => {
            const a: Record<string, unknown> = {};
            a.self = a;
            return a;
          })(),
        },
      ],
      ['data with a BigInt', { data: { n: 1n } }],
      ['a body over maxBodyBytes', { data: { blob: 'x'.repeat(2_000_000) } }],
    ];
    it.each(messages)('%s', async (_label, overrides) => {
      await expectRefused(
        () => provider().send(hook(server.url, overrides), context()),
        () => server.received.length,
      );
    });

    it('template-looking data is sent as data, not interpreted', async () => {
      await provider().send(
        hook(server.url, { data: { name: '{{constructor.constructor}}', html: '<script>' } }),
        context(),
      );
      expect(JSON.parse(server.received.at(-1)?.body ?? '').data).toEqual({
        name: '{{constructor.constructor}}',
        html: '<script>',
      });
    });

    it('bad options', () => {
      expect(() => createWebhookProvider({ secret: 'plain-secret' })).toThrow(/whsec_/);
      expect(() => createWebhookProvider({ secret: `whsec_${Buffer.alloc(16).toString('base64')}` })).toThrow(
        /24\.\.64/,
      );
      expect(() => createWebhookProvider({ secret: [] })).toThrow(/whsec_/);
      expect(() => createWebhookProvider({ secret: SECRET, timeoutMs: -1 })).toThrow(/`timeoutMs`/);
    });
  });
});

describe('webhook verifier refuses', () => {
  const clock = createManualClock(NOW_MS);
  const body = JSON.stringify({
    type: 'invoice.paid',
    timestamp: '2026-01-01T00:00:00.000Z',
    data: { a: 1 },
  });
  const headersFor = (ts = NOW_MS / 1000, id = 'msg_0001', b = body, secret = SECRET) => ({
    'webhook-id': id,
    'webhook-timestamp': String(ts),
    'webhook-signature': signWebhook({ secret, id, timestampSeconds: ts, body: b }),
  });
  const verifier = (extra: Record<string, unknown> = {}) =>
    createWebhookVerifier({ secret: SECRET, clock, ...extra });

  it.each(['webhook-id', 'webhook-timestamp', 'webhook-signature'])(
    'a request without %s (unsigned)',
    async (name) => {
      const headers: Record<string, string> = headersFor();
      delete headers[name];
      await expectCode(verifier().verify({ headers, body }), 'ERR_NOTIFY_SIGNATURE_MISSING');
    },
  );

  it('a tampered body, id or timestamp; another secret', async () => {
    const headers = headersFor();
    await expectCode(
      verifier().verify({ headers, body: body.replace('1', '2') }),
      'ERR_NOTIFY_SIGNATURE_INVALID',
    );
    await expectCode(
      verifier().verify({ headers: { ...headers, 'webhook-id': 'msg_0002' }, body }),
      'ERR_NOTIFY_SIGNATURE_INVALID',
    );
    await expectCode(
      verifier().verify({ headers: { ...headers, 'webhook-timestamp': String(NOW_MS / 1000 - 1) }, body }),
      'ERR_NOTIFY_SIGNATURE_INVALID',
    );
    await expectCode(
      verifier({ secret: NEXT_SECRET }).verify({ headers, body }),
      'ERR_NOTIFY_SIGNATURE_INVALID',
    );
  });

  it('malformed signature headers: partial, other schemes only, garbage, too many', async () => {
    const headers = headersFor();
    const good = headers['webhook-signature'];
    for (const signature of [
      good.slice(0, 8),
      'v1,',
      'v1a,AAAA',
      'v2,' + good.slice(3),
      'garbage',
      `${'v1,AAAA '.repeat(17)}${good}`,
    ]) {
      await expectCode(
        verifier().verify({ headers: { ...headers, 'webhook-signature': signature }, body }),
        'ERR_NOTIFY_SIGNATURE_INVALID',
      );
    }
  });

  it('accepts one valid signature among several and ignores other schemes', async () => {
    const headers = headersFor();
    const signature = `v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= v1a,AAAA ${headers['webhook-signature']} v2,xyz`;
    await expect(
      verifier().verify({ headers: { ...headers, 'webhook-signature': signature }, body }),
    ).resolves.toMatchObject({
      id: 'msg_0001',
    });
  });

  it('a timestamp too old or in the future; a timestamp that is not seconds', async () => {
    await expectCode(
      verifier().verify({ headers: headersFor(NOW_MS / 1000 - 301), body }),
      'ERR_NOTIFY_TIMESTAMP_OUT_OF_RANGE',
    );
    await expectCode(
      verifier().verify({ headers: headersFor(NOW_MS / 1000 + 301), body }),
      'ERR_NOTIFY_TIMESTAMP_OUT_OF_RANGE',
    );
    await expect(verifier().verify({ headers: headersFor(NOW_MS / 1000 - 300), body })).resolves.toBeTruthy();
    await expect(
      verifier({ toleranceSeconds: 60 }).verify({ headers: headersFor(NOW_MS / 1000 - 61), body }),
    ).rejects.toThrow(/older than/);
    const headers = headersFor();
    for (const ts of ['hello', '1.5', '-1', '']) {
      const code = ts === '' ? 'ERR_NOTIFY_SIGNATURE_MISSING' : 'ERR_NOTIFY_SIGNATURE_INVALID';
      await expectCode(verifier().verify({ headers: { ...headers, 'webhook-timestamp': ts }, body }), code);
    }
  });

  it('an id with a dot, a replayed id (with a guard), a body that is not JSON or too big', async () => {
    await expectCode(
      verifier().verify({ headers: { ...headersFor(), 'webhook-id': 'a.b' }, body }),
      'ERR_NOTIFY_SIGNATURE_INVALID',
    );
    const guarded = verifier({ replayGuard: createMemoryReplayGuard({ clock }) });
    await guarded.verify({ headers: headersFor(), body });
    await expectCode(guarded.verify({ headers: headersFor(), body }), 'ERR_NOTIFY_REPLAYED');
    await expectCode(
      verifier().verify({ headers: headersFor(NOW_MS / 1000, 'msg_0001', 'not json'), body: 'not json' }),
      'ERR_NOTIFY_PAYLOAD_INVALID',
    );
    await expectCode(
      verifier({ maxBodyBytes: 10 }).verify({ headers: headersFor(), body }),
      'ERR_NOTIFY_PAYLOAD_INVALID',
    );
  });

  it('takes fetch Headers, mixed-case records and raw bytes', async () => {
    const h = headersFor();
    await expect(
      verifier().verify({ headers: new Headers(h), body: Buffer.from(body) }),
    ).resolves.toBeTruthy();
    const mixed = {
      'Webhook-Id': h['webhook-id'],
      'WEBHOOK-TIMESTAMP': h['webhook-timestamp'],
      'Webhook-Signature': [h['webhook-signature']],
    };
    await expect(verifier().verify({ headers: mixed, body })).resolves.toBeTruthy();
  });

  it('bad options, as a rejection from verifyWebhook', async () => {
    await expectCode(verifyWebhook({ secret: 'nope', headers: {}, body }), 'ERR_INVALID_OPTION');
  });
});

describe('memory replay guard', () => {
  it('holds keys for their TTL, evicts the oldest when full, releases on demand', () => {
    const clock = createManualClock(0);
    const guard = createMemoryReplayGuard({ clock, maxEntries: 2 });
    expect([guard.claim('a', 100), guard.claim('a', 100)]).toEqual([true, false]);
    clock.advance(100);
    expect(guard.claim('a', 100)).toBe(true); // expired
    guard.claim('b', 1000);
    guard.claim('c', 1000); // full: the oldest (a) goes
    expect(guard.size()).toBe(2);
    expect(guard.claim('a', 100)).toBe(true);
    guard.release('c');
    expect(guard.claim('c', 100)).toBe(true);
  });
});
