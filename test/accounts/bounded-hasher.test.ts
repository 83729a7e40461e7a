/**
 * The concurrency bound, around a hasher whose calls finish when the test says so (a real object written
 * here, not a mock of a backend): the number running, the order, both refusals with their retry
 * estimates, errors passing through and freeing their slot, metrics, close.
 */
import { describe, expect, it } from 'vitest';
import { createBoundedHasher, HashOverloadedError, type PasswordHasher } from '../../src/accounts/index.js';
import { isBackendPatternsError } from '../../src/index.js';
import { createManualClock, createMemoryMetrics } from '../../src/testing/index.js';

interface Call {
  readonly op: 'hash' | 'verify';
  readonly args: readonly string[];
  finish(value: string | boolean): void;
  fail(error: unknown): void;
}

/** A hasher whose calls stay pending until the test finishes them; counts how many run at once. */
function controlledHasher() {
  const calls: Call[] = [];
  const state = { active: 0, peak: 0 };
  const start = <T>(op: Call['op'], args: readonly string[]) =>
    new Promise<T>((resolve, reject) => {
      state.active += 1;
      state.peak = Math.max(state.peak, state.active);
      const settle = () => {
        state.active -= 1;
      };
      calls.push({
        op,
        args,
        finish: (value) => {
          settle();
          resolve(value as T);
        },
        fail: (error) => {
          settle();
          reject(error);
        },
      });
    });
  const hasher: PasswordHasher = {
    kind: 'controlled',
    hash: (password) => start<string>('hash', [password]),
    verify: (hash, password) => start<boolean>('verify', [hash, password]),
    needsRehash: (hash) => hash.startsWith('old:'),
  };
  const call = (i: number): Call => {
    const found = calls[i];
    if (found === undefined) throw new Error(`no call #${i} (${calls.length} started)`);
    return found;
  };
  return { hasher, calls, state, call };
}

/** Lets every settled promise run its continuations (the bound hands a slot over in a microtask). */
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

async function refusal(promise: Promise<unknown>): Promise<HashOverloadedError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(HashOverloadedError);
  expect(isBackendPatternsError(error, 'ERR_ACCOUNTS_HASH_OVERLOADED')).toBe(true);
  return error as HashOverloadedError;
}

function setup(options: Parameters<typeof createBoundedHasher>[1] = {}) {
  const clock = createManualClock(Date.UTC(2026, 0, 1));
  const metrics = createMemoryMetrics({ clock });
  const inner = controlledHasher();
  const bounded = createBoundedHasher(inner.hasher, { clock, metrics, ...options });
  return { ...inner, clock, metrics, bounded };
}

describe('createBoundedHasher: concurrency and order', () => {
  it('never runs more than maxConcurrent calls at once, and every call gets its own answer', async () => {
    const { bounded, calls, state, call } = setup({ maxConcurrent: 3 });
    const results = Array.from({ length: 10 }, (_, i) => bounded.hash(`pw-${i}`));
    await flush();
    expect(calls).toHaveLength(3);
    for (let i = 0; i < 10; i++) {
      call(i).finish(`hash-of-${call(i).args[0]}`);
      await flush();
      expect(state.active).toBeLessThanOrEqual(3);
      expect(calls).toHaveLength(Math.min(10, i + 4));
    }
    expect(state.peak).toBe(3);
    expect(await Promise.all(results)).toEqual(Array.from({ length: 10 }, (_, i) => `hash-of-pw-${i}`));
  });

  it('starts waiting calls first in, first out, hash and verify alike', async () => {
    const { bounded, calls, call } = setup({ maxConcurrent: 1 });
    const results = [
      bounded.hash('a'),
      bounded.verify('h-b', 'b'),
      bounded.hash('c'),
      bounded.verify('h-d', 'd'),
    ];
    for (let i = 0; i < 4; i++) {
      await flush();
      expect(calls).toHaveLength(i + 1);
      call(i).finish(call(i).op === 'hash' ? `h-${call(i).args[0]}` : true);
    }
    expect(calls.map((c) => [c.op, ...c.args])).toEqual([
      ['hash', 'a'],
      ['verify', 'h-b', 'b'],
      ['hash', 'c'],
      ['verify', 'h-d', 'd'],
    ]);
    expect(await Promise.all(results)).toEqual(['h-a', true, 'h-c', true]);
  });

  it('a call made as a slot frees waits behind the calls already waiting', async () => {
    const { bounded, calls, call } = setup({ maxConcurrent: 1 });
    const first = bounded.hash('first');
    const second = bounded.hash('second');
    await flush();
    call(0).finish('h1');
    const third = bounded.hash('third'); // before the freed slot's hand-over has run
    await flush();
    expect(calls.map((c) => c.args[0])).toEqual(['first', 'second']);
    call(1).finish('h2');
    await flush();
    call(2).finish('h3');
    expect(await Promise.all([first, second, third])).toEqual(['h1', 'h2', 'h3']);
    expect(calls.map((c) => c.args[0])).toEqual(['first', 'second', 'third']);
  });

  it('passes the arguments through unchanged, needsRehash synchronously, and keeps the inner kind', async () => {
    const { bounded, call } = setup();
    const password = 'a\u0000b 🔑';
    const verified = bounded.verify('$stored$', password);
    await flush();
    expect(call(0).args).toEqual(['$stored$', password]);
    call(0).finish(false);
    expect(await verified).toBe(false);
    expect(bounded.needsRehash('old:x')).toBe(true);
    expect(bounded.needsRehash('new:x')).toBe(false);
    expect(bounded.kind).toBe('controlled');
  });
});

describe('createBoundedHasher: refusals', () => {
  it('refuses a call when maxQueued are already waiting (queue-full), and takes calls again once there is room', async () => {
    const { bounded, calls, call, metrics } = setup({ maxConcurrent: 1, maxQueued: 2 });
    const accepted = [bounded.hash('a'), bounded.hash('b'), bounded.hash('c')];
    const error = await refusal(bounded.hash('d'));
    expect(error.retryAfterMs).toBeGreaterThanOrEqual(1);
    expect(error.message).toMatch(/2 calls are already waiting/);
    expect(metrics.counterValue('accounts.hash.rejected', { reason: 'queue-full' })).toBe(1);
    await flush();
    expect(calls).toHaveLength(1); // the refused call never reached the inner hasher
    call(0).finish('h-a');
    await flush();
    const later = bounded.hash('e');
    for (let i = 1; i < 4; i++) {
      await flush();
      call(i).finish(`h-${call(i).args[0]}`);
    }
    expect(await Promise.all([...accepted, later])).toEqual(['h-a', 'h-b', 'h-c', 'h-e']);
  });

  it('maxQueued 0 refuses whenever every slot is busy', async () => {
    const { bounded, call } = setup({ maxConcurrent: 2, maxQueued: 0 });
    const running = [bounded.hash('a'), bounded.hash('b')];
    await refusal(bounded.verify('h', 'c'));
    await flush();
    call(0).finish('h-a');
    call(1).finish('h-b');
    expect(await Promise.all(running)).toEqual(['h-a', 'h-b']);
  });

  it('refuses at once a call whose estimated wait passes maxWaitMs, with that wait as retryAfterMs', async () => {
    const { bounded, clock, call, metrics } = setup({ maxConcurrent: 2, maxQueued: 100, maxWaitMs: 250 });
    // One observed call of 100 ms sets the estimate.
    const warm = bounded.hash('warm');
    await flush();
    clock.advance(100);
    call(0).finish('h');
    await warm;
    // 2 running; waiters 0 and 1 start after ~1 call (100 ms), 2 and 3 after ~2 (200 ms), 4 after ~3.
    const accepted = Array.from({ length: 6 }, (_, i) => bounded.hash(`pw-${i}`));
    const error = await refusal(bounded.hash('too late'));
    expect(error.retryAfterMs).toBe(300);
    expect(error.message).toMatch(/estimated wait of 300 ms/);
    expect(metrics.counterValue('accounts.hash.rejected', { reason: 'wait' })).toBe(1);
    expect(metrics.counterValue('accounts.hash.rejected', { reason: 'queue-full' })).toBe(0);
    for (let i = 1; i <= 6; i++) {
      await flush();
      call(i).finish('h');
    }
    await Promise.all(accepted);
  });

  it('follows the observed durations: slower calls lower how many may wait', async () => {
    const { bounded, clock, call } = setup({ maxConcurrent: 1, maxQueued: 100, maxWaitMs: 1000 });
    // 400 ms per call: one waiter (400) and two (800) fit, a third (1200) does not.
    const first = bounded.hash('first');
    await flush();
    clock.advance(400);
    call(0).finish('h');
    await first;
    const busy = bounded.hash('busy');
    const waiting = [bounded.hash('w1'), bounded.hash('w2')];
    const error = await refusal(bounded.hash('w3'));
    expect(error.retryAfterMs).toBe(1200);
    for (let i = 1; i <= 3; i++) {
      await flush();
      call(i).finish('h');
    }
    await Promise.all([busy, ...waiting]);
  });

  it('has no estimate before a call has completed: only maxQueued applies, and retryAfterMs is maxWaitMs', async () => {
    const { bounded, call } = setup({ maxConcurrent: 1, maxQueued: 3, maxWaitMs: 1 });
    const accepted = [bounded.hash('a'), bounded.hash('b'), bounded.hash('c'), bounded.hash('d')];
    const error = await refusal(bounded.hash('e'));
    expect(error.retryAfterMs).toBe(1);
    for (let i = 0; i < 4; i++) {
      await flush();
      call(i).finish('h');
    }
    await Promise.all(accepted);
  });
});

describe('createBoundedHasher: errors', () => {
  it('passes a failure through as it is and gives the slot to the next call', async () => {
    const { bounded, calls, call } = setup({ maxConcurrent: 1 });
    const boom = new Error('boom');
    const failing = bounded.verify('h', 'a');
    const next = bounded.hash('b');
    await flush();
    call(0).fail(boom);
    await expect(failing).rejects.toBe(boom);
    await flush();
    expect(calls).toHaveLength(2);
    call(1).finish('h-b');
    expect(await next).toBe('h-b');
  });

  it('turns a synchronous throw of the inner hasher into a rejection and frees the slot', async () => {
    const boom = new TypeError('sync boom');
    let calls = 0;
    const inner: PasswordHasher = {
      kind: 'throwing',
      hash: () => {
        calls += 1;
        if (calls === 1) throw boom;
        return Promise.resolve('ok');
      },
      verify: () => Promise.resolve(true),
      needsRehash: () => false,
    };
    const bounded = createBoundedHasher(inner, { maxConcurrent: 1, maxQueued: 0 });
    await expect(bounded.hash('a')).rejects.toBe(boom);
    expect(await bounded.hash('b')).toBe('ok');
  });

  it('does not count failed calls in the estimate', async () => {
    const { bounded, clock, call } = setup({ maxConcurrent: 1, maxQueued: 10, maxWaitMs: 1000 });
    const failing = bounded.hash('slow failure');
    await flush();
    clock.advance(60_000);
    call(0).fail(new Error('timeout upstream'));
    await expect(failing).rejects.toThrow('timeout upstream');
    const accepted = [bounded.hash('a'), bounded.hash('b'), bounded.hash('c')];
    for (let i = 1; i <= 3; i++) {
      await flush();
      call(i).finish('h');
    }
    expect(await Promise.all(accepted)).toEqual(['h', 'h', 'h']);
  });
});

describe('createBoundedHasher: metrics and close', () => {
  it('records durations in seconds by op, the queue depth, and refusals by reason', async () => {
    const { bounded, clock, call, metrics } = setup({ maxConcurrent: 1, maxQueued: 1 });
    const hashed = bounded.hash('a');
    const verified = bounded.verify('h', 'b');
    expect(metrics.gaugeValue('accounts.hash.queue')).toBe(1);
    await refusal(bounded.hash('c'));
    await flush();
    clock.advance(20);
    call(0).finish('h-a');
    await hashed;
    await flush();
    expect(metrics.gaugeValue('accounts.hash.queue')).toBe(0);
    clock.advance(30);
    call(1).finish(true);
    await verified;
    expect(metrics.observations('accounts.hash.duration', { op: 'hash' })).toEqual([0.02]);
    expect(metrics.observations('accounts.hash.duration', { op: 'verify' })).toEqual([0.03]);
    expect(metrics.counterValue('accounts.hash.rejected')).toBe(1);
    expect(metrics.counterValue('accounts.hash.rejected', { reason: 'queue-full' })).toBe(1);
  });

  it('close resolves at once when idle, else once every running and waiting call has settled', async () => {
    const { bounded, call } = setup({ maxConcurrent: 1 });
    await bounded.close?.();
    const a = bounded.hash('a');
    const b = bounded.hash('b');
    let closed = false;
    const closing = bounded.close?.().then(() => {
      closed = true;
    });
    await flush();
    call(0).finish('h');
    await flush();
    expect(closed).toBe(false);
    call(1).fail(new Error('x'));
    await closing;
    expect(closed).toBe(true);
    await a;
    await expect(b).rejects.toThrow('x');
  });
});

describe('createBoundedHasher: hostile construction', () => {
  const good = controlledHasher().hasher;
  it.each([
    ['null', null],
    ['a string', 'argon2'],
    ['an empty object', {}],
    ['no needsRehash', { kind: 'x', hash: good.hash, verify: good.verify }],
    ['an empty kind', { ...good, kind: '' }],
    ['a kind that is not a string', { ...good, kind: 7 }],
  ])('refuses an inner hasher that is %s', (_, inner) => {
    expect(() => createBoundedHasher(inner as PasswordHasher)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION', message: expect.stringMatching(/`inner`/) }),
    );
  });

  it.each([
    [{ maxConcurrent: 0 }, /maxConcurrent/],
    [{ maxConcurrent: 1.5 }, /maxConcurrent/],
    [{ maxConcurrent: '4' }, /maxConcurrent/],
    [{ maxConcurrent: 1025 }, /maxConcurrent/],
    [{ maxConcurrent: Number.NaN }, /maxConcurrent/],
    [{ maxQueued: -1 }, /maxQueued/],
    [{ maxQueued: 100_001 }, /maxQueued/],
    [{ maxQueued: Number.POSITIVE_INFINITY }, /maxQueued/],
    [{ maxWaitMs: 0 }, /maxWaitMs/],
    [{ maxWaitMs: 2.5 }, /maxWaitMs/],
    [{ maxWaitMs: 3_600_001 }, /maxWaitMs/],
    [{ maxconcurrent: 4 }, /unknown option `maxconcurrent`/],
    [{ clock: {} }, /clock/],
    [{ metrics: { counter() {} } }, /metrics/],
  ])('refuses options %o', (options, message) => {
    expect(() => createBoundedHasher(good, options as never)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION', message: expect.stringMatching(message) }),
    );
  });

  it.each([null, 'fast', [], 4])('refuses options that are not an object: %o', (options) => {
    expect(() => createBoundedHasher(good, options as never)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
    );
  });
});
