/**
 * The machinery under every source, on a manual clock: the watch loop (first attempt at once, wakes
 * coalesced, bursts settled, failures counted, a throwing attempt reported, stop), the hub (latest state
 * to new listeners, unchanged configs not repeated unless an error came between) and the deadline.
 */
import { describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/core/manual-clock.js';
import { FlagSourceError } from '../../src/flags/errors.js';
import type { Outcome } from '../../src/flags/source-kit.js';
import { withDeadline } from '../../src/flags/source-kit.js';
import { backoffMs, createWatchHub, startWatchLoop } from '../../src/flags/watch-kit.js';
import { eventually, rejectsWith, sampleConfig, tick } from './source-helpers.js';

const ok = (key: string): Outcome => ({ config: sampleConfig(true, key), key });

describe('startWatchLoop', () => {
  it('runs at once, then after each delay; wakes during an attempt coalesce into one more', async () => {
    const clock = createManualClock(0);
    let runs = 0;
    let release: (() => void) | undefined;
    const delays: number[] = [];
    const loop = startWatchLoop({
      source: 'test',
      clock,
      run: async () => {
        runs += 1;
        if (runs === 2) await new Promise<void>((r) => (release = r));
        return undefined;
      },
      deliver: () => {},
      nextDelayMs: (failures) => {
        delays.push(failures);
        return 1000;
      },
    });
    await tick();
    expect(runs).toBe(1);
    clock.advance(1000);
    await eventually(() => release !== undefined);
    loop.wake();
    loop.wake();
    loop.wake();
    release?.();
    await eventually(() => runs === 3);
    await tick();
    expect(runs).toBe(3);
    loop.stop();
    expect(clock.pendingSleepers()).toBe(0);
  });

  it('settles a burst of wakes into one attempt', async () => {
    const clock = createManualClock(0);
    let runs = 0;
    const loop = startWatchLoop({
      source: 'test',
      clock,
      settleMs: 50,
      run: async () => {
        runs += 1;
        return undefined;
      },
      deliver: () => {},
      nextDelayMs: () => 60_000,
    });
    await tick();
    for (let i = 0; i < 10; i++) loop.wake();
    await tick();
    for (let i = 0; i < 10; i++) loop.wake();
    expect(runs).toBe(1);
    clock.advance(50);
    await eventually(() => runs === 2);
    await tick();
    expect(runs).toBe(2);
    loop.stop();
  });

  it('counts failures in a row, reports a throwing attempt as a FlagSourceError, and stops', async () => {
    const clock = createManualClock(0);
    const delivered: Outcome[] = [];
    const failures: number[] = [];
    let runs = 0;
    const loop = startWatchLoop({
      source: 'test',
      clock,
      run: async () => {
        runs += 1;
        if (runs <= 2) throw new Error('boom');
        return ok(`k${runs}`);
      },
      deliver: (o) => delivered.push(o),
      nextDelayMs: (f) => {
        failures.push(f);
        return 10;
      },
    });
    await eventually(() => runs >= 4, { step: () => clock.advance(10) });
    loop.stop();
    expect(failures.slice(0, 3)).toEqual([1, 2, 0]);
    const first = delivered[0];
    expect(first && 'error' in first ? first.error : undefined).toBeInstanceOf(FlagSourceError);
    expect(first && 'error' in first ? first.error.message : '').toBe('test: watch attempt failed: boom');
  });

  it('does not deliver the outcome of an attempt that finishes after stop', async () => {
    const clock = createManualClock(0);
    let release: (() => void) | undefined;
    const delivered: Outcome[] = [];
    const loop = startWatchLoop({
      source: 'test',
      clock,
      run: () => new Promise<Outcome>((r) => (release = () => r(ok('late')))),
      deliver: (o) => delivered.push(o),
      nextDelayMs: () => 10,
    });
    loop.stop();
    release?.();
    await tick();
    expect(delivered).toEqual([]);
    expect(clock.pendingSleepers()).toBe(0);
  });
});

describe('createWatchHub', () => {
  it('dedupes an unchanged config, but not after an error; new listeners hear the latest state', async () => {
    let active = 0;
    const hub = createWatchHub({ onActive: () => active++, onIdle: () => active-- });
    const heard: string[] = [];
    const stop = hub.add((u) => heard.push('config' in u ? `c:${u.config.version}` : `e:${u.error.message}`));
    expect(active).toBe(1);
    hub.offer(ok('a'));
    hub.offer(ok('a'));
    hub.offer(undefined);
    hub.offer({ error: new FlagSourceError('test', 'down') });
    hub.offer({ error: new FlagSourceError('test', 'down') });
    hub.offer(ok('a'));
    hub.offer(ok('b'));
    expect(heard).toEqual(['c:a', 'e:test: down', 'e:test: down', 'c:a', 'c:b']);
    const late: string[] = [];
    const stopLate = hub.add((u) => late.push('config' in u ? `c:${u.config.version}` : 'e'));
    expect(late).toEqual([]); // not synchronously, inside add
    await tick();
    expect(late).toEqual(['c:b']);
    stop();
    stopLate();
    expect(active).toBe(0);
    hub.reset();
    const fresh: string[] = [];
    hub.add((u) => fresh.push('config' in u ? 'c' : 'e'));
    await tick();
    expect(fresh).toEqual([]);
  });
});

describe('withDeadline and backoffMs', () => {
  it('times out on the clock, aborts on the signal, and leaves no sleeper behind', async () => {
    const clock = createManualClock(0);
    const never = () => new Promise<never>(() => {});
    const timing = withDeadline('test', clock, 100, undefined, never, 'GET x');
    clock.advance(100);
    await rejectsWith(timing, 'ERR_FLAGS_SOURCE', /^test: GET x: timed out after 100 ms$/);
    const controller = new AbortController();
    const aborting = withDeadline('test', clock, 100, controller.signal, never);
    controller.abort();
    await rejectsWith(aborting, 'ERR_FLAGS_SOURCE', /^test: aborted$/);
    expect(await withDeadline('test', clock, 100, undefined, async () => 7)).toBe(7);
    expect(clock.pendingSleepers()).toBe(0);
    await rejectsWith(
      withDeadline('test', clock, 100, AbortSignal.abort(), never),
      'ERR_FLAGS_SOURCE',
      /aborted/,
    );
  });

  it('doubles from the base up to the cap, with jitter taken off', () => {
    const none = () => 0;
    expect([0, 1, 2, 3, 4, 50].map((f) => backoffMs(f, 1000, 5000, none))).toEqual([
      1000, 2000, 4000, 5000, 5000, 5000,
    ]);
    expect(backoffMs(1, 1000, 5000, () => 0.999, 0.1)).toBe(1800);
    expect(backoffMs(3, 1000, 500, none)).toBe(1000); // a cap below the base is the base
  });
});
