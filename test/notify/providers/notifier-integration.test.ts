/**
 * The adapters under the notifier: a send through SMTP to smtp-server, a signed webhook to a local
 * receiver that verifies it, and failover from a SendGrid that is down (connection refused:
 * unavailable) to SMTP.
 */
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNotifier } from '../../../src/notify/index.js';
import { createSendGridProvider } from '../../../src/notify/sendgrid.js';
import { createSmtpProvider } from '../../../src/notify/smtp.js';
import { createWebhookProvider, verifyWebhook } from '../../../src/notify/webhook.js';
import {
  closedPort,
  type HttpTestServer,
  reply,
  type SmtpTestServer,
  startHttpServer,
  startSmtpServer,
} from './support.js';

const SECRET = `whsec_${Buffer.alloc(32, 9).toString('base64')}`;

describe('providers under the notifier', () => {
  let smtpServer: SmtpTestServer;
  let receiver: HttpTestServer;
  beforeAll(async () => {
    smtpServer = await startSmtpServer();
    receiver = await startHttpServer(reply(204));
  });
  afterAll(async () => {
    await smtpServer.close();
    await receiver.close();
  });

  it('sends email over SMTP and a verified webhook; fails over from a SendGrid that is down', async () => {
    const smtp = createSmtpProvider({
      smtp: {
        host: '127.0.0.1',
        port: smtpServer.port,
        ignoreTLS: true,
        auth: { user: 'app', pass: 'secret' },
      },
    });
    const sendgridDown = createSendGridProvider({
      apiKey: 'SG.key',
      baseUrl: `http://127.0.0.1:${await closedPort()}`,
    });
    const notifier = createNotifier({
      channels: {
        email: { providers: [sendgridDown, smtp], from: { address: 'app@example.com', name: 'Exämple App' } },
        webhook: {
          providers: [createWebhookProvider({ secret: SECRET, allowHttpLoopback: true })],
          allowLoopbackHttp: true,
        },
      },
      categories: { billing: 'transactional' },
      templates: {
        paid: {
          category: 'billing',
          email: { subject: 'Invoice {{invoice}} paid', html: '<p>Thanks, {{name}}</p>' },
          webhook: { type: 'invoice.paid' },
        },
      },
    });
    const result = await notifier.send({
      to: { userId: 'u1', email: 'ada@example.org', webhookUrl: `${receiver.url}/hooks` },
      template: 'paid',
      data: { invoice: 'INV-7', name: 'Ada' },
    });
    await smtp.close?.();

    const email = result.channels.find((c) => c.channel === 'email');
    expect(email).toMatchObject({ status: 'sent', provider: 'smtp' });
    const parsed = await simpleParser(smtpServer.deliveries.at(-1)?.raw ?? Buffer.alloc(0));
    expect(parsed.subject).toBe('Invoice INV-7 paid');
    expect(parsed.from?.value).toEqual([{ address: 'app@example.com', name: 'Exämple App' }]);
    expect(parsed.messageId).toBe(`<${email && 'messageId' in email ? email.messageId : ''}@example.com>`);

    expect(result.channels.find((c) => c.channel === 'webhook')).toMatchObject({
      status: 'sent',
      provider: 'webhook',
    });
    const request = receiver.received.at(-1);
    const verified = await verifyWebhook({
      secret: SECRET,
      headers: request?.headers ?? {},
      body: request?.body ?? '',
    });
    expect(verified.payload).toMatchObject({ type: 'invoice.paid', data: { invoice: 'INV-7', name: 'Ada' } });
  });
});
