/**
 * The SMTP provider through nodemailer against a real SMTP server (smtp-server) started here: what
 * arrives (parsed with mailparser), the error classification for each way a server can refuse or fail,
 * aborts, and hostile input that must be refused before any connection.
 */
import { type ParsedMail, simpleParser } from 'mailparser';
import nodemailer from 'nodemailer';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { EmailMessage } from '../../../src/notify/provider.js';
import { createSmtpProvider, MESSAGE_ID_HEADER } from '../../../src/notify/smtp.js';
import {
  closedPort,
  context,
  expectFailure,
  expectRefused,
  type SmtpTestServer,
  startSilentServer,
  startSmtpServer,
} from './support.js';

const email = (overrides: Partial<EmailMessage> = {}): EmailMessage => ({
  channel: 'email',
  from: { address: 'news@example.com', name: 'Example News' },
  to: { address: 'jane@example.org', name: 'Jane Doe' },
  subject: 'Your weekly digest',
  text: 'Hello Jane,\nhere is your digest.',
  html: '<p>Hello Jane,</p><p>here is your digest.</p>',
  headers: {},
  messageId: 'msg_0001',
  category: 'digest',
  ...overrides,
});

const auth = { user: 'app', pass: 'secret' };

describe('SMTP provider (nodemailer against smtp-server)', () => {
  let server: SmtpTestServer;
  const smtpOptions = () => ({ host: '127.0.0.1', port: server.port, secure: false, ignoreTLS: true, auth });

  beforeAll(async () => {
    server = await startSmtpServer();
  });
  afterAll(() => server.close());
  afterEach(() => server.behave({}));

  const lastParsed = async (): Promise<ParsedMail> =>
    simpleParser(server.deliveries.at(-1)?.raw ?? Buffer.alloc(0));
  const rawHeaderLine = (parsed: ParsedMail, key: string) =>
    parsed.headerLines.find((h) => h.key === key)?.line;

  it('delivers with auth: envelope, headers, both MIME parts and the message id', async () => {
    const provider = createSmtpProvider({ smtp: smtpOptions() });
    const receipt = await provider.send(email(), context());
    await provider.close?.();
    expect(receipt.providerMessageId).toBe(`Q${server.deliveries.length}X`);
    const delivery = server.deliveries.at(-1);
    expect(delivery).toMatchObject({
      mailFrom: 'news@example.com',
      rcptTo: ['jane@example.org'],
      user: 'app',
    });
    const parsed = await lastParsed();
    expect(parsed.from?.value).toEqual([{ address: 'news@example.com', name: 'Example News' }]);
    expect(parsed.subject).toBe('Your weekly digest');
    expect(parsed.text?.trim()).toBe('Hello Jane,\nhere is your digest.');
    expect(parsed.html).toContain('<p>here is your digest.</p>');
    expect(parsed.messageId).toBe('<msg_0001@example.com>');
    expect(parsed.headers.get(MESSAGE_ID_HEADER.toLowerCase())).toBe('msg_0001');
    expect((parsed.headers.get('content-type') as { value: string }).value).toBe('multipart/alternative');
  });

  it('passes List-Unsubscribe and List-Unsubscribe-Post through verbatim (RFC 2369, RFC 8058)', async () => {
    const unsubscribe =
      '<https://example.com/unsubscribe?token=eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ1c2VyLTEyMyIsImNhdCI6ImRpZ2VzdCJ9.c2lnbmF0dXJlLWJ5dGVz>, <mailto:unsubscribe@example.com?subject=unsubscribe>';
    const provider = createSmtpProvider({ smtp: smtpOptions() });
    await provider.send(
      email({
        headers: {
          'List-Unsubscribe': unsubscribe,
          'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
          'X-Campaign': 'w42',
        },
      }),
      context(),
    );
    await provider.close?.();
    const parsed = await lastParsed();
    expect(rawHeaderLine(parsed, 'list-unsubscribe')).toBe(`List-Unsubscribe: ${unsubscribe}`);
    expect(rawHeaderLine(parsed, 'list-unsubscribe-post')).toBe(
      'List-Unsubscribe-Post: List-Unsubscribe=One-Click',
    );
    expect(parsed.headers.get('x-campaign')).toBe('w42');
  });

  it('encodes unicode display names and subjects (RFC 2047) and keeps quotes and commas in one mailbox', async () => {
    const provider = createSmtpProvider({ smtp: smtpOptions() });
    await provider.send(
      email({
        from: { address: 'news@example.com', name: 'Zoë Ünïcødé 日本語' },
        to: { address: 'jane@example.org', name: 'Doe, "Jane" <x@evil.test>' },
        subject: 'Ça va? 🚀 Привет',
      }),
      context(),
    );
    await provider.close?.();
    const parsed = await lastParsed();
    const fromLine = rawHeaderLine(parsed, 'from') ?? '';
    expect(/^[\x20-\x7e\r\n\t]*$/.test(fromLine)).toBe(true); // 7-bit on the wire
    expect(parsed.from?.value).toEqual([{ address: 'news@example.com', name: 'Zoë Ünïcødé 日本語' }]);
    const to = Array.isArray(parsed.to) ? parsed.to : [parsed.to];
    expect(to.flatMap((t) => t?.value ?? [])).toEqual([
      { address: 'jane@example.org', name: 'Doe, "Jane" <x@evil.test>' },
    ]);
    expect(server.deliveries.at(-1)?.rcptTo).toEqual(['jane@example.org']);
    expect(parsed.subject).toBe('Ça va? 🚀 Привет');
  });

  it('sends through a pooled transport and closes it', async () => {
    const provider = createSmtpProvider({ smtp: { ...smtpOptions(), pool: true, maxConnections: 2 } });
    const before = server.deliveries.length;
    const receipts = await Promise.all(
      [1, 2, 3, 4, 5].map((i) => provider.send(email({ messageId: `msg_pool_${i}` }), context())),
    );
    await provider.close?.();
    expect(server.deliveries.length - before).toBe(5);
    expect(new Set(receipts.map((r) => r.providerMessageId)).size).toBe(5);
  });

  it('uses a transport the caller built and leaves it open', async () => {
    const transport = nodemailer.createTransport(smtpOptions());
    const provider = createSmtpProvider({ transport, name: 'smtp-main' });
    expect(provider).toMatchObject({ name: 'smtp-main', channel: 'email', idempotent: false });
    await provider.send(email(), context());
    await provider.close?.();
    await provider.send(email({ messageId: 'msg_after_close' }), context()); // still usable: not ours to close
    transport.close();
    expect((await lastParsed()).messageId).toBe('<msg_after_close@example.com>');
  });

  describe('classifies failures', () => {
    const sendWith = async (
      behaviour: Parameters<SmtpTestServer['behave']>[0],
      extra: Record<string, unknown> = {},
    ) => {
      server.behave(behaviour);
      const provider = createSmtpProvider({ smtp: { ...smtpOptions(), ...extra } });
      try {
        return await provider.send(email(), context());
      } finally {
        await provider.close?.();
      }
    };

    it('421 on MAIL FROM: unavailable', async () => {
      const e = await expectFailure(sendWith({ mailFrom: 421 }), 'unavailable', 'smtp');
      expect(e.status).toBe(421);
    });

    it('451 on RCPT TO: retryable (this message, later; no failover)', async () => {
      const e = await expectFailure(sendWith({ rcptTo: 451 }), 'retryable');
      expect({ status: e.status, providerCode: e.providerCode }).toEqual({
        status: 451,
        providerCode: 'EENVELOPE',
      });
    });

    it('550 on RCPT TO: permanent', async () => {
      const e = await expectFailure(sendWith({ rcptTo: 550 }), 'permanent');
      expect(e.status).toBe(550);
    });

    it('554 at the end of DATA: permanent; 451 there: retryable', async () => {
      await expectFailure(sendWith({ data: 554 }), 'permanent');
      await expectFailure(sendWith({ data: 451 }), 'retryable');
    });

    it('a wrong password: permanent (EAUTH)', async () => {
      const provider = createSmtpProvider({
        smtp: { ...smtpOptions(), auth: { user: 'app', pass: 'wrong' } },
      });
      const e = await expectFailure(provider.send(email(), context()), 'permanent');
      await provider.close?.();
      expect(e.providerCode).toBe('EAUTH');
      expect(e.message).not.toContain('wrong');
    });

    it('connection refused: unavailable', async () => {
      const provider = createSmtpProvider({
        smtp: { host: '127.0.0.1', port: await closedPort(), ignoreTLS: true },
      });
      await expectFailure(provider.send(email(), context()), 'unavailable');
    });

    it('no greeting within greetingTimeout: unavailable (nothing was sent)', async () => {
      const silent = await startSilentServer();
      const provider = createSmtpProvider({
        smtp: { host: '127.0.0.1', port: silent.port, ignoreTLS: true, greetingTimeout: 200 },
      });
      const e = await expectFailure(provider.send(email(), context()), 'unavailable');
      await silent.close();
      expect(e.providerCode).toBe('ETIMEDOUT');
    });

    it('a server that closes before the greeting: ambiguous (nodemailer reports it as it does a close mid-session)', async () => {
      const closing = await startSilentServer(true);
      const provider = createSmtpProvider({
        smtp: { host: '127.0.0.1', port: closing.port, ignoreTLS: true },
      });
      const e = await expectFailure(provider.send(email(), context()), 'ambiguous');
      await closing.close();
      expect(e.providerCode).toBe('ECONNECTION');
    });

    it('a server that hangs after DATA: ambiguous at socketTimeout (it may have queued the message)', async () => {
      const dataArrived = server.nextData();
      const e = await expectFailure(sendWith({ hangAfterData: true }, { socketTimeout: 300 }), 'ambiguous');
      await dataArrived;
      expect(e.providerCode).toBe('ETIMEDOUT');
    });

    it('an abort after DATA: ambiguous', async () => {
      server.behave({ hangAfterData: true });
      const provider = createSmtpProvider({ smtp: smtpOptions() });
      const controller = new AbortController();
      const sending = provider.send(email(), { idempotencyKey: 'k', signal: controller.signal });
      await server.nextData();
      controller.abort(new Error('notifier deadline'));
      await expectFailure(sending, 'ambiguous');
      await provider.close?.();
    });

    it('a signal aborted before the send: retryable, and no connection is made', async () => {
      const connections = server.connections();
      const provider = createSmtpProvider({ smtp: smtpOptions() });
      const controller = new AbortController();
      controller.abort();
      await expectFailure(
        provider.send(email(), { idempotencyKey: 'k', signal: controller.signal }),
        'retryable',
      );
      expect(server.connections()).toBe(connections);
    });
  });

  describe('hostile input is refused before any connection', () => {
    const cases: [string, Partial<EmailMessage>][] = [
      ['CRLF in the subject', { subject: 'Hi\r\nBcc: victim@evil.test' }],
      ['LF in the subject', { subject: 'Hi\nBcc: victim@evil.test' }],
      [
        'CRLF in the from name',
        { from: { address: 'news@example.com', name: 'News\r\nBcc: victim@evil.test' } },
      ],
      ['CRLF in the to address', { to: { address: 'jane@example.org\r\nRCPT TO:<victim@evil.test>' } }],
      ['two recipients in one address', { to: { address: 'jane@example.org, victim@evil.test' } }],
      ['an address with angle brackets', { to: { address: 'jane@example.org>victim@evil.test' } }],
      ['not an address', { to: { address: 'jane' } }],
      ['CRLF in a header value', { headers: { 'X-Campaign': 'w42\r\nBcc: victim@evil.test' } }],
      ['a header name with a colon', { headers: { 'X-A: b\r\nBcc': 'victim@evil.test' } }],
      ['a Bcc header', { headers: { Bcc: 'victim@evil.test' } }],
      ['a Content-Type header', { headers: { 'content-type': 'text/html' } }],
      ['NUL in the subject', { subject: 'Hi\u0000there' }],
      ['a Unicode line separator in the subject', { subject: 'Hi\u2028Bcc: x' }],
      ['a message id with a dot', { messageId: 'msg.1' }],
      ['a message id with angle brackets', { messageId: 'a>b' }],
      ['a subject that is not a string', { subject: 42 as unknown as string }],
      ['a text body that is not a string', { text: { toString: () => 'x' } as unknown as string }],
    ];
    it.each(cases)('%s: permanent, InvalidArgumentError cause, nothing sent', async (_label, overrides) => {
      const provider = createSmtpProvider({ smtp: smtpOptions() });
      const e = await expectRefused(() => provider.send(email(overrides), context()), server.connections);
      await provider.close?.();
      expect(e.message).not.toContain('victim');
    });

    it('refuses a message that is not an email', async () => {
      const provider = createSmtpProvider({ smtp: smtpOptions() });
      const sms = { channel: 'sms', to: '+15551234567', text: 'x', messageId: 'm', category: 'c' };
      await expectFailure(provider.send(sms as unknown as EmailMessage, context()), 'permanent');
    });

    it('refuses bad options at construction', () => {
      expect(() => createSmtpProvider({})).toThrow(/exactly one of `transport` and `smtp`/);
      expect(() => createSmtpProvider({ smtp: {}, transport: nodemailer.createTransport({}) })).toThrow(
        /exactly one/,
      );
      expect(() => createSmtpProvider({ smtp: [] as unknown as Record<string, unknown> })).toThrow(
        /ERR|must be/,
      );
      expect(() => createSmtpProvider({ smtp: {}, name: 'bad name' })).toThrow(/`name`/);
      expect(() => createSmtpProvider({ smtp: {}, messageIdDomain: 'a b' })).toThrow(/`messageIdDomain`/);
      expect(() => createSmtpProvider({ smtp: {}, smtpTypo: 1 } as never)).toThrow(
        /unknown option `smtpTypo`/,
      );
    });
  });
});
