import { accountTemplates, createMemoryUserDirectory, createResetFlow } from 'backend-patterns/accounts';
import { createArgon2Hasher } from 'backend-patterns/accounts/argon2';
import { createRedisAccountsStore } from 'backend-patterns/accounts/redis';
import { createSessionManager } from 'backend-patterns/auth';
import { createNotifier, createOutbox } from 'backend-patterns/notify';
import type { DemoSection } from '../types.js';

/** Waits (real time) for the flow's mail queue. */
async function until(check: () => boolean) {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
}

const tokenIn = (outbox: ReturnType<typeof createOutbox>, email: string, n: number) => {
  const m = outbox.to(email)[n]?.message;
  return (m?.channel === 'email' ? /token=([\w-]{43})/.exec(m.text)?.[1] : undefined) ?? '';
};

export const accountsSection: DemoSection = {
  title: 'ResetFlow (signup and password reset)',
  problem: 'recover accounts by email without enumeration, reusable links or sessions left open',
  async run({ redis, metrics, prefix, step }) {
    const outbox = createOutbox();
    const notifier = createNotifier({
      channels: { email: { providers: [outbox.email], from: { address: 'accounts@example.com' } } },
      templates: accountTemplates(),
    });
    const users = createMemoryUserDirectory();
    const sessions = createSessionManager();
    const flow = createResetFlow({
      users,
      hasher: createArgon2Hasher(),
      notifier,
      sessions,
      links: {
        resetUrl: 'https://app.example.com/reset',
        verifyUrl: 'https://app.example.com/verify',
        loginUrl: 'https://app.example.com/login',
      },
      metrics,
      ...(redis ? { store: createRedisAccountsStore({ client: redis, prefix }) } : {}),
    });
    const ip = '203.0.113.7';
    const email = 'ada@example.com';

    await flow.signup({ email: 'Ada@Example.com', password: 'correct horse battery staple', ip });
    await until(() => outbox.to(email).length === 1);
    const { userId } = await flow.verifyEmail({ token: tokenIn(outbox, email, 0), ip });
    const taken = await flow.signup({ email, password: 'someone else entirely', ip: '198.51.100.1' });
    step(
      'sign up Ada@Example.com, verify, then sign up the same address again',
      `both answered "${taken.status}"; one account`,
    );

    const session = await sessions.create({ userId });
    const t0 = performance.now();
    const unknown = await flow.requestReset({ email: 'nobody@example.com', ip });
    const t1 = performance.now();
    const known = await flow.requestReset({ email, ip });
    const t2 = performance.now();
    await until(() => outbox.to(email).length === 2);
    step(
      'request resets for an unknown and a known address',
      `same answer (${Object.keys(unknown).join(', ')}), ${(t1 - t0).toFixed(0)} vs ${(t2 - t1).toFixed(0)} ms (250 ms floor); 1 mail sent`,
    );

    const token = tokenIn(outbox, email, 1);
    const refused = await flow
      .confirmReset({ token, password: 'short', ip })
      .catch((e: { code: string }) => e.code);
    const done = await flow.confirmReset({ token, password: 'a brand new long passphrase', ip });
    const replay = await flow
      .confirmReset({ token, password: 'another new passphrase', ip })
      .catch((e: { code: string }) => e.code);
    step(
      'confirm with a short password, then a good one, then the same link again',
      `${String(refused)} (link kept), then reset (credentials v${done.credentialsVersion}, old session valid: ${(await sessions.validate(session.token)).valid}), then ${String(replay)}`,
    );
    step(
      'what became of the reset mail',
      `deliveryStatus: ${(await flow.deliveryStatus(known.requestId))?.status}`,
    );
    await flow.close();
  },
};
