/**
 * Hostile input at the flows' doors: every entry is a typed error or the uniform answer, and nothing is
 * written half-way (no user, no token, no mail record, no job, no mail).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type FlowFixture, flowFixture, IP, lastLink, PASSWORD, verifiedUser } from './flow-fixture.js';

let fx: FlowFixture;
afterEach(async () => {
  await fx?.flow.close().catch(() => undefined);
});

const MB = 1024 * 1024;
const hostileEmails: readonly [string, unknown, string][] = [
  ['CRLF header injection', 'ada@example.com\r\nBcc: all@example.com', 'control-character'],
  ['a bare LF', 'ada@example.com\n', 'control-character'],
  ['NUL', 'ada\0@example.com', 'control-character'],
  ['RTL override', 'ada\u202e@example.com', 'control-character'],
  ['10 KB', `${'a'.repeat(10 * 1024)}@example.com`, 'too-long'],
  ['1 MB', `${'a'.repeat(MB)}@example.com`, 'too-long'],
  ['two @', 'a@b@example.com', 'syntax'],
  ['no domain dot', 'ada@localhost', 'domain'],
  ['IP literal', 'ada@[127.0.0.1]', 'domain'],
  ['Cyrillic а in a Latin local part', 'аda@example.com', 'mixed-script'],
  ['a number', 42, 'not-a-string'],
  ['an object', { toString: () => 'ada@example.com' }, 'not-a-string'],
];

const hostilePasswords: readonly [string, unknown, string][] = [
  ['1 MB', 'x'.repeat(MB), 'too-many-bytes'],
  ['a lone high surrogate', `${'long enough password'}\ud800`, 'malformed'],
  ['a lone low surrogate', `\udc00${'long enough password'}`, 'malformed'],
  ['129 characters', 'p'.repeat(129), 'too-long'],
  ['7 characters', 'seven77', 'too-short'],
  ['14 characters without MFA', 'fourteen chars', 'too-short'],
];

/** Nothing was written: no user, no job in the queue, no mail. */
async function nothingWritten(email = 'ada@example.com') {
  expect(await fx.users.findByEmail(email)).toBeUndefined();
  await new Promise((r) => setTimeout(r, 50));
  expect(fx.outbox.messages).toHaveLength(0);
}

describe('hostile emails', () => {
  for (const [what, email, reason] of hostileEmails) {
    it(`${what}: ERR_ACCOUNTS_INVALID_EMAIL (${reason}) from signup, reset, resend and login; nothing written`, async () => {
      fx = await flowFixture();
      const expected = { code: 'ERR_ACCOUNTS_INVALID_EMAIL', reason };
      await expect(
        fx.flow.signup({ email: email as string, password: PASSWORD, ip: IP }),
      ).rejects.toMatchObject(expected);
      await expect(fx.flow.requestReset({ email: email as string, ip: IP })).rejects.toMatchObject(expected);
      await expect(fx.flow.resendVerification({ email: email as string, ip: IP })).rejects.toMatchObject(
        expected,
      );
      await expect(
        fx.flow.login({ ip: IP, email: email as string, password: PASSWORD }),
      ).rejects.toMatchObject(expected);
      await nothingWritten();
    });
  }

  it('homoglyph (compatibility) and case variants of one address are one account and one throttle', async () => {
    fx = await flowFixture();
    await fx.flow.signup({ email: 'ＡＤＡ@ｅｘａｍｐｌｅ．ｃｏｍ', password: PASSWORD, ip: IP });
    await fx.flow.verifyEmail({ token: await lastLink(fx, 'ada@example.com'), ip: IP });
    const user = await fx.users.findByEmail('ada@example.com');
    expect(user).toBeDefined();
    for (const variant of ['Ada@Example.com', ' ada@EXAMPLE.COM ', 'ada@example.com.', '𝐚𝐝𝐚@example.com']) {
      await fx.flow.signup({ email: variant, password: 'another long passphrase', ip: IP });
    }
    expect(await fx.users.findByEmail('ada@example.com')).toMatchObject({ id: user?.id });
    await new Promise((r) => setTimeout(r, 100));
    expect(fx.outbox.to('ada@example.com')).toHaveLength(1); // the variants hit the address's cooldown
  });
});

describe('hostile passwords', () => {
  for (const [what, password, reason] of hostilePasswords) {
    it(`${what}: ERR_ACCOUNTS_PASSWORD_POLICY (${reason}) at signup; nothing written`, async () => {
      fx = await flowFixture();
      await expect(
        fx.flow.signup({ email: 'ada@example.com', password: password as string, ip: IP }),
      ).rejects.toMatchObject({
        code: 'ERR_ACCOUNTS_PASSWORD_POLICY',
        reason,
      });
      await nothingWritten();
    });
  }

  it('a 1 MB password at login and confirm is refused before any hash, and burns no token', async () => {
    fx = await flowFixture();
    await verifiedUser(fx, 'bea@example.com');
    await fx.flow.requestReset({ email: 'bea@example.com', ip: IP });
    const token = await lastLink(fx, 'bea@example.com', 2);
    const huge = 'x'.repeat(MB);
    await expect(fx.flow.login({ ip: IP, email: 'bea@example.com', password: huge })).rejects.toMatchObject({
      code: 'ERR_ACCOUNTS_PASSWORD_POLICY',
      reason: 'too-many-bytes',
    });
    await expect(fx.flow.confirmReset({ token, password: huge, ip: IP })).rejects.toMatchObject({
      code: 'ERR_ACCOUNTS_PASSWORD_POLICY',
    });
    await expect(fx.flow.inspectResetToken({ token, ip: IP })).resolves.toMatchObject({ status: 'valid' });
  });

  it('NUL bytes are kept and hashed whole: a password differing after the NUL does not verify', async () => {
    fx = await flowFixture();
    const withNul = 'long enough pass\0word one';
    await verifiedUser(fx, 'cal@example.com', withNul);
    expect((await fx.flow.login({ ip: IP, email: 'cal@example.com', password: withNul })).ok).toBe(true);
    expect(
      (await fx.flow.login({ ip: IP, email: 'cal@example.com', password: 'long enough pass\0word two' })).ok,
    ).toBe(false);
    expect((await fx.flow.login({ ip: IP, email: 'cal@example.com', password: 'long enough pass' })).ok).toBe(
      false,
    );
  });

  it('NFKC-equivalent passwords are one password (ﬁ ligature vs fi)', async () => {
    fx = await flowFixture();
    await verifiedUser(fx, 'dan@example.com', 'the ﬁrst long passphrase');
    expect(
      (await fx.flow.login({ ip: IP, email: 'dan@example.com', password: 'the first long passphrase' })).ok,
    ).toBe(true);
  });

  it('MFA users may use the shorter minimum (8)', async () => {
    fx = await flowFixture();
    await fx.flow.signup({ email: 'eli@example.com', password: 'eight888', ip: IP, mfa: true });
    await expect(lastLink(fx, 'eli@example.com')).resolves.toMatch(/^[\w-]{43}$/);
  });
});

describe('hostile options', () => {
  it('refuses reset lifetimes outside 15-60 min unless overridden, and Host-like links', async () => {
    fx = await flowFixture();
    const base = { users: fx.users, hasher: fx.hasher, notifier: fx.notifier };
    const { createResetFlow } = await import('../../src/accounts/index.js');
    const links = {
      resetUrl: 'https://a.test/r',
      verifyUrl: 'https://a.test/v',
      loginUrl: 'https://a.test/l',
    };
    for (const resetTokenTtlMs of [10 * 60_000, 61 * 60_000]) {
      expect(() => createResetFlow({ ...base, links, resetTokenTtlMs })).toThrow(/15\.\.60 min/);
    }
    const long = createResetFlow({
      ...base,
      links,
      resetTokenTtlMs: 2 * 3_600_000,
      allowResetTtlOutsideRange: true,
    });
    await long.close();
    for (const resetUrl of [
      'http://app.example.com/r',
      'javascript:alert(1)',
      '/relative',
      'https://u:p@a.test/r',
      'https://a.test/r#x',
    ]) {
      expect(() => createResetFlow({ ...base, links: { ...links, resetUrl } })).toThrow(/links\.resetUrl/);
    }
    expect(() => createResetFlow({ ...base, links, responseFloorMs: -1 })).toThrow(/responseFloorMs/);
    expect(() => createResetFlow({ ...base, links, resetTokenTTL: 1 } as never)).toThrow(/resetTokenTTL/);
  });
});
