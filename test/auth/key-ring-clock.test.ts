/**
 * Issue 9 item 8: one clock. The key ring and the token service run on the same clock, and a retired key
 * keeps its retirement time across process restarts (the ring is rebuilt from config at every start; a
 * grace period that restarted there would never end).
 */
import { describe, expect, it } from 'vitest';
import {
  createKeyRing,
  createTokenService,
  generateSigningKey,
  type SigningKey,
} from '../../src/auth/index.js';
import { createManualClock } from '../../src/testing/index.js';
import { AUDIENCE, ISSUER, rejection, T0 } from './fixtures.js';

const HOUR = 3_600_000;

describe('retired keys across restarts', () => {
  it('a ring rebuilt from the same config later drops the retired key when its grace ends', async () => {
    const [old, current] = [await generateSigningKey(), await generateSigningKey()];
    const config = (clock: ReturnType<typeof createManualClock>) => ({
      active: current,
      retired: [{ key: old, retiredAtMs: T0 }],
      graceMs: 2 * HOUR,
      clock,
    });
    const first = await createKeyRing(config(createManualClock(T0 + HOUR)));
    expect(first.find(old.kid)).toBeDefined();
    expect(first.jwks().keys.map((k) => k.kid)).toContain(old.kid);
    // "Restart" two hours after the retirement: the grace period is over, not starting again.
    const restarted = await createKeyRing(config(createManualClock(T0 + 2 * HOUR)));
    expect(restarted.find(old.kid)).toBeUndefined();
    expect(restarted.jwks().keys.map((k) => k.kid)).toEqual([current.kid]);
  });

  it('rotate() reports retiredAtMs, which rebuilds the same deadline', async () => {
    const clock = createManualClock(T0);
    const next = await generateSigningKey();
    const first: SigningKey = await generateSigningKey();
    const ring = await createKeyRing({ active: first, next, clock, graceMs: HOUR });
    clock.advance(10_000);
    const rotation = await ring.rotate();
    expect(rotation).toMatchObject({
      retiredKid: first.kid,
      retiredAtMs: T0 + 10_000,
      retiredUntilMs: T0 + 10_000 + HOUR,
    });
    const later = createManualClock(T0 + 10_000 + HOUR - 1);
    const rebuilt = await createKeyRing({
      active: next,
      retired: [{ key: first, retiredAtMs: rotation.retiredAtMs }],
      clock: later,
      graceMs: HOUR,
    });
    expect(rebuilt.find(first.kid)).toBeDefined();
    later.advance(1);
    expect(rebuilt.find(first.kid)).toBeUndefined();
  });

  it('a retired entry without retiredAtMs is an option error (its grace would restart every start)', async () => {
    const key = await generateSigningKey();
    for (const retired of [[key], [{ key }], [{ key, retiredAtMs: -1 }], [{ key, retiredAtMs: 1.5 }]]) {
      expect(
        await rejection(() =>
          createKeyRing({ retired: retired as unknown as { key: SigningKey; retiredAtMs: number }[] }),
        ),
      ).toMatchObject({ code: 'ERR_INVALID_OPTION' });
    }
  });
});

describe('one clock for the ring and the service', () => {
  it('a service without its own clock runs on the key ring clock', async () => {
    const clock = createManualClock(T0);
    const keys = await createKeyRing({ clock });
    const tokens = createTokenService({ issuer: ISSUER, audience: AUDIENCE, keys });
    const issued = await tokens.issue({ sub: 'user-1' });
    expect(issued.expiresAtMs).toBe(T0 + 600_000);
    clock.advance(600_000 + 5_001);
    expect(await rejection(() => tokens.verify(issued.token))).toMatchObject({ code: 'ERR_TOKEN_EXPIRED' });
  });

  it('a service on another clock than its key ring is an option error', async () => {
    const keys = await createKeyRing({ clock: createManualClock(T0) });
    expect(() =>
      createTokenService({ issuer: ISSUER, audience: AUDIENCE, keys, clock: createManualClock(T0) }),
    ).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION' }));
  });
});
