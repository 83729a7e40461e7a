/**
 * Signup and verification: a new address gets a link; a taken one answers the same and mails its owner;
 * an unverified one is re-armed by the newest signup; an expired unverified one is replaced and purged.
 * Plus the card's failure mode seen from the app: delivery status and undeliverable reports.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  type FlowFixture,
  flowFixture,
  IP,
  lastLink,
  later,
  PASSWORD,
  until,
  verifiedUser,
} from './flow-fixture.js';

const HOUR = 3_600_000;
let fx: FlowFixture;

afterEach(async () => {
  await fx?.flow.close().catch(() => undefined);
});

/** The answer with its random request id blanked: what must be byte-identical across paths. */
const shape = (answer: object) => JSON.stringify({ ...answer, requestId: 'x' });

describe('signup', () => {
  it('creates an unverified account and mails a link that verifies it once', async () => {
    fx = await flowFixture();
    const answer = await fx.flow.signup({ email: 'Ada@Example.com', password: PASSWORD, ip: IP });
    expect(shape(answer)).toBe('{"status":"accepted","requestId":"x"}');
    const user = await fx.users.findByEmail('ada@example.com');
    expect(user).toMatchObject({ verified: false });
    const token = await lastLink(fx, 'ada@example.com');
    await expect(fx.flow.verifyEmail({ token, ip: IP })).resolves.toEqual({ userId: user?.id });
    expect((await fx.users.findByEmail('ada@example.com'))?.verified).toBe(true);
    await expect(fx.flow.verifyEmail({ token, ip: IP })).rejects.toMatchObject({
      code: 'ERR_ACCOUNTS_TOKEN_INVALID',
    });
    expect(fx.metrics.counterValue('accounts.signup.verified')).toBe(1);
  });

  it('a taken address answers byte for byte the same, keeps its password, and mails the owner', async () => {
    fx = await flowFixture();
    const first = await fx.flow.signup({ email: 'bo@example.com', password: PASSWORD, ip: IP });
    await fx.flow.verifyEmail({ token: await lastLink(fx, 'bo@example.com'), ip: IP });
    await later(fx, 61_000); // past the signup cooldown of the address
    const again = await fx.flow.signup({
      email: 'BO@example.com',
      password: 'an attacker passphrase',
      ip: '198.51.100.9',
    });
    expect(shape(again)).toBe(shape(first));
    await until(() => fx.outbox.to('bo@example.com').length === 2);
    const mail = fx.outbox.to('bo@example.com')[1]?.message;
    expect(mail).toMatchObject({ subject: expect.stringContaining('already have') });
    expect(mail?.channel === 'email' && mail.text).not.toMatch(/token=/);
    expect((await fx.flow.login({ email: 'bo@example.com', password: PASSWORD })).ok).toBe(true);
    expect(fx.metrics.counterValue('accounts.signup.requested', { account: 'existing' })).toBe(1);
  });

  it('the newest signup of an unverified address sets its password and voids the older link', async () => {
    fx = await flowFixture();
    await fx.flow.signup({ email: 'cy@example.com', password: PASSWORD, ip: IP });
    const older = await lastLink(fx, 'cy@example.com');
    await later(fx, 61_000);
    await fx.flow.signup({ email: 'cy@example.com', password: 'the second passphrase', ip: IP });
    const newer = await lastLink(fx, 'cy@example.com', 2);
    await expect(fx.flow.verifyEmail({ token: older, ip: IP })).rejects.toMatchObject({
      code: 'ERR_ACCOUNTS_TOKEN_INVALID',
    });
    await fx.flow.verifyEmail({ token: newer, ip: IP });
    expect((await fx.flow.login({ email: 'cy@example.com', password: 'the second passphrase' })).ok).toBe(
      true,
    );
    expect((await fx.flow.login({ email: 'cy@example.com', password: PASSWORD })).ok).toBe(false);
  });

  it('an unverified account past unverifiedAccountTtlMs is replaced by a new signup, and purged', async () => {
    fx = await flowFixture({ unverifiedAccountTtlMs: HOUR });
    await fx.flow.signup({ email: 'dee@example.com', password: PASSWORD, ip: IP });
    await fx.flow.signup({ email: 'old@example.com', password: PASSWORD, ip: IP });
    const before = await fx.users.findByEmail('dee@example.com');
    await later(fx, HOUR + 1000);
    await fx.flow.signup({ email: 'dee@example.com', password: 'the second passphrase', ip: IP });
    const after = await fx.users.findByEmail('dee@example.com');
    expect(after?.id).not.toBe(before?.id);
    await expect(fx.flow.purgeUnverified()).resolves.toBe(1); // old@, not the fresh dee@
    expect(await fx.users.findByEmail('old@example.com')).toBeUndefined();
  });

  it('verification links expire after 24 h; a resend mails a new one', async () => {
    fx = await flowFixture();
    await fx.flow.signup({ email: 'eve@example.com', password: PASSWORD, ip: IP });
    const token = await lastLink(fx, 'eve@example.com');
    await later(fx, 24 * HOUR + 1000);
    await expect(fx.flow.verifyEmail({ token, ip: IP })).rejects.toMatchObject({
      code: 'ERR_ACCOUNTS_TOKEN_EXPIRED',
    });
    const answer = await fx.flow.resendVerification({ email: 'eve@example.com', ip: IP });
    expect(shape(answer)).toBe('{"status":"accepted","requestId":"x"}');
    const fresh = await lastLink(fx, 'eve@example.com', 2);
    await expect(fx.flow.verifyEmail({ token: fresh, ip: IP })).resolves.toBeDefined();
  });

  it('a verification token is refused by confirmReset and a reset token by verifyEmail', async () => {
    fx = await flowFixture();
    await fx.flow.signup({ email: 'fin@example.com', password: PASSWORD, ip: IP });
    const verifyToken = await lastLink(fx, 'fin@example.com');
    await fx.flow.requestReset({ email: 'fin@example.com', ip: IP });
    const resetToken = await lastLink(fx, 'fin@example.com', 2);
    await expect(fx.flow.verifyEmail({ token: resetToken, ip: IP })).rejects.toMatchObject({
      code: 'ERR_ACCOUNTS_TOKEN_INVALID',
    });
    await expect(
      fx.flow.confirmReset({ token: verifyToken, password: 'a brand new passphrase', ip: IP }),
    ).rejects.toMatchObject({ code: 'ERR_ACCOUNTS_TOKEN_INVALID' });
  });
});

describe('delivery status (the card failure mode)', () => {
  it('follows the notifier: sent, then bounced from a provider event, reported once to the app', async () => {
    fx = await flowFixture();
    await verifiedUser(fx, 'gil@example.com');
    const { requestId } = await fx.flow.requestReset({ email: 'gil@example.com', ip: IP });
    await until(async () => (await fx.flow.deliveryStatus(requestId))?.status === 'sent');
    const sent = await fx.flow.deliveryStatus(requestId);
    expect(sent).toMatchObject({ kind: 'reset', status: 'sent', messageId: expect.any(String) });
    await fx.notifier.track([
      {
        messageId: sent?.messageId,
        provider: 'outbox-email',
        channel: 'email',
        status: 'bounced',
        permanent: true,
        recipient: 'gil@example.com',
        atMs: fx.clock.now(),
        reason: '550 5.1.1 no such user',
      },
    ]);
    expect(await fx.flow.deliveryStatus(requestId)).toMatchObject({ status: 'bounced' });
    expect(await fx.flow.deliveryStatus(requestId)).toMatchObject({ status: 'bounced' });
    expect(fx.undeliverable).toEqual([
      expect.objectContaining({ requestId, kind: 'reset', status: 'bounced', email: 'gil@example.com' }),
    ]);
    // The next mail to the suppressed address is reported at send time.
    await later(fx, 61_000);
    const next = await fx.flow.requestReset({ email: 'gil@example.com', ip: IP });
    await until(async () => (await fx.flow.deliveryStatus(next.requestId))?.status === 'suppressed');
    expect(fx.undeliverable).toHaveLength(2);
    expect(fx.metrics.counterValue('accounts.mail', { kind: 'reset', status: 'suppressed' })).toBe(1);
  });

  it('an unknown request id is undefined, a hostile one too', async () => {
    fx = await flowFixture();
    for (const id of ['nope', '', 'a'.repeat(10_000), '../../etc', 'x\r\ny']) {
      expect(await fx.flow.deliveryStatus(id)).toBeUndefined();
    }
  });
});
