/**
 * The reset flow end to end on the memory adapters: request → mail → confirm, what a completed reset
 * revokes, and every way a token can be refused (expired, tampered, wrong kind, foreign, replaced,
 * stale after a password change, used).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createArgon2Hasher } from '../../src/accounts/argon2.js';
import { isBackendPatternsError } from '../../src/index.js';
import { createRateLimiter, fixedWindow } from '../../src/ratelimit/index.js';
import {
  type FlowFixture,
  flowFixture,
  IP,
  lastLink,
  later,
  mailSettled,
  PASSWORD,
  until,
  verifiedUser,
} from './flow-fixture.js';

const NEW_PASSWORD = 'a brand new long passphrase';
const MIN = 60_000;
let fx: FlowFixture;

afterEach(async () => {
  await fx?.flow.close().catch(() => undefined);
});

async function resetLink(email: string, count = 1) {
  await fx.flow.requestReset({ email, ip: IP });
  return lastLink(fx, email, count);
}

describe('requestReset → confirmReset', () => {
  it('changes the password, revokes sessions and refresh families, logs nobody in, and mails a confirmation', async () => {
    fx = await flowFixture();
    const userId = await verifiedUser(fx, 'ada@example.com');
    const session = await fx.sessions.create({ userId });
    const pair = await fx.tokens.issuePair({ sub: userId });
    const token = await resetLink('ada@example.com', 2);
    expect(fx.outbox.to('ada@example.com')[1]?.message).toMatchObject({
      subject: expect.stringContaining('Reset'),
    });

    const result = await fx.flow.confirmReset({ token, password: NEW_PASSWORD, ip: IP });
    expect(result.userId).toBe(userId);
    expect(Object.keys(result).sort()).toEqual(['credentialsVersion', 'userId']); // no session, no token

    expect((await fx.flow.login({ ip: IP, email: 'ada@example.com', password: PASSWORD })).ok).toBe(false);
    expect((await fx.flow.login({ ip: IP, email: 'ada@example.com', password: NEW_PASSWORD })).ok).toBe(true);
    expect((await fx.sessions.validate(session.token)).valid).toBe(false);
    await expect(fx.tokens.refresh(pair.refreshToken)).rejects.toThrow();
    await expect(fx.tokens.verify(pair.accessToken)).rejects.toThrow();
    await until(() => fx.outbox.to('ada@example.com').length === 3);
    expect(fx.outbox.to('ada@example.com')[2]?.message).toMatchObject({
      subject: expect.stringContaining('changed'),
    });
    expect(fx.metrics.counterValue('accounts.reset.completed')).toBe(1);
    expect(fx.metrics.counterValue('accounts.reset.requested', { account: 'known' })).toBe(1);
  });

  it('builds the link from the configured base URL only', async () => {
    fx = await flowFixture();
    await verifiedUser(fx, 'bob@example.com');
    await fx.flow.requestReset({ email: 'bob@example.com', ip: IP });
    await until(() => fx.outbox.to('bob@example.com').length === 2);
    const text = fx.outbox.to('bob@example.com')[1]?.message;
    expect(text?.channel === 'email' && text.text).toMatch(
      /https:\/\/app\.example\.test\/reset\?token=[A-Za-z0-9_-]{43}/,
    );
  });

  it('a token is used once: a second confirm is refused', async () => {
    fx = await flowFixture();
    await verifiedUser(fx, 'cy@example.com');
    const token = await resetLink('cy@example.com', 2);
    await fx.flow.confirmReset({ token, password: NEW_PASSWORD, ip: IP });
    await expect(
      fx.flow.confirmReset({ token, password: 'yet another passphrase', ip: IP }),
    ).rejects.toMatchObject({
      code: 'ERR_ACCOUNTS_TOKEN_INVALID',
    });
    expect((await fx.flow.login({ ip: IP, email: 'cy@example.com', password: NEW_PASSWORD })).ok).toBe(true);
  });

  it('a refused password does not burn the token', async () => {
    fx = await flowFixture();
    await verifiedUser(fx, 'di@example.com');
    const token = await resetLink('di@example.com', 2);
    await expect(fx.flow.confirmReset({ token, password: 'short', ip: IP })).rejects.toMatchObject({
      code: 'ERR_ACCOUNTS_PASSWORD_POLICY',
      reason: 'too-short',
    });
    await expect(fx.flow.inspectResetToken({ token, ip: IP })).resolves.toMatchObject({ status: 'valid' });
    await expect(fx.flow.confirmReset({ token, password: NEW_PASSWORD, ip: IP })).resolves.toBeDefined();
    expect(fx.metrics.counterValue('accounts.reset.failed', { reason: 'policy' })).toBe(1);
  });

  it('expires after resetTokenTtlMs (30 min)', async () => {
    fx = await flowFixture();
    await verifiedUser(fx, 'ed@example.com');
    const token = await resetLink('ed@example.com', 2);
    await later(fx, 30 * MIN + 1000);
    await expect(fx.flow.inspectResetToken({ token, ip: IP })).resolves.toEqual({ status: 'expired' });
    await expect(fx.flow.confirmReset({ token, password: NEW_PASSWORD, ip: IP })).rejects.toMatchObject({
      code: 'ERR_ACCOUNTS_TOKEN_EXPIRED',
    });
    expect((await fx.flow.login({ ip: IP, email: 'ed@example.com', password: PASSWORD })).ok).toBe(true);
  });

  it('refuses tampered, wrong-kind, foreign and malformed tokens, and counts them', async () => {
    fx = await flowFixture();
    await fx.flow.signup({ email: 'fay@example.com', password: PASSWORD, ip: IP });
    const verifyToken = await lastLink(fx, 'fay@example.com');
    const other = await flowFixture();
    try {
      await verifiedUser(other, 'fay@example.com');
      const foreign = await (async () => {
        await other.flow.requestReset({ email: 'fay@example.com', ip: IP });
        return lastLink(other, 'fay@example.com', 2);
      })();
      const tampered = `${verifyToken.slice(0, -1)}${verifyToken.endsWith('A') ? 'B' : 'A'}`;
      for (const token of [verifyToken, foreign, tampered]) {
        await expect(fx.flow.confirmReset({ token, password: NEW_PASSWORD, ip: IP })).rejects.toMatchObject({
          code: 'ERR_ACCOUNTS_TOKEN_INVALID',
          reason: 'unknown',
        });
      }
      for (const token of [
        '',
        'x',
        `${verifyToken}=`,
        verifyToken.slice(1),
        'é'.repeat(43),
        '\0'.repeat(43),
        42,
        null,
      ]) {
        await expect(
          fx.flow.confirmReset({ token: token as string, password: NEW_PASSWORD, ip: IP }),
        ).rejects.toMatchObject({ code: 'ERR_ACCOUNTS_TOKEN_INVALID', reason: 'malformed' });
      }
      // The verification token was not consumed by being tried as a reset token.
      await expect(fx.flow.verifyEmail({ token: verifyToken, ip: IP })).resolves.toBeDefined();
      expect(fx.metrics.counterValue('accounts.reset.failed', { reason: 'invalid' })).toBe(3);
    } finally {
      await other.flow.close();
    }
  });

  it('a newer request voids the older link', async () => {
    fx = await flowFixture();
    await verifiedUser(fx, 'gus@example.com');
    const first = await resetLink('gus@example.com', 2);
    await later(fx, 61_000); // past the resend cooldown
    const second = await resetLink('gus@example.com', 3);
    expect(second).not.toBe(first);
    await expect(
      fx.flow.confirmReset({ token: first, password: NEW_PASSWORD, ip: IP }),
    ).rejects.toMatchObject({
      code: 'ERR_ACCOUNTS_TOKEN_INVALID',
    });
    await expect(
      fx.flow.confirmReset({ token: second, password: NEW_PASSWORD, ip: IP }),
    ).resolves.toBeDefined();
  });

  it('a password change made elsewhere (credentials version) voids outstanding links', async () => {
    fx = await flowFixture();
    const userId = await verifiedUser(fx, 'hal@example.com');
    const token = await resetLink('hal@example.com', 2);
    await fx.users.bumpCredentialsVersion(userId); // what your own "change password" page does
    await expect(fx.flow.confirmReset({ token, password: NEW_PASSWORD, ip: IP })).rejects.toMatchObject({
      code: 'ERR_ACCOUNTS_TOKEN_INVALID',
      reason: 'stale',
    });
  });

  it('a completed reset voids the other outstanding token kinds, and verifies the address', async () => {
    fx = await flowFixture();
    // An unverified row of the app's (signups make none until their link is used).
    const row = await fx.users.create({
      email: 'ivy@example.com',
      passwordHash: await fx.hasher.hash(PASSWORD),
      createdAtMs: fx.clock.now(),
    });
    await fx.flow.resendVerification({ email: 'ivy@example.com', ip: IP });
    const verifyToken = await lastLink(fx, 'ivy@example.com');
    const token = await resetLink('ivy@example.com', 2);
    await fx.flow.confirmReset({ token, password: NEW_PASSWORD, ip: IP });
    await expect(fx.flow.verifyEmail({ token: verifyToken, ip: IP })).rejects.toMatchObject({
      code: 'ERR_ACCOUNTS_TOKEN_INVALID',
    });
    expect((await fx.users.findById(row?.id ?? ''))?.verified).toBe(true); // the reset link proved the mailbox
  });

  it('a login with the old password that was being checked while the reset wrote loses', async () => {
    fx = await flowFixture({ loginGuard: false }); // 12 logins at once would trip the guard's 5 / 15 min
    await verifiedUser(fx, 'jay@example.com');
    const token = await resetLink('jay@example.com', 2);
    // Start many old-password logins, then the confirm; none that finishes after the write may succeed.
    const logins = Array.from({ length: 8 }, () =>
      fx.flow.login({ ip: IP, email: 'jay@example.com', password: PASSWORD }),
    );
    await fx.flow.confirmReset({ token, password: NEW_PASSWORD, ip: IP });
    const after = await Promise.all(
      Array.from({ length: 4 }, () =>
        fx.flow.login({ ip: IP, email: 'jay@example.com', password: PASSWORD }),
      ),
    );
    expect(after.every((r) => !r.ok)).toBe(true);
    const results = await Promise.all(logins);
    const current = await fx.users.findByEmail('jay@example.com');
    for (const r of results)
      if (r.ok) expect(r.user.credentialsVersion).toBeLessThan(current?.credentialsVersion ?? 0);
  });

  it('a revocation that fails inline is queued and retried; the reset still completes', async () => {
    let failures = 1;
    const revoked: string[] = [];
    const flaky = {
      async revokeAllForUser(userId: string) {
        if (failures-- > 0) throw new Error('session store down');
        revoked.push(userId);
      },
    };
    fx = await flowFixture({ sessions: flaky });
    const userId = await verifiedUser(fx, 'kay@example.com');
    const token = await resetLink('kay@example.com', 2);
    await expect(fx.flow.confirmReset({ token, password: NEW_PASSWORD, ip: IP })).resolves.toMatchObject({
      userId,
    });
    expect((await fx.flow.login({ ip: IP, email: 'kay@example.com', password: PASSWORD })).ok).toBe(false);
    await until(() => revoked.length === 1, 20_000);
    expect(revoked).toEqual([userId]);
    expect(fx.metrics.counterValue('accounts.reset.revocations_deferred')).toBe(1);
  }, 30_000);

  it('an unknown address gets the same answer, no mail and no token', async () => {
    fx = await flowFixture();
    const answer = await fx.flow.requestReset({ email: 'nobody@example.com', ip: IP });
    expect(Object.keys(answer)).toEqual(['status', 'requestId']);
    await until(async () => (await fx.flow.deliveryStatus(answer.requestId))?.status === 'skipped');
    expect(await fx.flow.deliveryStatus(answer.requestId)).toMatchObject({
      kind: 'reset-unknown',
      reason: 'no-account',
    });
    expect(fx.outbox.messages).toHaveLength(0);
    expect(fx.metrics.counterValue('accounts.reset.requested', { account: 'unknown' })).toBe(1);
  });

  it('throttles per account across spellings, answering the same way, sending nothing more', async () => {
    fx = await flowFixture();
    await verifiedUser(fx, 'jo@example.com');
    const spellings = [
      'jo@example.com',
      'JO@Example.COM',
      ' jo@example.com ',
      'ｊｏ＠ｅｘａｍｐｌｅ．ｃｏｍ',
      'jo@EXAMPLE.com.',
    ];
    const answers = [];
    for (const email of spellings) {
      answers.push(await fx.flow.requestReset({ email, ip: IP }));
      await later(fx, 61_000); // past the resend cooldown, so only the account limit holds
    }
    expect(new Set(answers.map((a) => JSON.stringify(Object.keys(a)))).size).toBe(1);
    await until(() => fx.outbox.to('jo@example.com').length === 4);
    await new Promise((r) => setTimeout(r, 100));
    expect(fx.outbox.to('jo@example.com')).toHaveLength(4); // the verification + 3 resets (3 per 15 min)
    expect(fx.metrics.counterValue('accounts.reset.failed', { reason: 'throttled' })).toBe(2);
  });

  it('requests from a throttled IP do not use up the address allowance (no lock-out of the owner)', async () => {
    const one = createRateLimiter({
      name: 'one-per-ip',
      algorithm: fixedWindow({ limit: 1, windowMs: 3_600_000 }),
    });
    fx = await flowFixture({ limits: { resetPerIp: one } });
    await verifiedUser(fx, 'lee@example.com');
    for (let i = 0; i < 6; i++) await fx.flow.requestReset({ email: 'lee@example.com', ip: '198.51.100.66' });
    await later(fx, 61_000);
    await fx.flow.requestReset({ email: 'lee@example.com', ip: IP }); // the owner, from another IP
    await until(() => fx.outbox.to('lee@example.com').length === 3); // verification + the attacker's first + the owner's
  });

  it('caps account mail per address across kinds (mailPerAddress)', async () => {
    const two = createRateLimiter({
      name: 'two-per-address',
      algorithm: fixedWindow({ limit: 2, windowMs: 3_600_000 }),
    });
    fx = await flowFixture({ limits: { mailPerAddress: two } });
    await verifiedUser(fx, 'mo@example.com'); // mail 1
    await fx.flow.requestReset({ email: 'mo@example.com', ip: IP }); // mail 2
    await later(fx, 61_000);
    await fx.flow.requestReset({ email: 'mo@example.com', ip: IP }); // capped
    await later(fx, 61_000);
    await fx.flow.signup({ email: 'mo@example.com', password: PASSWORD, ip: IP }); // capped
    await mailSettled(fx);
    expect(fx.outbox.to('mo@example.com')).toHaveLength(2);
  });

  it('the resend cooldown holds a second request back for 60 s', async () => {
    fx = await flowFixture();
    await verifiedUser(fx, 'kit@example.com');
    await fx.flow.requestReset({ email: 'kit@example.com', ip: IP });
    const held = await fx.flow.requestReset({ email: 'kit@example.com', ip: IP });
    await until(() => fx.outbox.to('kit@example.com').length === 2);
    await new Promise((r) => setTimeout(r, 100));
    expect(fx.outbox.to('kit@example.com')).toHaveLength(2);
    expect(await fx.flow.deliveryStatus(held.requestId)).toBeUndefined();
  });

  it('token guesses are limited per IP (30 per 15 min)', async () => {
    fx = await flowFixture();
    const guess = () => 'A'.repeat(43);
    for (let i = 0; i < 30; i++) {
      await expect(
        fx.flow.confirmReset({ token: guess(), password: NEW_PASSWORD, ip: IP }),
      ).rejects.toMatchObject({
        code: 'ERR_ACCOUNTS_TOKEN_INVALID',
      });
    }
    const error = await fx.flow
      .confirmReset({ token: guess(), password: NEW_PASSWORD, ip: IP })
      .catch((e: unknown) => e);
    expect(isBackendPatternsError(error, 'ERR_ACCOUNTS_THROTTLED')).toBe(true);
  });
});

describe('login', () => {
  it('rehashes on login when the parameters change, and not again after', async () => {
    fx = await flowFixture({ hasher: createArgon2Hasher({ memoryKiB: 12288, timeCost: 3 }) });
    const userId = await verifiedUser(fx, 'lu@example.com');
    const old = (await fx.users.findById(userId))?.passwordHash;
    await fx.flow.close();
    const upgraded = await flowFixture({ hasher: createArgon2Hasher(), users: fx.users });
    try {
      const first = await upgraded.flow.login({ ip: IP, email: 'lu@example.com', password: PASSWORD });
      expect(first).toMatchObject({ ok: true, rehashed: true });
      const now = (await fx.users.findById(userId))?.passwordHash;
      expect(now).not.toBe(old);
      expect(now).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
      expect(
        await upgraded.flow.login({ ip: IP, email: 'lu@example.com', password: PASSWORD }),
      ).toMatchObject({
        ok: true,
        rehashed: false,
      });
    } finally {
      await upgraded.flow.close();
    }
  });

  it('answers invalid-credentials the same way for an unknown address and a wrong password', async () => {
    fx = await flowFixture();
    await verifiedUser(fx, 'max@example.com');
    const unknown = await fx.flow.login({ ip: IP, email: 'nobody@example.com', password: PASSWORD });
    const wrong = await fx.flow.login({
      ip: IP,
      email: 'max@example.com',
      password: 'not the password at all',
    });
    expect(unknown).toEqual(wrong);
    expect(unknown).toEqual({ ok: false, reason: 'invalid-credentials' });
  });

  it('refuses an unverified account (a row of the app) after checking its password', async () => {
    fx = await flowFixture();
    await fx.users.create({
      email: 'ned@example.com',
      passwordHash: await fx.hasher.hash(PASSWORD),
      createdAtMs: fx.clock.now(),
    });
    expect(await fx.flow.login({ ip: IP, email: 'ned@example.com', password: PASSWORD })).toEqual({
      ok: false,
      reason: 'unverified',
    });
    expect(
      await fx.flow.login({ ip: IP, email: 'ned@example.com', password: 'wrong password here' }),
    ).toEqual({
      ok: false,
      reason: 'invalid-credentials',
    });
  });
});
