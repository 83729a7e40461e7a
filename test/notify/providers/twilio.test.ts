/**
 * The Twilio SMS provider against a local node:http server speaking the Messages API (form-encoded
 * POST, Basic auth, 201 with the message resource, the documented error body), and Twilio status
 * callbacks: signatures computed here independently of the verifier, tampering, URL port variants,
 * replays, and the status mapping.
 */
import { createHmac } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../../src/core/manual-clock.js';
import type { SmsMessage } from '../../../src/notify/provider.js';
import {
  createMemoryReplayGuard,
  createTwilioProvider,
  createTwilioStatusVerifier,
  MESSAGE_ID_PARAM,
} from '../../../src/notify/twilio.js';
import {
  closedPort,
  context,
  expectCode,
  expectFailure,
  expectRefused,
  type HttpTestServer,
  hang,
  reply,
  startHttpServer,
} from './support.js';

const ACCOUNT = `AC${'a1'.repeat(16)}`;
const TOKEN = 'auth-token-0123456789abcdef';
const SERVICE = `MG${'b2'.repeat(16)}`;
const API_KEY = `SK${'c3'.repeat(16)}`;
const SID = `SM${'d4'.repeat(16)}`;

const sms = (overrides: Partial<SmsMessage> = {}): SmsMessage => ({
  channel: 'sms',
  to: '+14155550100',
  text: 'Your code is 123456',
  messageId: 'msg_0001',
  category: 'otp',
  ...overrides,
});

const created = reply(
  201,
  JSON.stringify({
    sid: SID,
    status: 'queued',
    to: '+14155550100',
    body: 'Your code is 123456',
    error_code: null,
  }),
  { 'content-type': 'application/json' },
);

const twilioError = (status: number, code: number, message: string, headers: Record<string, string> = {}) =>
  reply(
    status,
    JSON.stringify({ code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status }),
    {
      'content-type': 'application/json',
      ...headers,
    },
  );

describe('Twilio SMS provider (local Messages API server)', () => {
  let server: HttpTestServer;
  beforeAll(async () => {
    server = await startHttpServer(created);
  });
  afterAll(() => server.close());
  afterEach(() => server.answer(created));

  const provider = (overrides: Record<string, unknown> = {}) =>
    createTwilioProvider({
      accountSid: ACCOUNT,
      authToken: TOKEN,
      messagingServiceSid: SERVICE,
      baseUrl: server.url,
      ...overrides,
    });

  it('posts the form with Basic auth and returns the Message SID', async () => {
    const receipt = await provider({
      statusCallback: 'https://hooks.example.com/twilio/status?tenant=t1',
    }).send(sms(), context());
    expect(receipt).toEqual({ providerMessageId: SID });
    const request = server.received.at(-1);
    expect(request).toMatchObject({ method: 'POST', url: `/2010-04-01/Accounts/${ACCOUNT}/Messages.json` });
    expect(request?.headers.authorization).toBe(
      `Basic ${Buffer.from(`${ACCOUNT}:${TOKEN}`).toString('base64')}`,
    );
    expect(request?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    const form = Object.fromEntries(new URLSearchParams(request?.body));
    expect(form).toEqual({
      To: '+14155550100',
      Body: 'Your code is 123456',
      MessagingServiceSid: SERVICE,
      StatusCallback: `https://hooks.example.com/twilio/status?tenant=t1&${MESSAGE_ID_PARAM}=msg_0001`,
    });
  });

  it('uses the message `from`, then the option `from`, and an API key instead of the token', async () => {
    await provider({
      apiKey: API_KEY,
      apiSecret: 'key-secret-value',
      authToken: undefined,
      from: 'ACME',
    }).send(sms({ from: '+14155550199' }), context());
    const request = server.received.at(-1);
    expect(request?.headers.authorization).toBe(
      `Basic ${Buffer.from(`${API_KEY}:key-secret-value`).toString('base64')}`,
    );
    expect(Object.fromEntries(new URLSearchParams(request?.body))).toMatchObject({ From: '+14155550199' });
    await provider({ from: 'ACME', messagingServiceSid: undefined }).send(sms(), context());
    const form = Object.fromEntries(new URLSearchParams(server.received.at(-1)?.body));
    expect(form).toMatchObject({ From: 'ACME' });
    expect(form).not.toHaveProperty('MessagingServiceSid');
    expect(form).not.toHaveProperty('StatusCallback');
  });

  describe('maps errors by status and Twilio code', () => {
    it('400 / 21211 invalid To: permanent with the code', async () => {
      server.answer(twilioError(400, 21211, "The 'To' number +1415555 is not a valid phone number."));
      const e = await expectFailure(provider().send(sms(), context()), 'permanent', 'twilio');
      expect({ status: e.status, providerCode: e.providerCode }).toEqual({
        status: 400,
        providerCode: '21211',
      });
      expect(e.message).toContain("(21211): The 'To' number");
    });

    it('400 / 21610 unsubscribed recipient: permanent', async () => {
      server.answer(twilioError(400, 21610, 'Attempt to send to unsubscribed recipient'));
      expect((await expectFailure(provider().send(sms(), context()), 'permanent')).providerCode).toBe(
        '21610',
      );
    });

    it('401 / 20003 authentication: permanent, the token never echoed', async () => {
      server.answer(twilioError(401, 20003, `Authenticate ${TOKEN}`));
      const e = await expectFailure(provider().send(sms(), context()), 'permanent');
      expect(e.message).not.toContain(TOKEN);
    });

    it('429 / 20429 with Retry-After: unavailable', async () => {
      server.answer(twilioError(429, 20429, 'Too Many Requests', { 'retry-after': '3' }));
      const e = await expectFailure(provider().send(sms(), context()), 'unavailable');
      expect({ providerCode: e.providerCode, retryAfterMs: e.retryAfterMs }).toEqual({
        providerCode: '20429',
        retryAfterMs: 3000,
      });
    });

    it('20429 under another status is still unavailable; 5xx unavailable', async () => {
      server.answer(twilioError(400, 20429, 'Too Many Requests'));
      await expectFailure(provider().send(sms(), context()), 'unavailable');
      server.answer(reply(503, '<html>Service Unavailable</html>'));
      expect((await expectFailure(provider().send(sms(), context()), 'unavailable')).status).toBe(503);
    });

    it('a 201 whose body cannot be read is still sent', async () => {
      server.answer(reply(201, 'not json'));
      expect(await provider().send(sms(), context())).toEqual({ providerMessageId: '' });
    });
  });

  describe('outages', () => {
    it('connection refused: unavailable', async () => {
      const down = provider({ baseUrl: `http://127.0.0.1:${await closedPort()}` });
      await expectFailure(down.send(sms(), context()), 'unavailable');
    });

    it('a hang past timeoutMs on the manual clock: ambiguous', async () => {
      server.answer(hang);
      const clock = createManualClock(0);
      const sending = provider({ clock, timeoutMs: 2500 }).send(sms(), context());
      await server.nextRequest();
      clock.advance(2499);
      clock.advance(1);
      await expectFailure(sending, 'ambiguous');
    });
  });

  describe('hostile input', () => {
    const cases: [string, Partial<SmsMessage>][] = [
      ['a To that is not E.164', { to: '4155550100' }],
      ['a To with a second parameter', { to: '+14155550100&To=+19005550100' }],
      ['a To with a line break', { to: '+14155550100\n' }],
      ['a from that is no sender', { from: 'ACME&Body=x' }],
      ['an empty text', { text: '   ' }],
      ['a text over 1600 characters', { text: 'x'.repeat(1601) }],
      ['a message id with a dot', { messageId: 'a.b' }],
    ];
    it.each(cases)('%s: permanent, nothing sent', async (_label, overrides) => {
      await expectRefused(
        () => provider().send(sms(overrides), context()),
        () => server.received.length,
      );
    });

    it('keeps form-encoding special characters inside Body', async () => {
      await provider().send(sms({ text: 'a&To=+19005550100&b=ü 🚀\r\n' }), context());
      const form = new URLSearchParams(server.received.at(-1)?.body);
      expect(form.getAll('To')).toEqual(['+14155550100']);
      expect(form.get('Body')).toBe('a&To=+19005550100&b=ü 🚀\r\n');
    });

    it('refuses bad options', () => {
      const base = { accountSid: ACCOUNT, authToken: TOKEN, from: '+14155550199' };
      expect(() => createTwilioProvider({ ...base, accountSid: 'AC123' })).toThrow(/`accountSid`/);
      expect(() => createTwilioProvider({ accountSid: ACCOUNT, from: '+14155550199' })).toThrow(
        /`authToken`/,
      );
      expect(() => createTwilioProvider({ ...base, apiKey: API_KEY, apiSecret: 'x' })).toThrow(/not both/);
      expect(() => createTwilioProvider({ ...base, from: 'way too long sender' })).toThrow(/`from`/);
      expect(() => createTwilioProvider({ ...base, statusCallback: 'http://hooks.example.com/x' })).toThrow(
        /`statusCallback`/,
      );
      const noSender = createTwilioProvider({ accountSid: ACCOUNT, authToken: TOKEN, baseUrl: server.url });
      return expectFailure(noSender.send(sms(), context()), 'permanent');
    });
  });
});

/** Twilio's algorithm, written out independently: URL, then name + value of each sorted parameter. */
function twilioSign(token: string, url: string, params: Record<string, string>): string {
  const data = Object.keys(params)
    .sort()
    .reduce((acc, key) => acc + key + params[key], url);
  return createHmac('sha1', token).update(Buffer.from(data, 'utf-8')).digest('base64');
}

describe('Twilio status callback verifier', () => {
  const url = `https://hooks.example.com/twilio/status?tenant=t1&${MESSAGE_ID_PARAM}=msg_0001`;
  const params = (overrides: Record<string, string> = {}) => ({
    AccountSid: ACCOUNT,
    ApiVersion: '2010-04-01',
    From: '+14155550199',
    MessageSid: SID,
    MessageStatus: 'delivered',
    SmsSid: SID,
    SmsStatus: 'delivered',
    To: '+14155550100',
    ...overrides,
  });
  const request = (p: Record<string, string> = params(), target = url, token = TOKEN) => ({
    url: target,
    headers: {
      'x-twilio-signature': twilioSign(token, target, p),
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams(p).toString(),
  });
  const clock = createManualClock(1_767_225_600_000);
  const verifier = (extra: Record<string, unknown> = {}) =>
    createTwilioStatusVerifier({ authToken: TOKEN, clock, ...extra });

  it('a known-good signature (computed independently) verifies; the event carries the message id', async () => {
    expect(await verifier().verify(request())).toEqual({
      messageId: 'msg_0001',
      providerMessageId: SID,
      provider: 'twilio',
      channel: 'sms',
      status: 'delivered',
      recipient: '+14155550100',
      atMs: 1_767_225_600_000,
    });
  });

  it('also takes parsed parameters, fetch Headers, and a rotated (secondary) token', async () => {
    const r = request(params(), url, 'secondary-token-abcdef');
    const event = await verifier({ authToken: [TOKEN, 'secondary-token-abcdef'] }).verify({
      url: r.url,
      headers: new Headers(r.headers),
      body: params(),
    });
    expect(event?.status).toBe('delivered');
  });

  it('maps undelivered (hard or soft by ErrorCode), failed, and skips intermediate statuses', async () => {
    const v = verifier();
    const status = (MessageStatus: string, extra: Record<string, string> = {}) =>
      v.verify(request(params({ MessageStatus, SmsStatus: MessageStatus, ...extra })));
    expect(await status('undelivered', { ErrorCode: '30005' })).toMatchObject({
      status: 'bounced',
      permanent: true,
      reason: '30005',
    });
    expect(await status('undelivered', { ErrorCode: '30003' })).toMatchObject({
      status: 'bounced',
      permanent: false,
    });
    expect(await status('failed', { ErrorCode: '30008' })).toMatchObject({
      status: 'failed',
      reason: '30008',
    });
    for (const s of ['queued', 'accepted', 'sending', 'sent', 'read', 'canceled'])
      expect(await status(s)).toBeUndefined();
  });

  it('accepts the URL signed with or without the default port', async () => {
    const withPort = 'https://hooks.example.com:443/twilio/status?x=1';
    const signedWithout = request(params(), 'https://hooks.example.com/twilio/status?x=1');
    await expect(verifier().verify({ ...signedWithout, url: withPort })).resolves.toMatchObject({
      status: 'delivered',
    });
    const signedWith = request(params(), withPort);
    await expect(
      verifier().verify({ ...signedWith, url: 'https://hooks.example.com/twilio/status?x=1' }),
    ).resolves.toMatchObject({ status: 'delivered' });
  });

  describe('refuses', () => {
    it('an unsigned request', async () => {
      const { headers: _h, ...rest } = request();
      await expectCode(verifier().verify({ ...rest, headers: {} }), 'ERR_NOTIFY_SIGNATURE_MISSING');
    });

    it('tampered parameters, an added parameter, another URL, another token', async () => {
      const good = request();
      const tampered = new URLSearchParams(good.body);
      tampered.set('MessageStatus', 'failed');
      await expectCode(
        verifier().verify({ ...good, body: tampered.toString() }),
        'ERR_NOTIFY_SIGNATURE_INVALID',
      );
      await expectCode(
        verifier().verify({ ...good, body: `${good.body}&Extra=1` }),
        'ERR_NOTIFY_SIGNATURE_INVALID',
      );
      await expectCode(
        verifier().verify({ ...good, url: url.replace('msg_0001', 'msg_9999') }),
        'ERR_NOTIFY_SIGNATURE_INVALID',
      );
      await expectCode(
        verifier().verify(request(params(), url, 'wrong-token-000000')),
        'ERR_NOTIFY_SIGNATURE_INVALID',
      );
      await expectCode(
        verifier().verify({ ...good, headers: { 'x-twilio-signature': 'not*base64' } }),
        'ERR_NOTIFY_SIGNATURE_INVALID',
      );
    });

    it('a replay (Twilio signs no timestamp: only the guard catches it)', async () => {
      const replayGuard = createMemoryReplayGuard({ clock });
      const v = verifier({ replayGuard });
      await v.verify(request());
      const e = await expectCode(v.verify(request()), 'ERR_NOTIFY_REPLAYED');
      expect(e).toMatchObject({ replayKey: `twilio:${SID}:delivered` });
      replayGuard.release(`twilio:${SID}:delivered`);
      await expect(v.verify(request())).resolves.toMatchObject({ status: 'delivered' });
      clock.advance(86_400_001); // past replayTtlMs
      await expect(v.verify(request())).resolves.toMatchObject({ status: 'delivered' });
    });

    it('a body without MessageSid, a non-string parameter, a huge body, a relative URL', async () => {
      const p = params();
      const { MessageSid: _m, SmsSid: _s, ...withoutSid } = p;
      await expectCode(verifier().verify(request(withoutSid)), 'ERR_NOTIFY_PAYLOAD_INVALID');
      await expectCode(
        verifier().verify({ ...request(), body: { To: 1 } as unknown as Record<string, string> }),
        'ERR_NOTIFY_PAYLOAD_INVALID',
      );
      await expectCode(verifier({ maxBodyBytes: 64 }).verify(request()), 'ERR_NOTIFY_PAYLOAD_INVALID');
      await expectCode(
        verifier().verify({ ...request(), url: '/twilio/status' }),
        'ERR_NOTIFY_PAYLOAD_INVALID',
      );
    });

    it('bad options', () => {
      expect(() => createTwilioStatusVerifier({ authToken: '' })).toThrow(/`authToken`/);
      expect(() => createTwilioStatusVerifier({ authToken: [] })).toThrow(/`authToken`/);
      expect(() => createTwilioStatusVerifier({ authToken: TOKEN, replayGuard: {} as never })).toThrow(
        /claim/,
      );
    });
  });
});
