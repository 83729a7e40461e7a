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
  it('writes no user until the link is used; the link creates the verified account, once', async () => {
    fx = await flowFixture();
    const answer = await fx.flow.signup({ email: 'Ada@Example.com', password: PASSWORD, ip: IP });
    expect(shape(answer)).toBe('{"status":"accepted","requestId":"x"}');
    const token = await lastLink(fx, 'ada@example.com');
    expect(await fx.users.findByEmail('ada@example.com')).toBeUndefined(); // nothing to log in to, or to take over
    expect(await fx.flow.login({ ip: IP, email: 'ada@example.com', password: PASSWORD })).toEqual({
      ok: false,
      reason: 'invalid-credentials',
    });
    const { userId } = await fx.flow.verifyEmail({ token, ip: IP });
    expect(await fx.users.findByEmail('ada@example.com')).toMatchObject({ id: userId, verified: true });
    await expect(fx.flow.verifyEmail({ token, ip: IP })).rejects.toMatchObject({
      code: 'ERR_ACCOUNTS_TOKEN_INVALID',
    });
    expect((await fx.flow.login({ ip: IP, email: 'ada@example.com', password: PASSWORD })).ok).toBe(true);
    expect(fx.metrics.counterValue('accounts.signup.verified')).toBe(1);
  });

  it('signup then login with the same password says nothing about a taken address', async () => {
    fx = await flowFixture();
    await verifiedUser(fx, 'taken@example.com');
    for (const email of ['taken@example.com', 'free@example.com']) {
      await fx.flow.signup({ email, password: 'the probing passphrase', ip: IP });
    }
    const taken = await fx.flow.login({
      ip: IP,
      email: 'taken@example.com',
      password: 'the probing passphrase',
    });
    const free = await fx.flow.login({
      ip: IP,
      email: 'free@example.com',
      password: 'the probing passphrase',
    });
    expect(taken).toEqual(free);
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
    expect((await fx.flow.login({ ip: IP, email: 'bo@example.com', password: PASSWORD })).ok).toBe(true);
    expect(fx.metrics.counterValue('accounts.signup.requested', { account: 'existing' })).toBe(1);
  });

  it('a later signup of a pending address cannot take it over: the first link used wins, with its own password', async () => {
    fx = await flowFixture();
    await fx.flow.signup({ email: 'cy@example.com', password: PASSWORD, ip: IP });
    const victims = await lastLink(fx, 'cy@example.com');
    await later(fx, 61_000);
    await fx.flow.signup({
      email: 'cy@example.com',
      password: 'the attacker passphrase',
      ip: '198.51.100.9',
    });
    const attackers = await lastLink(fx, 'cy@example.com', 2);
    await fx.flow.verifyEmail({ token: victims, ip: IP });
    expect((await fx.flow.login({ ip: IP, email: 'cy@example.com', password: PASSWORD })).ok).toBe(true);
    expect(
      (await fx.flow.login({ ip: IP, email: 'cy@example.com', password: 'the attacker passphrase' })).ok,
    ).toBe(false);
    await expect(fx.flow.verifyEmail({ token: attackers, ip: IP })).rejects.toMatchObject({
      code: 'ERR_ACCOUNTS_TOKEN_INVALID',
      reason: 'stale',
    });
    expect((await fx.flow.login({ ip: IP, email: 'cy@example.com', password: PASSWORD })).ok).toBe(true);
  });

  it('an unverified row of the app keeps its password on a signup; purgeUnverified deletes old ones', async () => {
    fx = await flowFixture({ unverifiedAccountTtlMs: HOUR });
    const hash = await fx.hasher.hash(PASSWORD);
    await fx.users.create({ email: 'dee@example.com', passwordHash: hash, createdAtMs: fx.clock.now() });
    await fx.flow.signup({ email: 'dee@example.com', password: 'another long passphrase', ip: IP });
    await fx.flow.verifyEmail({ token: await lastLink(fx, 'dee@example.com'), ip: IP });
    expect((await fx.flow.login({ ip: IP, email: 'dee@example.com', password: PASSWORD })).ok).toBe(true);
    await fx.users.create({ email: 'old@example.com', passwordHash: hash, createdAtMs: fx.clock.now() });
    await later(fx, HOUR + 1000);
    await expect(fx.flow.purgeUnverified()).resolves.toBe(1); // old@, not the verified dee@
    expect(await fx.users.findByEmail('old@example.com')).toBeUndefined();
  });

  it('a pending signup expires with its link (24 h); signing up again is the resend', async () => {
    fx = await flowFixture();
    await fx.flow.signup({ email: 'eve@example.com', password: PASSWORD, ip: IP });
    const token = await lastLink(fx, 'eve@example.com');
    await later(fx, 24 * HOUR + 1000);
    await expect(fx.flow.verifyEmail({ token, ip: IP })).rejects.toMatchObject({
      code: 'ERR_ACCOUNTS_TOKEN_EXPIRED',
    });
    const none = await fx.flow.resendVerification({ email: 'eve@example.com', ip: IP });
    expect(shape(none)).toBe('{"status":"accepted","requestId":"x"}'); // nothing to resend: no row
    await fx.flow.signup({ email: 'eve@example.com', password: PASSWORD, ip: IP });
    const fresh = await lastLink(fx, 'eve@example.com', 2);
    await expect(fx.flow.verifyEmail({ token: fresh, ip: IP })).resolves.toBeDefined();
  });

  it('resendVerification mails a new link to an unverified row of the app, once per cooldown', async () => {
    fx = await flowFixture();
    await fx.users.create({
      email: 'fox@example.com',
      passwordHash: await fx.hasher.hash(PASSWORD),
      createdAtMs: fx.clock.now(),
    });
    await fx.flow.resendVerification({ email: 'fox@example.com', ip: IP });
    await fx.flow.resendVerification({ email: 'fox@example.com', ip: IP });
    const token = await lastLink(fx, 'fox@example.com');
    await expect(fx.flow.verifyEmail({ token, ip: IP })).resolves.toBeDefined();
    expect(fx.outbox.to('fox@example.com')).toHaveLength(1);
  });

  it('a verification token is refused by confirmReset and a reset token by verifyEmail', async () => {
    fx = await flowFixture();
    await fx.users.create({
      email: 'fin@example.com',
      passwordHash: await fx.hasher.hash(PASSWORD),
      createdAtMs: fx.clock.now(),
    });
    await fx.flow.resendVerification({ email: 'fin@example.com', ip: IP });
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
