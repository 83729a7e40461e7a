import { describe, expect, it } from 'vitest';
import { systemClock } from '../../src/core/clock.js';
import { createManualClock } from '../../src/core/manual-clock.js';
import { noopMetrics } from '../../src/core/metrics.js';
import { defineOptions, opt } from '../../src/core/options.js';

const parse = defineOptions('createThing', {
  prefix: opt.name({ default: 'bp' }),
  timeoutMs: opt.duration({ default: 50, max: 60_000 }),
  ratio: opt.number({ default: 0.5, max: 1 }),
  mode: opt.oneOf(['fast', 'safe'], { default: 'safe' }),
  size: opt.integer({ required: true, max: 10 }),
  label: opt.string({ maxLength: 8 }),
  clock: opt.clock(),
  redisClock: opt.optionalClock(),
  metrics: opt.metrics(),
  nested: opt.shape({ limit: opt.integer({ default: 3 }) }, { default: { limit: 3 } }),
  list: opt.list(opt.integer({ required: true }), { default: [], maxItems: 2 }),
});

const invalid = (message: RegExp | string) =>
  expect.objectContaining({ code: 'ERR_INVALID_OPTION', message: expect.stringMatching(message) });

describe('defineOptions', () => {
  it('applies defaults and keeps given values', () => {
    const o = parse({ size: 2 });
    expect(o).toMatchObject({
      prefix: 'bp',
      timeoutMs: 50,
      ratio: 0.5,
      mode: 'safe',
      size: 2,
      nested: { limit: 3 },
    });
    expect(o.clock).toBe(systemClock);
    expect(o.metrics).toBe(noopMetrics);
    expect(o.redisClock).toBeUndefined();
    expect(o.label).toBeUndefined();
    const clock = createManualClock();
    expect(parse({ size: 1, redisClock: clock, clock }).redisClock).toBe(clock);
  });

  const hostile: [string, unknown, RegExp | string][] = [
    ['not an object', 'x', 'createThing: options must be an object'],
    ['an array', [], 'options must be an object'],
    ['a typo', { size: 1, timeoutMS: 5 }, 'unknown option `timeoutMS`'],
    ['a nested typo', { size: 1, nested: { limti: 1 } }, 'unknown option `nested.limti`'],
    ['a missing required option', {}, '`size` is required'],
    ['a string number', { size: '2' }, '`size` must be an integer in 1..10, got string'],
    ['NaN', { size: 1, ratio: Number.NaN }, '`ratio` must be a finite number'],
    ['Infinity', { size: 1, timeoutMs: Number.POSITIVE_INFINITY }, '`timeoutMs` must be an integer'],
    ['a zero duration', { size: 1, timeoutMs: 0 }, '`timeoutMs` must be an integer in 1..60000, got 0'],
    ['a fractional integer', { size: 1.5 }, 'got 1.5'],
    ['out of range', { size: 11 }, 'got 11'],
    ['a name with braces', { size: 1, prefix: 'a{b}' }, '`prefix` must be 1..128 characters'],
    ['an unknown mode', { size: 1, mode: 'turbo' }, "one of 'fast', 'safe'"],
    ['an empty string', { size: 1, label: '' }, '`label` must be a string of 1..8'],
    ['a long string', { size: 1, label: 'x'.repeat(9) }, '`label` must be a string of 1..8'],
    ['a clock without sleep', { size: 1, clock: { now: () => 1 } }, '`clock` must be a Clock'],
    [
      'metrics without gauge',
      { size: 1, metrics: { counter() {}, histogram() {} } },
      '`metrics` must be a Metrics',
    ],
    ['a bad list item', { size: 1, list: [1, 'x'] }, /`list\[1\]` must be an integer/],
    ['a long list', { size: 1, list: [1, 2, 3] }, '`list` must be an array of 0..2 items'],
  ];
  for (const [name, input, message] of hostile) {
    it(`rejects ${name}`, () => expect(() => parse(input)).toThrow(invalid(message)));
  }

  it('never echoes a rejected string value', () => {
    expect(() => parse({ size: 1, prefix: 'secret-value{' })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('secret-value') }),
    );
  });
});

describe('opt.matching, opt.keyPrefix, opt.bytes', () => {
  const parseMore = defineOptions('createStore', {
    prefix: opt.keyPrefix(),
    code: opt.matching(/^[a-z]{2}$/, 'two lowercase letters'),
    secret: opt.bytes(),
  });

  it('defaults the prefix and accepts good values', () => {
    expect(parseMore({}).prefix).toBe('bp');
    const secret = new Uint8Array(32);
    expect(parseMore({ prefix: 'app:v2', code: 'en', secret })).toMatchObject({
      prefix: 'app:v2',
      code: 'en',
      secret,
    });
  });

  for (const [name, input, message] of [
    ['a prefix with a hash tag', { prefix: 'a{b}' }, '(no braces)'],
    ['an empty prefix', { prefix: '' }, '`prefix` must be 1..64'],
    ['a long prefix', { prefix: 'p'.repeat(65) }, '`prefix` must be 1..64'],
    ['a non-matching string', { code: 'EN' }, '`code` must be two lowercase letters'],
    ['a string secret', { secret: 'hunter2' }, '`secret` must be a Uint8Array'],
  ] as const) {
    it(`rejects ${name}`, () => expect(() => parseMore(input)).toThrow(invalid(message)));
  }

  it('does not echo a rejected secret', () => {
    expect(() => parseMore({ secret: 'hunter2' })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('hunter2') }),
    );
  });
});
