/**
 * Single use under concurrency, through the whole flow: 100 concurrent confirms of one reset link, on the
 * memory store and on the real Redis store; exactly one changes the password, the other 99 are refused
 * with a typed error, and the password is the winner's.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { AccountsStore } from '../../src/accounts/index.js';
import { createMemoryAccountsStore } from '../../src/accounts/index.js';
import { createRedisAccountsStore } from '../../src/accounts/redis.js';
import { createRateLimiter, fixedWindow } from '../../src/ratelimit/index.js';
import { noRedis, useRedisPrefix } from '../support/redis.js';
import { type FlowFixture, flowFixture, IP, jumpClock, lastLink, verifiedUser } from './flow-fixture.js';

const CONFIRMS = 100;
let fx: FlowFixture | undefined;
afterEach(async () => {
  await fx?.flow.close().catch(() => undefined);
});

const many = () =>
  createRateLimiter({ name: 'many', algorithm: fixedWindow({ limit: 10_000, windowMs: 60_000 }) });

async function hundredConfirms(store: (clock: ReturnType<typeof jumpClock>) => AccountsStore) {
  const clock = jumpClock();
  fx = await flowFixture({ clock, store: store(clock), limits: { tokenPerIp: many() } });
  const f = fx;
  const userId = await verifiedUser(f, 'race@example.com');
  await f.flow.requestReset({ email: 'race@example.com', ip: IP });
  const token = await lastLink(f, 'race@example.com', 2);
  const passwords = Array.from({ length: CONFIRMS }, (_, i) => `concurrent passphrase number ${i}`);
  const settled = await Promise.allSettled(
    passwords.map((password) => f.flow.confirmReset({ token, password, ip: IP })),
  );
  const won = settled.flatMap((s, i) => (s.status === 'fulfilled' ? [i] : []));
  const codes = settled.flatMap((s) =>
    s.status === 'rejected' ? [(s.reason as { code?: string }).code] : [],
  );
  expect(won).toHaveLength(1);
  expect(new Set(codes)).toEqual(new Set(['ERR_ACCOUNTS_TOKEN_INVALID']));
  const winner = passwords[won[0] as number] as string;
  expect((await f.flow.login({ ip: IP, email: 'race@example.com', password: winner })).ok).toBe(true);
  const loser = passwords[((won[0] as number) + 1) % CONFIRMS] as string;
  expect((await f.flow.login({ ip: IP, email: 'race@example.com', password: loser })).ok).toBe(false);
  expect((await f.users.findById(userId))?.credentialsVersion).toBe(1);
  expect(f.metrics.counterValue('accounts.reset.completed')).toBe(1);
}

describe('100 concurrent confirms of one token', () => {
  it('memory: exactly one succeeds', async () => {
    await hundredConfirms((clock) => createMemoryAccountsStore({ clock }));
  }, 120_000);

  describe.skipIf(noRedis)('redis', () => {
    const { client, prefix } = useRedisPrefix('acct-race');
    it('redis: exactly one succeeds', async () => {
      await hundredConfirms(() => createRedisAccountsStore({ client, prefix }));
    }, 120_000);
  });
});
