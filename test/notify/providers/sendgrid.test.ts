/**
 * The SendGrid provider against a local node:http server speaking v3 Mail Send: the request it makes
 * (auth, content type, the documented body), its 202 receipt, the documented error bodies, 429 with
 * X-RateLimit-Reset or Retry-After, 5xx, a server that is down, a hang past the timeout on the manual
 * clock, redirects, and hostile input refused before any request.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../../src/core/manual-clock.js';
import { isBackendPatternsError } from '../../../src/index.js';
import type { EmailMessage } from '../../../src/notify/provider.js';
import { createSendGridProvider } from '../../../src/notify/sendgrid.js';
import {
  closedPort,
  context,
  expectFailure,
  expectRefused,
  type HttpTestServer,
  hang,
  reply,
  startHttpServer,
} from './support.js';

const API_KEY = 'SG.test-key-id.s3cr3t-value-that-must-not-leak';
const START_MS = Date.UTC(2026, 2, 1, 12, 0, 0);

const email = (overrides: Partial<EmailMessage> = {}): EmailMessage => ({
  channel: 'email',
  from: { address: 'news@example.com', name: 'Example News' },
  to: { address: 'jane@example.org', name: 'Jane Doe' },
  replyTo: { address: 'support@example.com' },
  subject: 'Your weekly digest',
  text: 'Hello Jane',
  html: '<p>Hello Jane</p>',
  headers: {
    'List-Unsubscribe': '<https://example.com/u/abc>',
    'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
  },
  messageId: 'msg_0001',
  category: 'digest',
  ...overrides,
});

describe('SendGrid provider (local v3 Mail Send server)', () => {
  let server: HttpTestServer;
  const accepted = reply(202, '', { 'x-message-id': 'W3bXy_ZqQ1aBcD' });
  beforeAll(async () => {
    server = await startHttpServer(accepted);
  });
  afterAll(() => server.close());
  afterEach(() => server.answer(accepted));

  const provider = (overrides: Record<string, unknown> = {}) =>
    createSendGridProvider({ apiKey: API_KEY, baseUrl: server.url, ...overrides });

  it('posts the documented body with Bearer auth and returns X-Message-Id', async () => {
    const receipt = await provider().send(email(), context());
    expect(receipt).toEqual({ providerMessageId: 'W3bXy_ZqQ1aBcD' });
    const request = server.received.at(-1);
    expect(request).toMatchObject({ method: 'POST', url: '/v3/mail/send' });
    expect(request?.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(request?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(request?.body ?? '')).toEqual({
      personalizations: [{ to: [{ email: 'jane@example.org', name: 'Jane Doe' }] }],
      from: { email: 'news@example.com', name: 'Example News' },
      reply_to: { email: 'support@example.com' },
      subject: 'Your weekly digest',
      content: [
        { type: 'text/plain', value: 'Hello Jane' },
        { type: 'text/html', value: '<p>Hello Jane</p>' },
      ],
      headers: {
        'List-Unsubscribe': '<https://example.com/u/abc>',
        'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
      },
      custom_args: { messageId: 'msg_0001' },
      categories: ['digest'],
    });
  });

  it('sends text only (no html part, no headers) and keeps a base URL path prefix', async () => {
    await createSendGridProvider({ apiKey: API_KEY, baseUrl: `${server.url}/proxy/` }).send(
      email({ html: undefined, headers: {}, replyTo: undefined }),
      context(),
    );
    const request = server.received.at(-1);
    expect(request?.url).toBe('/proxy/v3/mail/send');
    const body = JSON.parse(request?.body ?? '') as Record<string, unknown>;
    expect(body.content).toEqual([{ type: 'text/plain', value: 'Hello Jane' }]);
    expect(body).not.toHaveProperty('headers');
    expect(body).not.toHaveProperty('reply_to');
  });

  it('is not idempotent (Mail Send has no idempotency key)', () => {
    expect(provider()).toMatchObject({ name: 'sendgrid', channel: 'email', idempotent: false });
  });

  describe('maps statuses', () => {
    const errors = (...items: { message: string; field?: string }[]) => JSON.stringify({ errors: items });

    it('400 with the documented errors body: permanent, fields and messages in the error', async () => {
      server.answer(
        reply(
          400,
          errors({ field: 'personalizations.0.to.0.email', message: 'Does not contain a valid address.' }),
          {
            'content-type': 'application/json',
          },
        ),
      );
      const e = await expectFailure(provider().send(email(), context()), 'permanent', 'sendgrid');
      expect(e.status).toBe(400);
      expect(e.message).toBe(
        'sendgrid: HTTP 400: personalizations.0.to.0.email: Does not contain a valid address.',
      );
    });

    it.each([401, 403, 413, 404])('%i: permanent', async (status) => {
      server.answer(
        reply(
          status,
          errors({ message: 'The provided authorization grant is invalid, expired, or revoked' }),
        ),
      );
      const e = await expectFailure(provider().send(email(), context()), 'permanent');
      expect(e.status).toBe(status);
    });

    it('never echoes the API key, even when the server does', async () => {
      server.answer(reply(401, errors({ message: `bad key ${API_KEY}`, field: `auth ${API_KEY}` })));
      const e = await expectFailure(provider().send(email(), context()), 'permanent');
      expect(e.message).not.toContain('s3cr3t');
      expect(e.message).toContain('[redacted]');
      server.answer(reply(401, `<html>${API_KEY}</html>`));
      const html = await expectFailure(provider().send(email(), context()), 'permanent');
      expect(html.message).not.toContain('s3cr3t');
    });

    it('429 with X-RateLimit-Reset (epoch seconds): unavailable, retryAfterMs from the clock', async () => {
      const clock = createManualClock(START_MS);
      server.answer(
        reply(429, errors({ message: 'too many requests' }), {
          'x-ratelimit-limit': '600',
          'x-ratelimit-remaining': '0',
          'x-ratelimit-reset': String(START_MS / 1000 + 42),
        }),
      );
      const e = await expectFailure(provider({ clock }).send(email(), context()), 'unavailable');
      expect({ status: e.status, retryAfterMs: e.retryAfterMs }).toEqual({
        status: 429,
        retryAfterMs: 42_000,
      });
    });

    it('429 with Retry-After (seconds or an HTTP date): unavailable with retryAfterMs', async () => {
      const clock = createManualClock(START_MS);
      server.answer(reply(429, '', { 'retry-after': '7' }));
      expect(
        (await expectFailure(provider({ clock }).send(email(), context()), 'unavailable')).retryAfterMs,
      ).toBe(7000);
      server.answer(reply(429, '', { 'retry-after': new Date(START_MS + 90_000).toUTCString() }));
      expect(
        (await expectFailure(provider({ clock }).send(email(), context()), 'unavailable')).retryAfterMs,
      ).toBe(90_000);
      server.answer(reply(429, '', { 'retry-after': 'soon' }));
      expect(
        (await expectFailure(provider({ clock }).send(email(), context()), 'unavailable')).retryAfterMs,
      ).toBe(undefined);
    });

    it.each([500, 502, 503])('%i: unavailable', async (status) => {
      server.answer(reply(status, 'upstream error'));
      expect((await expectFailure(provider().send(email(), context()), 'unavailable')).status).toBe(status);
    });

    it('a redirect is not followed: unavailable', async () => {
      server.answer(reply(307, '', { location: `${server.url}/elsewhere` }));
      const before = server.received.length;
      await expectFailure(provider().send(email(), context()), 'unavailable');
      expect(server.received.length - before).toBe(1);
    });

    it('a 202 without X-Message-Id still counts as sent', async () => {
      server.answer(reply(202));
      expect(await provider().send(email(), context())).toEqual({ providerMessageId: '' });
    });
  });

  describe('outages', () => {
    it('connection refused: unavailable (the request was never written)', async () => {
      const down = createSendGridProvider({
        apiKey: API_KEY,
        baseUrl: `http://127.0.0.1:${await closedPort()}`,
      });
      const e = await expectFailure(down.send(email(), context()), 'unavailable');
      expect(e.providerCode).toBe('ECONNREFUSED');
    });

    it('no answer within timeoutMs (manual clock): ambiguous, the request was received', async () => {
      server.answer(hang);
      const clock = createManualClock(START_MS);
      const sending = provider({ clock, timeoutMs: 5000 }).send(email(), context());
      await server.nextRequest();
      clock.advance(5000);
      const e = await expectFailure(sending, 'ambiguous');
      expect(isBackendPatternsError(e.cause, 'ERR_TIMEOUT')).toBe(true);
    });

    it('the caller aborting in flight: ambiguous; before the send: retryable, nothing sent', async () => {
      server.answer(hang);
      const controller = new AbortController();
      const sending = provider().send(email(), { idempotencyKey: 'k', signal: controller.signal });
      await server.nextRequest();
      controller.abort(new Error('deadline'));
      await expectFailure(sending, 'ambiguous');
      const before = server.received.length;
      await expectFailure(
        provider().send(email(), { idempotencyKey: 'k', signal: AbortSignal.abort() }),
        'retryable',
      );
      expect(server.received.length).toBe(before);
    });

    it('the server resetting the connection after reading the request: ambiguous', async () => {
      server.answer((_req, res) => res.socket?.destroy());
      const e = await expectFailure(provider().send(email(), context()), 'ambiguous');
      expect(e.message).toMatch(/may have been accepted/);
    });

    it('a huge error body is read only in part', async () => {
      server.answer(reply(400, JSON.stringify({ errors: [{ message: 'x'.repeat(5_000_000) }] })));
      const e = await expectFailure(provider().send(email(), context()), 'permanent');
      expect(e.message.length).toBeLessThan(400);
    });
  });

  describe('hostile input', () => {
    const cases: [string, Partial<EmailMessage>][] = [
      ['CRLF in the subject', { subject: 'Hi\r\nBcc: victim@evil.test' }],
      ['CRLF in the to name', { to: { address: 'jane@example.org', name: 'Jane\r\nBcc: victim@evil.test' } }],
      ['CRLF in the from address', { from: { address: 'news@example.com\r\n' } }],
      ['two recipients in one address', { to: { address: 'a@example.org;victim@evil.test' } }],
      ['CRLF in a header', { headers: { 'X-A': 'b\r\nBcc: victim@evil.test' } }],
      ['a reserved header', { headers: { 'Reply-To': 'victim@evil.test' } }],
      ['an empty subject', { subject: '' }],
      ['a message id that is not a token', { messageId: '../../x' }],
      ['a category with a line break', { category: 'a\nb' }],
    ];
    it.each(cases)('%s: permanent, nothing sent', async (_label, overrides) => {
      await expectRefused(
        () => provider().send(email(overrides), context()),
        () => server.received.length,
      );
    });

    it('refuses bad options', () => {
      expect(() => createSendGridProvider({} as never)).toThrow(/`apiKey` is required/);
      expect(() => createSendGridProvider({ apiKey: API_KEY, baseUrl: 'http://api.sendgrid.com' })).toThrow(
        /https URL/,
      );
      expect(() =>
        createSendGridProvider({ apiKey: API_KEY, baseUrl: 'https://user:pw@api.sendgrid.com' }),
      ).toThrow(/without credentials/);
      expect(() => createSendGridProvider({ apiKey: API_KEY, timeoutMs: 0 })).toThrow(/`timeoutMs`/);
      const tooLong = `SG.${'k'.repeat(600)}`;
      expect(() => createSendGridProvider({ apiKey: tooLong })).toThrow(/`apiKey` must be a string/);
      expect(() => createSendGridProvider({ apiKey: tooLong })).not.toThrow(/kkkk/);
    });
  });
});
