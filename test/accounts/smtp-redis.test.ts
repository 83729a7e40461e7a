/**
 * The production wiring, on real parts: the Redis accounts store, a Redis-backed JobQueue with a worker
 * of its own (as another process would run it), the limits on the Redis rate-limit store, and mail over
 * SMTP to a real SMTP server started here. A reset goes request → queue → SMTP → link → confirm; an
 * address the SMTP server refuses (550) ends `failed` and is reported to the app.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createArgon2Hasher } from '../../src/accounts/argon2.js';
import {
  accountTemplates,
  createMemoryUserDirectory,
  createResetFlow,
  type UndeliverableMail,
} from '../../src/accounts/index.js';
import { createRedisAccountsStore } from '../../src/accounts/redis.js';
import { createJobQueue } from '../../src/jobs/index.js';
import { createRedisJobBackend } from '../../src/jobs/redis.js';
import { createNotifier } from '../../src/notify/index.js';
import { createSmtpProvider } from '../../src/notify/smtp.js';
import { createRedisRateLimitStore } from '../../src/ratelimit/redis.js';
import { type SmtpTestServer, startSmtpServer } from '../notify/providers/support.js';
import { connectRedis, deleteByPrefix, noRedis, randomPrefix } from '../support/redis.js';
import { IP, LINKS, PASSWORD, until } from './flow-fixture.js';

describe.skipIf(noRedis)('accounts on Redis with mail over SMTP', () => {
  const client = noRedis ? undefined : connectRedis();
  const workerClient = noRedis ? undefined : connectRedis();
  const prefix = randomPrefix('acct-e2e');
  let smtpServer: SmtpTestServer;
  beforeAll(async () => {
    smtpServer = await startSmtpServer();
  });
  afterAll(async () => {
    await smtpServer.close();
    if (client) await deleteByPrefix(client, prefix);
    client?.disconnect();
    workerClient?.disconnect();
  });

  function build(undeliverable: UndeliverableMail[]) {
    if (!client || !workerClient) throw new Error('no redis');
    const smtp = createSmtpProvider({
      smtp: {
        host: '127.0.0.1',
        port: smtpServer.port,
        ignoreTLS: true,
        auth: { user: 'app', pass: 'secret' },
      },
    });
    const notifier = createNotifier({
      channels: { email: { providers: [smtp], from: { address: 'accounts@example.test' } } },
      templates: accountTemplates(),
      retry: { attempts: 1 },
    });
    const queue = createJobQueue({
      name: 'accounts',
      backend: createRedisJobBackend({ client: workerClient, prefix }),
    });
    const users = createMemoryUserDirectory();
    const flow = createResetFlow({
      users,
      hasher: createArgon2Hasher(),
      notifier,
      links: LINKS,
      queue,
      store: createRedisAccountsStore({ client, prefix }),
      limits: { store: createRedisRateLimitStore({ client, prefix }) },
      responseFloorMs: 0,
      onUndeliverable: (mail) => undeliverable.push(mail),
    });
    const worker = flow.startWorker({ concurrency: 2, onError: () => {} });
    return { flow, users, queue, worker, smtp };
  }

  /** The token of the last SMTP delivery to `to` (quoted-printable soft breaks undone). */
  async function smtpToken(to: string, count: number): Promise<string> {
    await until(() => smtpServer.deliveries.filter((d) => d.rcptTo.includes(to)).length >= count);
    const raw =
      smtpServer.deliveries.filter((d) => d.rcptTo.includes(to))[count - 1]?.raw.toString('utf8') ?? '';
    const unfolded = raw.replace(/=\r?\n/g, '').replace(/=3D/g, '=');
    const token = /token=([A-Za-z0-9_-]{43})/.exec(unfolded)?.[1];
    if (token === undefined) throw new Error('no link in the SMTP message');
    return token;
  }

  it('signup, verify, reset and confirm, every mail over SMTP, every state in Redis', async () => {
    const undeliverable: UndeliverableMail[] = [];
    const { flow, worker, smtp } = build(undeliverable);
    try {
      await flow.signup({ email: 'Ada@Example.com', password: PASSWORD, ip: IP });
      await flow.verifyEmail({ token: await smtpToken('ada@example.com', 1), ip: IP });
      const { requestId } = await flow.requestReset({ email: 'ada@example.com', ip: IP });
      const token = await smtpToken('ada@example.com', 2);
      await flow.confirmReset({ token, password: 'a brand new long passphrase', ip: IP });
      expect(
        (await flow.login({ ip: IP, email: 'ada@example.com', password: 'a brand new long passphrase' })).ok,
      ).toBe(true);
      expect(await flow.deliveryStatus(requestId)).toMatchObject({ kind: 'reset', status: 'sent' });
      await smtpToken('ada@example.com', 3).catch(() => undefined); // the "password changed" mail
      expect(smtpServer.deliveries.filter((d) => d.rcptTo.includes('ada@example.com'))).toHaveLength(3);
      expect(undeliverable).toEqual([]);
    } finally {
      await worker.close();
      await flow.close();
      await smtp.close?.();
    }
  }, 60_000);

  it('an address the SMTP server refuses (550) ends failed, and the app hears of it', async () => {
    const undeliverable: UndeliverableMail[] = [];
    const { flow, worker, users, smtp } = build(undeliverable);
    try {
      const hasher = createArgon2Hasher();
      const user = await users.create({
        email: 'gone@example.com',
        passwordHash: await hasher.hash(PASSWORD),
        createdAtMs: Date.now(),
      });
      if (user) await users.markVerified(user.id);
      smtpServer.behave({ rcptTo: 550 });
      const { requestId } = await flow.requestReset({ email: 'gone@example.com', ip: IP });
      await until(async () => (await flow.deliveryStatus(requestId))?.status === 'failed', 30_000);
      expect(undeliverable).toEqual([
        expect.objectContaining({ requestId, status: 'failed', email: 'gone@example.com' }),
      ]);
    } finally {
      smtpServer.behave({});
      await worker.close();
      await flow.close();
      await smtp.close?.();
    }
  }, 60_000);
});
