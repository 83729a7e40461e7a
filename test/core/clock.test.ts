import { describe, expect, it } from 'vitest';
import { systemClock } from '../../src/index.js';
import { createManualClock } from '../../src/testing/index.js';

describe('manual clock', () => {
  it('moves only when told to', () => {
    const clock = createManualClock(1000);
    expect(clock.now()).toBe(1000);
    clock.advance(250);
    expect(clock.now()).toBe(1250);
    clock.set(5000);
    expect(clock.now()).toBe(5000);
  });

  it('wakes sleepers in deadline order as time passes them', async () => {
    const clock = createManualClock();
    const woke: string[] = [];
    const late = clock.sleep(300).then(() => woke.push('late'));
    const early = clock.sleep(100).then(() => woke.push('early'));
    clock.advance(99);
    await Promise.resolve();
    expect(woke).toEqual([]);
    clock.advance(250);
    await Promise.all([early, late]);
    expect(woke).toEqual(['early', 'late']);
    expect(clock.pendingSleepers()).toBe(0);
  });

  it('a sleep aborts with the signal reason and leaves no sleeper behind', async () => {
    const clock = createManualClock();
    const controller = new AbortController();
    const sleeping = clock.sleep(1000, controller.signal);
    controller.abort(new Error('shutdown'));
    await expect(sleeping).rejects.toThrow('shutdown');
    expect(clock.pendingSleepers()).toBe(0);
  });

  it('rejects hostile input', () => {
    const clock = createManualClock(10);
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => clock.advance(bad)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
    }
    expect(() => clock.set(5)).toThrow(/backwards/);
    expect(() => createManualClock(Number.NaN)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    );
  });
});

describe('system clock', () => {
  it('reads Date.now and sleeps on real timers', async () => {
    const before = Date.now();
    await systemClock.sleep(20);
    expect(systemClock.now()).toBeGreaterThanOrEqual(before + 15);
  });

  it('an already-aborted signal rejects at once', async () => {
    await expect(systemClock.sleep(10_000, AbortSignal.abort(new Error('gone')))).rejects.toThrow('gone');
  });
});
