import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import {
  createLoginGuard,
  ipKey,
  type LoginLimiter,
  normalizeAccountId,
  timingSafeEqualString,
} from '../../src/auth/index.js';
import { createRedisRateLimitStore } from '../../src/ratelimit/redis.js';
import { createManualClock, createMemoryMetrics } from '../../src/testing/index.js';
import { onPath, waitFor } from '../support/processes.js';
import { noRedis, useRedisPrefix } from '../support/redis.js';
import { startRedisServer } from '../support/redis-server.js';
import { T0 } from './fixtures.js';

const MIN = 60_000;
const wrong = () => false;
const right = () => true;

function setup(extra = {}) {
  const clock = createManualClock(T0);
  const metrics = createMemoryMetrics({ clock });
  return { clock, metrics, guard: createLoginGuard({ clock, metrics, ...extra }) };
}

describe('createLoginGuard (default RateLimiter tiers, memory store)', () => {
  it('locks an account after 5 failures for 15 minutes, without calling verify while locked', async () => {
    const { guard, clock, metrics } = setup();
    const who = { account: 'alice@example.com', ip: '203.0.113.7' };
    for (let i = 0; i < 5; i++)
      expect(await guard.attempt(who, wrong)).toMatchObject({ reason: 'invalid-credentials' });
    let called = false;
    const locked = await guard.attempt(who, () => {
      called = true;
      return true;
    });
    expect(locked).toMatchObject({ ok: false, reason: 'locked-account' });
    expect(called).toBe(false);
    if (!locked.ok) expect(locked.retryAfterMs).toBeGreaterThan(0);
    expect(metrics.counterValue('auth.login.failures', { reason: 'invalid-credentials' })).toBe(5);
    expect(metrics.counterValue('auth.login.failures', { reason: 'locked-account' })).toBe(1);
    // another account from the same IP is not affected
    expect(await guard.attempt({ ...who, account: 'bob@example.com' }, right)).toEqual({ ok: true });
    // the lockout expires
    clock.advance(15 * MIN);
    expect(await guard.attempt(who, right)).toEqual({ ok: true });
  });

  it('lockouts grow: after 20 failures in a day the account is locked for 24 h', async () => {
    const { guard, clock } = setup();
    const who = { account: 'carol', ip: '198.51.100.1' };
    let failures = 0;
    for (let round = 0; round < 4; round++) {
      for (let i = 0; i < 5; i++) {
        expect((await guard.attempt(who, wrong)).ok).toBe(false);
        failures += 1;
      }
      clock.advance(15 * MIN);
    }
    expect(failures).toBe(20);
    const locked = await guard.attempt(who, right);
    expect(locked).toMatchObject({ ok: false, reason: 'locked-account' });
    if (!locked.ok) expect(locked.retryAfterMs).toBeGreaterThan(15 * MIN);
    clock.advance(24 * 60 * MIN);
    expect(await guard.attempt(who, right)).toEqual({ ok: true });
  });

  it('a success clears the account counter', async () => {
    const { guard } = setup();
    const who = { account: 'dave', ip: '192.0.2.1' };
    for (let i = 0; i < 4; i++) await guard.attempt(who, wrong);
    expect(await guard.attempt(who, right)).toEqual({ ok: true });
    for (let i = 0; i < 5; i++)
      expect(await guard.attempt(who, wrong)).toMatchObject({ reason: 'invalid-credentials' });
  });

  it('throttles an IP spraying many accounts (100 attempts per 15 min)', async () => {
    const { guard, metrics } = setup();
    for (let i = 0; i < 100; i++) await guard.attempt({ account: `user-${i}`, ip: '203.0.113.99' }, wrong);
    expect(await guard.attempt({ account: 'fresh', ip: '203.0.113.99' }, right)).toMatchObject({
      ok: false,
      reason: 'throttled-ip',
    });
    expect(metrics.counterValue('auth.login.failures', { reason: 'throttled-ip' })).toBe(1);
    expect(await guard.attempt({ account: 'fresh', ip: '203.0.113.100' }, right)).toEqual({ ok: true });
  });

  it('accepts any limiter with limit/reset (the port), and validates inputs', async () => {
    const calls: string[] = [];
    const fake: LoginLimiter = {
      limit: async (key) => {
        calls.push(key);
        return { allowed: true, retryAfterMs: 0 };
      },
      reset: async () => undefined,
    };
    const guard = createLoginGuard({ accountLimiter: fake, ipLimiter: fake });
    await guard.attempt({ account: 'Alice@Example.com', ip: '10.0.0.1' }, right);
    expect(calls[0]).toBe('ip:10.0.0.1');
    expect(calls[1]).toMatch(/^acct:[A-Za-z0-9_-]{22}$/); // the email never reaches the limiter
    await expect(guard.attempt({ account: '', ip: '1.1.1.1' }, right)).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
    });
    await expect(guard.attempt({ account: 'a', ip: 'x'.repeat(65) }, right)).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
    });
    expect(() => createLoginGuard({ accountLimiter: {} as never })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
    );
    expect(() => createLoginGuard({ limiter: fake } as never)).toThrow(/limiter/);
  });

  it('groups IPv6 addresses by /64', () => {
    expect(ipKey('2001:db8:1:2:aaaa::1')).toBe(ipKey('2001:0db8:0001:0002:ffff:1:2:3'));
    expect(ipKey('2001:db8::1')).toBe('ip6:2001:db8:0:0::/64');
    expect(ipKey('2001:db8:1:3::1')).not.toBe(ipKey('2001:db8:1:2::1'));
    expect(ipKey('192.0.2.1')).toBe('ip:192.0.2.1');
  });

  it('keys IPv4-mapped addresses as IPv4: one throttled IPv4 client does not throttle the others', async () => {
    const { guard } = setup();
    expect(ipKey('::ffff:198.51.100.1')).toBe('ip:198.51.100.1');
    expect(ipKey('::ffff:198.51.100.1')).not.toBe(ipKey('::ffff:203.0.113.9'));
    for (let i = 0; i < 100; i++)
      await guard.attempt({ account: `user-${i}`, ip: '::ffff:198.51.100.1' }, wrong);
    expect(await guard.attempt({ account: 'x', ip: '198.51.100.1' }, right)).toMatchObject({
      reason: 'throttled-ip',
    });
    expect(await guard.attempt({ account: 'fresh', ip: '::ffff:203.0.113.9' }, right)).toEqual({ ok: true });
  });

  it('groups IPv6 by a wider prefix when configured (an attacker rotating through a /48)', async () => {
    const { guard } = setup({ ipv6PrefixLength: 48 });
    for (let i = 0; i < 100; i++) {
      await guard.attempt({ account: `user-${i}`, ip: `2001:db8:1:${i.toString(16)}::1` }, wrong);
    }
    expect(await guard.attempt({ account: 'y', ip: '2001:db8:1:ffff::9' }, right)).toMatchObject({
      reason: 'throttled-ip',
    });
    expect(await guard.attempt({ account: 'y', ip: '2001:db8:2::1' }, right)).toEqual({ ok: true });
    expect(() => createLoginGuard({ ipv6PrefixLength: 200 })).toThrow(
      expect.objectContaining({
        code: 'ERR_INVALID_OPTION',
        message: expect.stringMatching(/^createLoginGuard: `ipv6PrefixLength`/),
      }),
    );
    expect(() => createLoginGuard({ nat64: 'yes' as never })).toThrow(/createLoginGuard: `nat64`/);
  });

  it('rejects a hostile IP with ERR_INVALID_ARGUMENT before counting anything', async () => {
    const { guard } = setup();
    for (const ip of ['', 'garbage', '010.0.0.1', '[::1', 'x'.repeat(200)]) {
      await expect(guard.attempt({ account: 'a', ip }, right), ip).rejects.toMatchObject({
        code: 'ERR_INVALID_ARGUMENT',
      });
    }
  });

  it('normalises account ids (NFKC, trim, lower case): 8 spellings of a locked account get no allowance', async () => {
    const { guard } = setup();
    const ip = '203.0.113.20';
    for (let i = 0; i < 5; i++) await guard.attempt({ account: 'alice@x', ip }, wrong);
    const variants = [
      'Alice@x',
      'ALICE@x',
      ' alice@x',
      'alice@x\t',
      '\u3000alice@X',
      '\uff41\uff4c\uff49\uff43\uff45@x', // fullwidth
      'ALICE\uff20x', // fullwidth @
      'aLiCe@X ',
    ];
    let checks = 0;
    for (const account of variants) {
      const outcome = await guard.attempt({ account, ip }, () => {
        checks += 1;
        return false;
      });
      expect(outcome, JSON.stringify(account)).toMatchObject({ ok: false, reason: 'locked-account' });
    }
    expect(checks).toBe(0);
    for (let i = 0; i < 5; i++) await guard.attempt({ account: 'jos\u00e9@x', ip }, wrong);
    for (const account of ['jose\u0301@x', 'JOSE\u0301@X', 'JOS\u00c9@x']) {
      expect(await guard.attempt({ account, ip }, right)).toMatchObject({ reason: 'locked-account' });
    }
  });

  it('normalizeAccountId is documented, idempotent, and refuses what normalises to nothing', () => {
    expect(normalizeAccountId('  \uff21lice@Example.COM ')).toBe('alice@example.com');
    expect(normalizeAccountId('jose\u0301')).toBe('jos\u00e9');
    for (const raw of ['Stra\u00dfe', '\u0130stanbul', '\ufb01le', 'K\u212a', 'x\u0345\u0301']) {
      const once = normalizeAccountId(raw);
      expect(normalizeAccountId(once), raw).toBe(once);
    }
    for (const bad of ['', '   ', '\u3000', undefined, 7, 'a'.repeat(321)]) {
      expect(() => normalizeAccountId(bad as string)).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
      );
    }
  });

  it('unlock(account) clears the lockout and the failure counts of every spelling', async () => {
    const { guard } = setup();
    const ip = '203.0.113.30';
    // 20 failures today (unlocked after each 5): if unlock kept the daily tier, the 21st would lock for 24 h.
    for (let round = 0; round < 4; round++) {
      for (let i = 0; i < (round === 3 ? 4 : 5); i++) await guard.attempt({ account: 'frank@x', ip }, wrong);
      if (round < 3) await guard.unlock('frank@x');
    }
    await guard.attempt({ account: 'frank@x', ip }, wrong);
    expect(await guard.attempt({ account: 'frank@x', ip }, right)).toMatchObject({
      reason: 'locked-account',
    });
    await guard.unlock(' FRANK@x');
    for (let i = 0; i < 5; i++) {
      expect(await guard.attempt({ account: 'frank@x', ip }, wrong)).toMatchObject({
        reason: 'invalid-credentials',
      });
    }
    await expect(guard.unlock('')).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
  });

  it('timingSafeEqualString compares by value, whatever the lengths', () => {
    expect(timingSafeEqualString('secret', 'secret')).toBe(true);
    expect(timingSafeEqualString('secret', 'secreT')).toBe(false);
    expect(timingSafeEqualString('short', 'a much longer string')).toBe(false);
  });
});

describe.skipIf(noRedis)('createLoginGuard on the Redis rate-limit store', () => {
  const { client, prefix } = useRedisPrefix('auth-guard');

  it('locks after 5 failures and unlocks after 15 minutes of the injected clock', async () => {
    const clock = createManualClock(T0);
    const store = createRedisRateLimitStore({ client: client!, prefix, clock });
    const guard = createLoginGuard({ clock, store });
    const who = { account: 'erin', ip: '203.0.113.5' };
    for (let i = 0; i < 5; i++)
      expect(await guard.attempt(who, wrong)).toMatchObject({ reason: 'invalid-credentials' });
    expect(await guard.attempt(who, right)).toMatchObject({ ok: false, reason: 'locked-account' });
    clock.advance(15 * MIN);
    expect(await guard.attempt(who, right)).toEqual({ ok: true });
  });

  it('unlock(account) clears a lockout on Redis (after a password reset)', async () => {
    const clock = createManualClock(T0);
    const store = createRedisRateLimitStore({ client: client!, prefix, clock });
    const guard = createLoginGuard({ clock, store, name: 'unlock' });
    const who = { account: 'Grace@x', ip: '::ffff:203.0.113.6' };
    for (let i = 0; i < 5; i++) await guard.attempt(who, wrong);
    expect(await guard.attempt(who, right)).toMatchObject({ ok: false, reason: 'locked-account' });
    await guard.unlock('grace@X');
    expect(await guard.attempt(who, right)).toEqual({ ok: true });
  });
});

describe.skipIf(!onPath('redis-server'))('createLoginGuard when its Redis store is down', () => {
  it('keeps throttling guesses with the insurance share by default (not fail-open)', async () => {
    const server = await startRedisServer();
    const client = new Redis(server.url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      retryStrategy: () => 50,
    });
    try {
      await waitFor('redis ready', async () => client.status === 'ready' && (await client.ping()) === 'PONG');
      const guard = createLoginGuard({ store: createRedisRateLimitStore({ client, prefix: 'guard-down' }) });
      await server.kill();
      const outcomes = [];
      for (let i = 0; i < 20; i++)
        outcomes.push(await guard.attempt({ account: 'victim@example.com', ip: '203.0.113.9' }, wrong));
      const verified = outcomes.filter((o) => !o.ok && o.reason === 'invalid-credentials').length;
      // 5 per 15 min per account, scaled to the insurance share (10 %): at most one guess reaches verify.
      expect(verified).toBeLessThanOrEqual(1);
      expect(
        outcomes.filter((o) => !o.ok && o.reason !== 'invalid-credentials').length,
      ).toBeGreaterThanOrEqual(19);
    } finally {
      client.disconnect();
      await server.stop();
    }
  }, 30_000);
});
