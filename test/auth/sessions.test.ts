import { describe, expect, it } from 'vitest';
import {
  clearSessionCookie,
  createSessionManager,
  readSessionCookie,
  sessionCookie,
} from '../../src/auth/index.js';
import { createManualClock } from '../../src/testing/index.js';
import { T0 } from './fixtures.js';

const MIN = 60_000;
const setup = (options = {}) => {
  const clock = createManualClock(T0);
  return { clock, sessions: createSessionManager({ clock, ...options }) };
};

describe('createSessionManager', () => {
  it('creates a 256-bit token and stores only its SHA-256', async () => {
    const { sessions } = setup();
    const { token, session } = await sessions.create({ userId: 'user-1', data: { theme: 'dark' } });
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);
    expect(session.id).not.toBe(token);
    expect(JSON.stringify(session)).not.toContain(token);
    await expect(sessions.validate(token)).resolves.toMatchObject({
      valid: true,
      session: { userId: 'user-1', data: { theme: 'dark' } },
    });
  });

  it('idle timeout (30 min by default) under the manual clock, slid by activity', async () => {
    const { sessions, clock } = setup();
    const { token } = await sessions.create({ userId: 'user-1' });
    clock.advance(29 * MIN);
    expect((await sessions.validate(token)).valid).toBe(true);
    clock.advance(29 * MIN); // 58 min after creation, 29 after the last activity
    expect((await sessions.validate(token)).valid).toBe(true);
    clock.advance(30 * MIN);
    await expect(sessions.validate(token)).resolves.toEqual({ valid: false, reason: 'idle-timeout' });
    await expect(sessions.validate(token)).resolves.toEqual({ valid: false, reason: 'unknown' });
  });

  it('absolute timeout (8 h by default) ends even an active session', async () => {
    const { sessions, clock } = setup();
    const { token } = await sessions.create({ userId: 'user-1' });
    for (let i = 0; i < 23; i++) {
      clock.advance(20 * MIN);
      expect((await sessions.validate(token)).valid).toBe(true);
    }
    clock.set(T0 + 480 * MIN);
    await expect(sessions.validate(token)).resolves.toEqual({ valid: false, reason: 'absolute-timeout' });
  });

  it('regenerate on login gives a new id, kills the old one, keeps only what `keep` names (no session fixation)', async () => {
    const { sessions, clock } = setup();
    const anonymous = await sessions.create({ userId: 'anonymous', data: { cart: 3, csrf: 'pre-login' } });
    clock.advance(MIN);
    const loggedIn = await sessions.regenerate(anonymous.token, {
      userId: 'user-1',
      keep: ['cart'],
      data: { mfa: false },
    });
    expect(loggedIn).toBeDefined();
    expect(loggedIn?.token).not.toBe(anonymous.token);
    expect(loggedIn?.session.id).not.toBe(anonymous.session.id);
    await expect(sessions.validate(anonymous.token)).resolves.toEqual({ valid: false, reason: 'unknown' });
    await expect(sessions.validate(loggedIn?.token ?? '')).resolves.toMatchObject({
      valid: true,
      session: { userId: 'user-1', data: { cart: 3, mfa: false } },
    });
    // A new login starts a new absolute deadline.
    expect(loggedIn?.session.absoluteExpiresAtMs).toBe(T0 + MIN + 480 * MIN);
  });

  it('regenerate to another user starts with empty data: nothing of the old user leaks', async () => {
    const { sessions } = setup();
    const alice = await sessions.create({
      userId: 'alice',
      data: { role: 'admin', returnTo: '/billing', csrf: 'c1', mfaVerified: true },
    });
    const bob = await sessions.regenerate(alice.token, { userId: 'bob' });
    expect(bob?.session.data).toEqual({});
    await expect(sessions.validate(bob?.token ?? '')).resolves.toMatchObject({
      valid: true,
      session: { userId: 'bob', data: {} },
    });
    // Only named keys cross, and only when present; `data` wins over a kept key.
    const carol = await sessions.create({ userId: 'carol', data: { returnTo: '/x', mfaVerified: true } });
    const dave = await sessions.regenerate(carol.token, {
      userId: 'dave',
      keep: ['returnTo', 'missing'],
      data: { returnTo: '/y', fresh: 1 },
    });
    expect(dave?.session.data).toEqual({ returnTo: '/y', fresh: 1 });
    const erin = await sessions.create({ userId: 'erin', data: { returnTo: '/x', csrf: 'c' } });
    const frank = await sessions.regenerate(erin.token, { userId: 'frank', keep: ['returnTo'] });
    expect(frank?.session.data).toEqual({ returnTo: '/x' });
  });

  it('regenerate for the same user keeps the data; bad `keep` is ERR_INVALID_ARGUMENT', async () => {
    const { sessions } = setup();
    const a = await sessions.create({ userId: 'user-1', data: { returnTo: '/a', theme: 'dark' } });
    const same = await sessions.regenerate(a.token, { userId: 'user-1', data: { sudo: true } });
    expect(same?.session.data).toEqual({ returnTo: '/a', theme: 'dark', sudo: true });
    for (const keep of ['returnTo', [1], [''], ['__proto__'], Array(65).fill('k'), ['x'.repeat(129)]]) {
      await expect(
        sessions.regenerate(same?.token ?? '', { userId: 'user-2', keep: keep as never }),
        JSON.stringify(keep).slice(0, 40),
      ).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    }
    // Refused before anything changed: the session is still live.
    expect((await sessions.validate(same?.token ?? '')).valid).toBe(true);
  });

  it('regenerate on privilege change keeps the absolute deadline; a dead token cannot be regenerated', async () => {
    const { sessions, clock } = setup();
    const first = await sessions.create({ userId: 'user-1' });
    clock.advance(MIN);
    const elevated = await sessions.regenerate(first.token, { data: { role: 'admin' } });
    expect(elevated?.session.absoluteExpiresAtMs).toBe(first.session.absoluteExpiresAtMs);
    await expect(sessions.regenerate(first.token)).resolves.toBeUndefined();
    await expect(sessions.regenerate('not-a-token')).resolves.toBeUndefined();
  });

  it('lists and revokes a user’s sessions; destroy logs out', async () => {
    const { sessions } = setup();
    const a = await sessions.create({ userId: 'user-1' });
    const b = await sessions.create({ userId: 'user-1' });
    const other = await sessions.create({ userId: 'user-2' });
    expect((await sessions.list('user-1')).map((s) => s.id)).toEqual([a.session.id, b.session.id]);
    expect(await sessions.revoke(a.session.id)).toBe(true);
    expect((await sessions.validate(a.token)).valid).toBe(false);
    expect(await sessions.destroy(b.token)).toBe(true);
    expect(await sessions.revokeAllForUser('user-1')).toBe(0);
    expect((await sessions.validate(other.token)).valid).toBe(true);
    expect(await sessions.revokeAllForUser('user-2')).toBe(1);
  });

  it('caps sessions per user: the oldest is evicted', async () => {
    const { sessions, clock } = setup({ maxSessionsPerUser: 2 });
    const created = [];
    for (let i = 0; i < 3; i++) {
      created.push(await sessions.create({ userId: 'user-1' }));
      clock.advance(1_000);
    }
    expect((await sessions.validate(created[0]?.token ?? '')).valid).toBe(false);
    expect((await sessions.validate(created[2]?.token ?? '')).valid).toBe(true);
    expect(await sessions.list('user-1')).toHaveLength(2);
  });

  it('hostile tokens and inputs', async () => {
    const { sessions } = setup();
    for (const token of ['', 'x', 'A'.repeat(43), 'é'.repeat(43), 'A'.repeat(10_000), null, 42]) {
      await expect(sessions.validate(token as string)).resolves.toEqual({ valid: false, reason: 'unknown' });
    }
    await expect(sessions.create({ userId: '' })).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    await expect(sessions.create({ userId: 'u', data: { big: 'x'.repeat(5_000) } })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
    });
    expect(() => createSessionManager({ idleTimeoutMs: 10 * MIN, absoluteTimeoutMs: MIN })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
    );
    expect(() => createSessionManager({ idleTimeout: 5 } as never)).toThrow(/idleTimeout/);
  });
});

describe('session cookie', () => {
  it('is __Host- prefixed, HttpOnly, Secure, SameSite=Lax, Path=/ and has no Domain', () => {
    const cookie = sessionCookie('abc_DEF-123');
    expect(cookie).toBe('__Host-session=abc_DEF-123; Path=/; Secure; HttpOnly; SameSite=Lax');
    expect(cookie).not.toMatch(/Domain/i);
    expect(sessionCookie('t', { name: 'sid', maxAgeMs: 3_600_000 })).toBe(
      '__Host-sid=t; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=3600',
    );
    expect(clearSessionCookie()).toContain('Max-Age=0');
  });

  it('reads the cookie back and refuses injection', () => {
    expect(readSessionCookie('a=1; __Host-session=tok_1; b=2')).toBe('tok_1');
    expect(readSessionCookie('session=tok_1')).toBeUndefined();
    expect(readSessionCookie('__Host-session=tok;evil')).toBe('tok');
    expect(readSessionCookie('__Host-session=a b')).toBeUndefined();
    expect(readSessionCookie(undefined)).toBeUndefined();
    expect(() => sessionCookie('a;b')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
    expect(() => sessionCookie('x', { name: 'a=b' })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    );
  });
});
