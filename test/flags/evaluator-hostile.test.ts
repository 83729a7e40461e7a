/**
 * `evaluate` never throws, whatever it is given: each hostile input below is a result with an error code
 * and the default (or a normal answer where the input is merely odd), and the evaluator keeps working.
 *
 * Hostile inputs: non-string flag keys (number, object, symbol, undefined, null), empty and 10 kB keys,
 * `__proto__` / `constructor` as flag keys; contexts that are arrays, Dates, Maps, class instances,
 * strings, null; a Proxy whose getPrototypeOf throws, a Proxy whose get throws, a getter on
 * `targetingKey` that throws, a non-string `targetingKey`, an own `__proto__` key (JSON.parse), a
 * context 100,000 levels deep, a getter that re-enters the evaluator; default values that are
 * undefined, functions, NaN, bigint-like objects; a throwing clock.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createFlagEvaluator, type FlagEvaluator } from '../../src/flags/index.js';
import { createManualClock } from '../../src/testing/index.js';
import { booleanFlag, config, scriptedSource, stringFlag } from './evaluator-helpers.js';

const open: FlagEvaluator[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((e) => e.close()));
});

async function evaluator(): Promise<FlagEvaluator> {
  const flags = createFlagEvaluator({
    source: scriptedSource(config('v1', { checkout: booleanFlag(true), banner: stringFlag('hello') })),
    clock: createManualClock(),
  });
  open.push(flags);
  await flags.ready();
  return flags;
}

/** Calls `evaluate` through an untyped door, as JavaScript callers can. */
function loose(flags: FlagEvaluator, flag: unknown, context: unknown, defaultValue: unknown) {
  return (flags.evaluate as (f: unknown, c: unknown, d: unknown) => ReturnType<FlagEvaluator['evaluate']>)(
    flag,
    context,
    defaultValue,
  );
}

describe('hostile flag keys', () => {
  it.each([
    ['a number', 42],
    ['an object', { toString: () => 'checkout' }],
    ['a symbol', Symbol('checkout')],
    ['undefined', undefined],
    ['null', null],
    ['empty', ''],
    ['10 kB', 'x'.repeat(10_000)],
  ])('%s is GENERAL with the default', async (_, flag) => {
    const flags = await evaluator();
    expect(loose(flags, flag, {}, false)).toMatchObject({
      value: false,
      reason: 'ERROR',
      errorCode: 'GENERAL',
    });
    expect(flags.usage().flags['(invalid)']?.evaluations).toBe(1);
  });

  it.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty'])(
    '%s is FLAG_NOT_FOUND, counted under (unknown)',
    async (flag) => {
      const flags = await evaluator();
      expect(flags.booleanDetails(flag, {}, false)).toMatchObject({
        value: false,
        errorCode: 'FLAG_NOT_FOUND',
      });
      const usage = flags.usage().flags;
      expect(Object.getPrototypeOf(usage)).toBeNull();
      expect(Object.hasOwn(usage, '(unknown)')).toBe(true);
      expect(Object.hasOwn(usage, flag)).toBe(false);
    },
  );
});

class Customer {
  targetingKey = 'u1';
}

describe('hostile contexts', () => {
  it.each([
    ['an array', ['targetingKey', 'u1']],
    ['a Date', new Date(0)],
    ['a Map', new Map([['targetingKey', 'u1']])],
    ['a class instance', new Customer()],
    ['a string', 'u1'],
    ['null', null],
    ['a number targetingKey', { targetingKey: 42 }],
    ['an object targetingKey', { targetingKey: { id: 'u1' } }],
  ])('%s is INVALID_CONTEXT', async (_, context) => {
    const flags = await evaluator();
    expect(loose(flags, 'checkout', context, false)).toMatchObject({
      value: false,
      reason: 'ERROR',
      errorCode: 'INVALID_CONTEXT',
    });
  });

  it('a Proxy whose getPrototypeOf throws is INVALID_CONTEXT', async () => {
    const flags = await evaluator();
    const context = new Proxy(
      {},
      {
        getPrototypeOf() {
          throw new Error('trap');
        },
      },
    );
    expect(flags.booleanDetails('checkout', context, false)).toMatchObject({ errorCode: 'INVALID_CONTEXT' });
  });

  it('a Proxy whose get throws is INVALID_CONTEXT (or GENERAL inside the engine), never a throw', async () => {
    const flags = await evaluator();
    const context = new Proxy(
      {},
      {
        get() {
          throw new Error('trap');
        },
        has() {
          throw new Error('trap');
        },
        getOwnPropertyDescriptor() {
          throw new Error('trap');
        },
        ownKeys() {
          throw new Error('trap');
        },
      },
    );
    const result = flags.stringDetails('banner', context, 'd');
    expect(result.value).toBe('d');
    expect(['INVALID_CONTEXT', 'GENERAL']).toContain(result.errorCode);
  });

  it('a targetingKey getter that throws is INVALID_CONTEXT', async () => {
    const flags = await evaluator();
    const context = Object.defineProperty({}, 'targetingKey', {
      enumerable: true,
      get() {
        throw new Error('getter');
      },
    });
    expect(flags.booleanDetails('checkout', context, false)).toMatchObject({ errorCode: 'INVALID_CONTEXT' });
  });

  it('an attribute getter that throws inside the engine is an error result, not a throw', async () => {
    const flags = await evaluator();
    const context = Object.defineProperty({ targetingKey: 'u1' }, 'plan', {
      enumerable: true,
      get() {
        throw new Error('getter');
      },
    });
    const result = flags.stringDetails('banner', context, 'd');
    // The engine may refuse the attribute (no match: the fallthrough) or report it; either way no throw.
    expect(result.errorCode === undefined ? result.value === 'hello' : result.value === 'd').toBe(true);
  });

  it('an own __proto__ key (from JSON) is an ordinary attribute and pollutes nothing', async () => {
    const flags = await evaluator();
    const context = JSON.parse('{"targetingKey":"u1","__proto__":{"plan":"beta"},"constructor":{"x":1}}');
    expect(flags.string('banner', context, 'd')).toBe('hello');
    expect(({} as { plan?: string }).plan).toBeUndefined();
  });

  it('a null-prototype context is accepted', async () => {
    const flags = await evaluator();
    const context = Object.assign(Object.create(null), { targetingKey: 'u1', plan: 'beta' });
    expect(flags.string('banner', context, 'd')).toBe('beta-value');
  });

  it('a context 100,000 levels deep is evaluated without a stack overflow', async () => {
    const flags = await evaluator();
    let deep: Record<string, unknown> = {};
    for (let i = 0; i < 100_000; i++) deep = { nested: deep };
    expect(flags.stringDetails('banner', { targetingKey: 'u1', plan: deep } as never, 'd')).toMatchObject({
      value: 'hello',
    });
  });

  it('a getter that re-enters the evaluator does not corrupt either result', async () => {
    const flags = await evaluator();
    const context = Object.defineProperty({ targetingKey: 'outer' }, 'plan', {
      enumerable: true,
      get() {
        flags.boolean('checkout', { targetingKey: 'inner' }, false);
        return 'beta';
      },
    });
    expect(flags.string('banner', context, 'd')).toBe('beta-value');
    expect(flags.usage().flags.checkout?.evaluations).toBeGreaterThanOrEqual(1);
  });
});

describe('hostile default values and types', () => {
  it.each([
    ['undefined', undefined],
    ['a function', () => true],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['a symbol', Symbol('x')],
  ])('a default value that is %s is GENERAL and returned as given', async (_, defaultValue) => {
    const flags = await evaluator();
    const result = loose(flags, 'checkout', {}, defaultValue);
    expect(result).toMatchObject({ reason: 'ERROR', errorCode: 'GENERAL' });
    expect(result.value).toBe(defaultValue);
  });

  it.each([
    ['a string default for a boolean flag', 'checkout', 'x'],
    ['a number default for a boolean flag', 'checkout', 1],
    ['an object default for a boolean flag', 'checkout', {}],
    ['null (JSON) for a string flag', 'banner', null],
    ['a boolean default for a string flag', 'banner', true],
  ])('%s is TYPE_MISMATCH with the default', async (_, flag, defaultValue) => {
    const flags = await evaluator();
    const result = loose(flags, flag, {}, defaultValue);
    expect(result).toMatchObject({ reason: 'ERROR', errorCode: 'TYPE_MISMATCH' });
    expect(result.value).toBe(defaultValue);
    expect(result.variant).toBeUndefined();
  });

  it('the typed helpers fix the type whatever the default is', async () => {
    const flags = await evaluator();
    expect((flags.string as (f: string, c: object, d: unknown) => unknown)('checkout', {}, true)).toBe(true);
    expect(flags.numberDetails('checkout', {}, 0)).toMatchObject({ errorCode: 'TYPE_MISMATCH' });
    expect(flags.jsonDetails('banner', {}, [])).toMatchObject({ errorCode: 'TYPE_MISMATCH' });
  });

  it('a clock that throws makes a GENERAL result, not a throw', () => {
    let broken = false;
    const clock = createManualClock();
    const flags = createFlagEvaluator({
      bootstrap: config('b', { checkout: booleanFlag(true) }),
      clock: {
        now: () => {
          if (broken) throw new Error('clock');
          return clock.now();
        },
        sleep: (ms, signal) => clock.sleep(ms, signal),
      },
    });
    open.push(flags);
    broken = true;
    expect(flags.booleanDetails('checkout', {}, false)).toMatchObject({ value: false, errorCode: 'GENERAL' });
    broken = false;
    expect(flags.boolean('checkout', {}, false)).toBe(true);
  });
});
