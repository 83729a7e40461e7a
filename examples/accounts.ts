/**
 * Signup, verification, login and a password reset end to end, with no network: the outbox provider
 * keeps the mails the notifier would send, the memory user directory stands in for your user table,
 * and argon2id hashes at OWASP's floor. Pass `--redis` to keep tokens, cooldowns and mail records in
 * Redis (REDIS_URL, default redis://127.0.0.1:6379).
 *
 *   npm run example -- accounts [--redis]
 */
import { isBackendPatternsError } from 'backend-patterns';
import {
  accountTemplates,
  createMemoryUserDirectory,
  createResetFlow,
  PasswordPolicyError,
} from 'backend-patterns/accounts';
import { createArgon2Hasher } from 'backend-patterns/accounts/argon2';
import { createRedisAccountsStore } from 'backend-patterns/accounts/redis';
import { createSessionManager } from 'backend-patterns/auth';
import { createNotifier, createOutbox } from 'backend-patterns/notify';
import { createMemoryMetrics } from 'backend-patterns/testing';
import { Redis } from 'ioredis';

const redis = process.argv.includes('--redis')
  ? new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379')
  : undefined;
const outbox = createOutbox();
const metrics = createMemoryMetrics();
const notifier = createNotifier({
  channels: {
    email: { providers: [outbox.email], from: { address: 'accounts@example.com', name: 'Example' } },
  },
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
  mailData: { appName: 'Example' },
  metrics,
  ...(redis ? { store: createRedisAccountsStore({ client: redis, prefix: `example-${process.pid}` }) } : {}),
});
const ip = '203.0.113.7';

/** The token in the last mail to `email` (mail leaves from the flow's queue, a few ms later). */
async function linkTo(email: string, count: number): Promise<string> {
  for (let i = 0; i < 500 && outbox.to(email).length < count; i++)
    await new Promise((r) => setTimeout(r, 10));
  const message = outbox.to(email)[count - 1]?.message;
  const token = message?.channel === 'email' ? /token=([\w-]{43})/.exec(message.text)?.[1] : undefined;
  if (token === undefined) throw new Error(`no link in mail ${count} to ${email}`);
  return token;
}

// 1. Signup: the answer is the same for a new and a taken address.
const signup = await flow.signup({ email: 'Ada@Example.com', password: 'correct horse battery staple', ip });
console.log('signup →', signup.status, `(request ${signup.requestId})`);
await flow.verifyEmail({ token: await linkTo('ada@example.com', 1), ip });
const login = await flow.login({ ip, email: 'ADA@example.com', password: 'correct horse battery staple' });
console.log('verified, then login →', login.ok ? `ok as ${login.user.id}` : login.reason);
if (!login.ok) throw new Error('login failed');
const session = await sessions.create({ userId: login.user.id });

// 2. Reset: same answer for an unknown address, and no mail for it.
const unknown = await flow.requestReset({ email: 'nobody@example.com', ip });
const known = await flow.requestReset({ email: 'ada@example.com', ip });
console.log(
  'reset request, unknown and known →',
  JSON.stringify(Object.keys(unknown)),
  JSON.stringify(Object.keys(known)),
);
const token = await linkTo('ada@example.com', 2);

// 3. A password the policy refuses does not burn the link.
try {
  await flow.confirmReset({ token, password: 'short', ip });
} catch (error) {
  if (error instanceof PasswordPolicyError) console.log('confirm with "short" →', error.code, error.reason);
  else throw error;
}
const done = await flow.confirmReset({ token, password: 'a brand new long passphrase', ip });
console.log(
  'confirm →',
  `credentials version ${done.credentialsVersion}; old session valid: ${(await sessions.validate(session.token)).valid}`,
);
try {
  await flow.confirmReset({ token, password: 'and once more please', ip });
} catch (error) {
  if (isBackendPatternsError(error)) console.log('the same link again →', error.code);
}

// 4. The card's failure mode: what became of the mail.
console.log('delivery of the reset mail →', (await flow.deliveryStatus(known.requestId))?.status);
console.log(
  'metrics → requested (known):',
  metrics.counterValue('accounts.reset.requested', { account: 'known' }),
  ' completed:',
  metrics.counterValue('accounts.reset.completed'),
);
await flow.close();
redis?.disconnect();
