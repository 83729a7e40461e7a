/**
 * The compiled engine: every clause operator with its edge cases (missing attribute, null, arrays,
 * caseInsensitive, negate, numbers as strings, invalid dates, semver pre-release ordering), and the flag
 * semantics (disabled, prerequisites, targets, rule order, rollouts, fallthrough, schedule, errors).
 */
import { describe, expect, it } from 'vitest';
import { bucketOf, compileConfig, type EngineResult, type EvaluationContext } from '../../src/flags/index.js';
import { boolFlag, clauseFlag, configOf, holds } from './fixtures.js';

const clause = (op: string, values: unknown[], extra: Record<string, unknown> = {}) => ({
  attribute: 'a',
  op,
  values,
  ...extra,
});

describe('eq and in', () => {
  it.each([
    ['a string equal', clause('eq', ['x']), { a: 'x' }, true],
    ['a string unequal', clause('eq', ['x']), { a: 'y' }, false],
    ['any of several values', clause('in', ['x', 'y', 'z']), { a: 'z' }, true],
    ['a number', clause('eq', [42]), { a: 42 }, true],
    ['a number as a string: no coercion', clause('eq', [42]), { a: '42' }, false],
    ['a string as a number: no coercion', clause('eq', ['42']), { a: 42 }, false],
    ['a boolean', clause('eq', [true]), { a: true }, true],
    ['a boolean is not the string "true"', clause('eq', [true]), { a: 'true' }, false],
    ['0 equals -0', clause('eq', [0]), { a: -0 }, true],
    ['case matters by default', clause('eq', ['Pro']), { a: 'pro' }, false],
    ['caseInsensitive', clause('eq', ['Pro'], { caseInsensitive: true }), { a: 'PRO' }, true],
    ['caseInsensitive leaves numbers alone', clause('eq', [1], { caseInsensitive: true }), { a: 1 }, true],
    ['an array attribute: any element', clause('in', ['b']), { a: ['a', 'b'] }, true],
    ['an array attribute: no element', clause('in', ['c']), { a: ['a', 'b'] }, false],
    ['an array with nulls and nested arrays', clause('in', ['b']), { a: [null, ['b'], 'b'] }, true],
    ['an empty array does not match', clause('in', ['b']), { a: [] }, false],
    ['an empty array, negated', clause('in', ['b'], { negate: true }), { a: [] }, true],
    ['an object attribute does not match', clause('eq', ['x']), { a: { x: 'x' } }, false],
    ['missing: false', clause('eq', ['x']), {}, false],
    ['missing, negated: still false', clause('eq', ['x'], { negate: true }), {}, false],
    ['null: false', clause('eq', ['x']), { a: null }, false],
    ['null, negated: still false', clause('eq', ['x'], { negate: true }), { a: null }, false],
    ['negate', clause('eq', ['x'], { negate: true }), { a: 'y' }, true],
    ['negate of a match', clause('eq', ['x'], { negate: true }), { a: 'x' }, false],
  ])('%s', (_, c, context, expected) => {
    expect(holds(c, context)).toBe(expected);
  });

  it('a 10,000-value in clause (a Set) matches members only, case-insensitively when asked', () => {
    const values = Array.from({ length: 10_000 }, (_, i) => `User-${i}`);
    const compiled = clauseFlag(clause('in', values, { caseInsensitive: true }));
    const variant = (a: unknown) =>
      (compiled.evaluate('f', { a } as never, 0) as { variant: string }).variant;
    expect(variant('user-9999')).toBe('on');
    expect(variant('USER-0')).toBe('on');
    expect(variant('user-10000')).toBe('off');
    expect(variant(9999)).toBe('off');
  });

  it('mixed value types in a big in clause stay strict', () => {
    const values = [...Array.from({ length: 20 }, (_, i) => i), 'x', true];
    expect(holds(clause('in', values), { a: 7 })).toBe(true);
    expect(holds(clause('in', values), { a: '7' })).toBe(false);
    expect(holds(clause('in', values), { a: true })).toBe(true);
    expect(holds(clause('in', values), { a: 'true' })).toBe(false);
  });
});

describe('contains, startsWith, endsWith', () => {
  it.each([
    ['contains', clause('contains', ['ell']), { a: 'hello' }, true],
    ['contains none', clause('contains', ['xyz', 'abc']), { a: 'hello' }, false],
    ['contains the empty string', clause('contains', ['']), { a: 'anything' }, true],
    ['startsWith', clause('startsWith', ['he']), { a: 'hello' }, true],
    ['startsWith not', clause('startsWith', ['lo']), { a: 'hello' }, false],
    ['endsWith', clause('endsWith', ['@example.com']), { a: 'ada@example.com' }, true],
    ['endsWith case', clause('endsWith', ['@Example.com']), { a: 'ada@example.COM' }, false],
    [
      'endsWith caseInsensitive',
      clause('endsWith', ['@Example.com'], { caseInsensitive: true }),
      { a: 'ada@example.COM' },
      true,
    ],
    ['a number attribute does not match', clause('contains', ['4']), { a: 42 }, false],
    [
      'a number attribute, negated: type mismatch then negate',
      clause('contains', ['4'], { negate: true }),
      { a: 42 },
      true,
    ],
    ['an array attribute', clause('startsWith', ['b']), { a: ['apple', 'banana'] }, true],
    ['missing', clause('contains', ['x']), {}, false],
  ])('%s', (_, c, context, expected) => {
    expect(holds(c, context)).toBe(expected);
  });
});

describe('matches', () => {
  it.each([
    ['a match', clause('matches', ['^[a-z]+@example\\.com$']), { a: 'ada@example.com' }, true],
    ['no match', clause('matches', ['^[a-z]+@example\\.com$']), { a: 'ada@example.org' }, false],
    ['unanchored finds inside', clause('matches', ['beta']), { a: 'x-beta-y' }, true],
    ['any of several patterns', clause('matches', ['^a', '^b']), { a: 'bee' }, true],
    ['case-sensitive by default', clause('matches', ['^abc$']), { a: 'ABC' }, false],
    ['caseInsensitive', clause('matches', ['^abc$'], { caseInsensitive: true }), { a: 'ABC' }, true],
    ['unicode (u flag)', clause('matches', ['^\\p{L}+$']), { a: 'héllo' }, true],
    ['a number attribute does not match', clause('matches', ['4']), { a: 42 }, false],
    ['an array attribute', clause('matches', ['^b']), { a: ['a', 'b'] }, true],
    ['1,024 characters are tested', clause('matches', ['x$']), { a: `${'a'.repeat(1023)}x` }, true],
    ['1,025 characters: no match', clause('matches', ['x$']), { a: `${'a'.repeat(1024)}x` }, false],
    [
      'over-long, negated: no match then negate',
      clause('matches', ['x$'], { negate: true }),
      { a: 'a'.repeat(2000) },
      true,
    ],
  ])('%s', (_, c, context, expected) => {
    expect(holds(c, context)).toBe(expected);
  });

  it('a regex is stateless between evaluations (no lastIndex carried over)', () => {
    const compiled = clauseFlag(clause('matches', ['a']));
    for (let i = 0; i < 5; i++)
      expect(compiled.evaluate('f', { a: 'a' }, 0)).toMatchObject({ variant: 'on' });
  });
});

describe('numeric comparisons', () => {
  it.each([
    ['lt', clause('lt', [10]), { a: 9 }, true],
    ['lt boundary', clause('lt', [10]), { a: 10 }, false],
    ['lte boundary', clause('lte', [10]), { a: 10 }, true],
    ['gt', clause('gt', [10]), { a: 10.5 }, true],
    ['gt boundary', clause('gt', [10]), { a: 10 }, false],
    ['gte boundary', clause('gte', [10]), { a: 10 }, true],
    ['lt any value (the largest bound)', clause('lt', [1, 100]), { a: 50 }, true],
    ['gt any value (the smallest bound)', clause('gt', [100, 1]), { a: 50 }, true],
    ['negative numbers', clause('lt', [-1]), { a: -2 }, true],
    ['a number as a string does not match', clause('lt', [10]), { a: '5' }, false],
    ['a number as a string, negated', clause('lt', [10], { negate: true }), { a: '5' }, true],
    ['a boolean does not match', clause('gt', [0]), { a: true }, false],
    ['null does not match', clause('gte', [0]), { a: null }, false],
    ['an array: any element', clause('gt', [10]), { a: [1, 20] }, true],
    ['an array: no element', clause('gt', [10]), { a: [1, 2] }, false],
    ['missing', clause('lt', [10]), {}, false],
  ])('%s', (_, c, context, expected) => {
    expect(holds(c, context)).toBe(expected);
  });

  it('NaN from a JavaScript caller matches nothing', () => {
    const compiled = clauseFlag(clause('lt', [10]));
    expect(compiled.evaluate('f', { a: Number.NaN }, 0)).toMatchObject({ variant: 'off' });
    const gte = clauseFlag(clause('gte', [0]));
    expect(gte.evaluate('f', { a: Number.NaN }, 0)).toMatchObject({ variant: 'off' });
  });
});

describe('semver', () => {
  // The precedence example of semver 2.0.0, section 11.
  const ordered = [
    '1.0.0-alpha',
    '1.0.0-alpha.1',
    '1.0.0-alpha.beta',
    '1.0.0-beta',
    '1.0.0-beta.2',
    '1.0.0-beta.11',
    '1.0.0-rc.1',
    '1.0.0',
    '1.0.1',
    '1.1.0',
    '2.0.0',
    '10.0.0',
  ];

  it('orders pre-releases per semver 2.0.0 precedence', () => {
    for (let i = 0; i < ordered.length; i++) {
      for (let j = 0; j < ordered.length; j++) {
        const attr = { a: ordered[i] };
        expect(holds(clause('semverLt', [ordered[j]]), attr)).toBe(i < j);
        expect(holds(clause('semverLte', [ordered[j]]), attr)).toBe(i <= j);
        expect(holds(clause('semverGt', [ordered[j]]), attr)).toBe(i > j);
        expect(holds(clause('semverGte', [ordered[j]]), attr)).toBe(i >= j);
        expect(holds(clause('semverEq', [ordered[j]]), attr)).toBe(i === j);
      }
    }
  });

  it.each([
    ['build metadata is ignored', clause('semverEq', ['1.0.0']), { a: '1.0.0+build.5' }, true],
    ['build metadata in the value too', clause('semverEq', ['1.0.0+a']), { a: '1.0.0+b' }, true],
    [
      'numeric identifiers compare as numbers',
      clause('semverGt', ['1.0.0-rc.9']),
      { a: '1.0.0-rc.10' },
      true,
    ],
    ['numeric before alphanumeric', clause('semverLt', ['1.0.0-alpha']), { a: '1.0.0-1' }, true],
    ['a v prefix is not a version', clause('semverEq', ['1.0.0']), { a: 'v1.0.0' }, false],
    ['two parts is not a version', clause('semverGte', ['1.0.0']), { a: '1.2' }, false],
    ['a leading zero is not a version', clause('semverGte', ['1.0.0']), { a: '01.2.3' }, false],
    ['a leading zero in a numeric pre-release', clause('semverGte', ['1.0.0']), { a: '1.2.3-01' }, false],
    ['an empty pre-release', clause('semverGte', ['1.0.0']), { a: '1.2.3-' }, false],
    ['an empty pre-release identifier', clause('semverGte', ['1.0.0']), { a: '1.2.3-a..b' }, false],
    ['an empty build', clause('semverGte', ['1.0.0']), { a: '1.2.3+' }, false],
    ['an empty build identifier', clause('semverGte', ['1.0.0']), { a: '1.2.3+a..b' }, false],
    [
      'build identifiers may have leading zeros',
      clause('semverEq', ['1.0.0-alpha']),
      { a: '1.0.0-alpha+001' },
      true,
    ],
    [
      'an alphanumeric identifier may start with 0 (and outranks numbers)',
      clause('semverGt', ['1.0.0-9']),
      { a: '1.0.0-0a' },
      true,
    ],
    ['a numeric pre-release 00', clause('semverGte', ['1.0.0']), { a: '1.0.0-00' }, false],
    ['a fourth part', clause('semverGte', ['1.0.0']), { a: '1.0.0.0' }, false],
    ['trailing space', clause('semverGte', ['1.0.0']), { a: '1.0.0 ' }, false],
    ['an underscore', clause('semverGte', ['1.0.0']), { a: '1.0.0-a_b' }, false],
    ['the largest safe major', clause('semverGt', ['1.0.0']), { a: '9007199254740991.0.0' }, true],
    ['2^53 is beyond it', clause('semverGt', ['1.0.0']), { a: '9007199254740992.0.0' }, false],
    ['a number attribute', clause('semverGte', ['1.0.0']), { a: 2 }, false],
    [
      'an unparsable attribute, negated',
      clause('semverGte', ['1.0.0'], { negate: true }),
      { a: 'latest' },
      true,
    ],
    [
      'huge numbers beyond 2^53 are not versions',
      clause('semverGte', ['1.0.0']),
      { a: '99999999999999999.0.0' },
      false,
    ],
    ['an array attribute', clause('semverGte', ['2.0.0']), { a: ['1.0.0', '2.1.0'] }, true],
    ['any of several values for eq', clause('semverEq', ['1.0.0', '2.0.0']), { a: '2.0.0' }, true],
  ])('%s', (_, c, context, expected) => {
    expect(holds(c, context)).toBe(expected);
  });
});

describe('before and after', () => {
  it.each([
    [
      'before an ISO instant',
      clause('before', ['2025-01-01T00:00:00Z']),
      { a: '2024-12-31T23:59:59Z' },
      true,
    ],
    ['not before itself', clause('before', ['2025-01-01T00:00:00Z']), { a: '2025-01-01T00:00:00Z' }, false],
    ['after', clause('after', ['2025-01-01']), { a: '2025-01-01T00:00:00.001Z' }, true],
    ['a date is midnight UTC', clause('after', ['2025-01-01']), { a: '2025-01-01T00:00:00Z' }, false],
    [
      'offsets are applied',
      clause('before', ['2025-01-01T00:00:00Z']),
      { a: '2025-01-01T00:30:00+01:00' },
      true,
    ],
    ['fractions', clause('after', ['2025-01-01T00:00:00.5Z']), { a: '2025-01-01T00:00:00.501Z' }, true],
    ['epoch ms attribute', clause('before', ['2025-01-01T00:00:00Z']), { a: Date.UTC(2024, 0, 1) }, true],
    ['epoch ms value', clause('after', [Date.UTC(2024, 0, 1)]), { a: '2024-06-01' }, true],
    ['an impossible date does not match', clause('before', ['2030-01-01']), { a: '2025-02-30' }, false],
    [
      'a local time without zone does not match',
      clause('before', ['2030-01-01']),
      { a: '2025-01-01T10:00:00' },
      false,
    ],
    ['not a date', clause('before', ['2030-01-01']), { a: 'yesterday' }, false],
    ['not a date, negated', clause('before', ['2030-01-01'], { negate: true }), { a: 'yesterday' }, true],
    ['hour 24 is refused', clause('before', ['2030-01-01']), { a: '2025-01-01T24:00:00Z' }, false],
    ['leap day exists in 2024', clause('before', ['2030-01-01']), { a: '2024-02-29' }, true],
    ['leap day does not in 2025', clause('before', ['2030-01-01']), { a: '2025-02-29' }, false],
    ['a boolean does not match', clause('after', ['2020-01-01']), { a: true }, false],
    [
      'before any value (the latest)',
      clause('before', ['2020-01-01', '2030-01-01']),
      { a: '2025-01-01' },
      true,
    ],
  ])('%s', (_, c, context, expected) => {
    expect(holds(c, context)).toBe(expected);
  });
});

describe('exists', () => {
  it.each([
    ['present', { a: 'x' }, false, true],
    ['an empty string is present', { a: '' }, false, true],
    ['false is present', { a: false }, false, true],
    ['an empty array is present', { a: [] }, false, true],
    ['null is absent', { a: null }, false, false],
    ['missing is absent', {}, false, false],
    ['negated: missing', {}, true, true],
    ['negated: present', { a: 1 }, true, false],
  ])('%s', (_, context, negate, expected) => {
    expect(holds(clause('exists', [], { negate }), context)).toBe(expected);
  });
});

describe('attribute paths', () => {
  it.each([
    ['a dotted path', { company: { plan: 'pro' } }, true],
    [
      'a null-prototype object on the way',
      { company: Object.assign(Object.create(null), { plan: 'pro' }) },
      true,
    ],
    ['through an array: not traversed', { company: [{ plan: 'pro' }] }, false],
    ['through a string: not traversed', { company: 'pro' }, false],
    [
      'through a class instance: not traversed',
      {
        company: new (class {
          plan = 'pro';
        })(),
      },
      false,
    ],
    ['through null', { company: null }, false],
    ['missing on the way', { other: 1 }, false],
    ['a top-level key with a dot is not the path', { 'company.plan': 'pro' }, false],
  ])('%s', (_, context, expected) => {
    expect(holds({ attribute: 'company.plan', op: 'eq', values: ['pro'] }, context)).toBe(expected);
  });
});

describe('inSegment', () => {
  const segments = {
    staff: {
      included: ['ada', 'both'],
      excluded: ['bob', 'both'],
      rules: [[{ attribute: 'email', op: 'endsWith', values: ['@corp.example'] }]],
    },
    beta: {
      rules: [
        [{ attribute: '', op: 'inSegment', values: ['staff'] }],
        [{ attribute: 'beta', op: 'eq', values: [true] }],
      ],
    },
    empty: {},
  } as const;
  const compiled = clauseFlag({ attribute: '', op: 'inSegment', values: ['beta'] }, segments as never);
  const variant = (context: Record<string, unknown>) =>
    (compiled.evaluate('f', context as EvaluationContext, 0) as { variant: string }).variant;

  it.each([
    ['included by key (through a nested segment)', { targetingKey: 'ada' }, 'on'],
    ['included wins over excluded', { targetingKey: 'both' }, 'on'],
    ['excluded wins over the rules', { targetingKey: 'bob', email: 'bob@corp.example' }, 'off'],
    ['a segment rule', { targetingKey: 'cy', email: 'cy@corp.example' }, 'on'],
    ['another rule of the outer segment', { targetingKey: 'dee', beta: true }, 'on'],
    ['rules apply without a targeting key', { email: 'x@corp.example' }, 'on'],
    ['no rule', { targetingKey: 'eve' }, 'off'],
  ])('%s', (_, context, expected) => {
    expect(variant(context)).toBe(expected);
  });

  it('negated, and an empty segment holds no one', () => {
    const negated = clauseFlag(
      { attribute: '', op: 'inSegment', values: ['empty'], negate: true },
      segments as never,
    );
    expect(negated.evaluate('f', { targetingKey: 'anyone' }, 0)).toMatchObject({ variant: 'on' });
  });
});

const flagWith = (flags: Record<string, unknown>, segments?: Record<string, unknown>) =>
  compileConfig(configOf(flags, segments));
const split = (on: number) => ({
  rollout: {
    variations: [
      { variation: 'on', weight: on },
      { variation: 'off', weight: 100_000 - on },
    ],
  },
});

describe('flag evaluation', () => {
  it('an unknown flag is FLAG_NOT_FOUND, including prototype names', () => {
    const compiled = flagWith({ f: boolFlag() });
    for (const name of ['nope', '__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      expect(compiled.evaluate(name, {}, 0)).toMatchObject({ errorCode: 'FLAG_NOT_FOUND' });
    }
    expect(compiled.evaluate(42 as never, {}, 0)).toMatchObject({ errorCode: 'FLAG_NOT_FOUND' });
    expect(compiled.typeOf('constructor')).toBeUndefined();
  });

  it('a context that is not an object is INVALID_CONTEXT', () => {
    const compiled = flagWith({ f: boolFlag() });
    for (const context of [null, undefined, 'ctx', 42, ['a']]) {
      expect(compiled.evaluate('f', context as never, 0)).toMatchObject({ errorCode: 'INVALID_CONTEXT' });
    }
  });

  it('a context whose getter throws is GENERAL, not a throw', () => {
    const compiled = clauseFlag(clause('eq', ['x']));
    const hostile = Object.defineProperty({}, 'a', {
      enumerable: true,
      get() {
        throw new Error('boom');
      },
    });
    expect(compiled.evaluate('f', hostile, 0)).toMatchObject({ errorCode: 'GENERAL' });
  });

  it('disabled serves offVariation with DISABLED, before targets and rules', () => {
    const compiled = flagWith({
      f: boolFlag({
        enabled: false,
        targets: [{ variation: 'on', values: ['ada'] }],
        fallthrough: { variation: 'on' },
      }),
    });
    expect(compiled.evaluate('f', { targetingKey: 'ada' }, 0)).toEqual({
      value: false,
      variant: 'off',
      reason: 'DISABLED',
    });
  });

  it('targets come before rules, by targetingKey only', () => {
    const compiled = flagWith({
      f: boolFlag({
        targets: [{ variation: 'off', values: ['ada'] }],
        rules: [{ id: 'all', clauses: [], serve: { variation: 'on' } }],
      }),
    });
    expect(compiled.evaluate('f', { targetingKey: 'ada' }, 0)).toEqual({
      value: false,
      variant: 'off',
      reason: 'TARGETING_MATCH',
    });
    expect(compiled.evaluate('f', { targetingKey: 'bob' }, 0)).toEqual({
      value: true,
      variant: 'on',
      reason: 'TARGETING_MATCH',
      ruleId: 'all',
    });
    expect(compiled.evaluate('f', { user: 'ada' }, 0)).toMatchObject({ ruleId: 'all' });
  });

  it('the first matching rule serves; a rule with no clauses matches everyone', () => {
    const compiled = flagWith({
      f: {
        type: 'string',
        variations: { a: 'A', b: 'B', c: 'C' },
        enabled: true,
        offVariation: 'a',
        rules: [
          {
            id: 'pro',
            clauses: [
              { attribute: 'plan', op: 'eq', values: ['pro'] },
              { attribute: 'age', op: 'gte', values: [18] },
            ],
            serve: { variation: 'b' },
          },
          {
            id: 'rest',
            clauses: [{ attribute: 'plan', op: 'exists', values: [] }],
            serve: { variation: 'c' },
          },
        ],
        fallthrough: { variation: 'a' },
      },
    });
    expect(compiled.evaluate('f', { plan: 'pro', age: 30 }, 0)).toEqual({
      value: 'B',
      variant: 'b',
      reason: 'TARGETING_MATCH',
      ruleId: 'pro',
    });
    expect(compiled.evaluate('f', { plan: 'pro', age: 12 }, 0)).toMatchObject({
      variant: 'c',
      ruleId: 'rest',
    });
    expect(compiled.evaluate('f', {}, 0)).toEqual({ value: 'A', variant: 'a', reason: 'DEFAULT' });
  });

  it('a rollout in a rule is SPLIT with the rule id; the fallthrough rollout is SPLIT without one', () => {
    const compiled = flagWith({
      f: boolFlag({
        rules: [{ id: 'r', clauses: [clause('eq', [1])], serve: split(100_000) }],
        fallthrough: split(0),
      }),
    });
    expect(compiled.evaluate('f', { targetingKey: 'k', a: 1 }, 0)).toEqual({
      value: true,
      variant: 'on',
      reason: 'SPLIT',
      ruleId: 'r',
    });
    expect(compiled.evaluate('f', { targetingKey: 'k' }, 0)).toEqual({
      value: false,
      variant: 'off',
      reason: 'SPLIT',
    });
  });

  it('buckets by targetingKey under the flag key as salt, a salt, a stickiness attribute, or bucketBy', () => {
    const half = split(50_000);
    const compiled = flagWith({
      plain: boolFlag({ fallthrough: half }),
      salted: boolFlag({ fallthrough: half, salt: 's1' }),
      sticky: boolFlag({ fallthrough: half, stickiness: 'account.id' }),
      by: boolFlag({
        fallthrough: { rollout: { ...half.rollout, bucketBy: 'device' } },
        stickiness: 'account.id',
      }),
    });
    const expected = (salt: string, value: string) => (bucketOf(salt, value) < 50_000 ? 'on' : 'off');
    for (let i = 0; i < 200; i++) {
      const context = { targetingKey: `u${i}`, account: { id: `acc${i}` }, device: `d${i}` };
      expect(compiled.evaluate('plain', context, 0)).toMatchObject({ variant: expected('plain', `u${i}`) });
      expect(compiled.evaluate('salted', context, 0)).toMatchObject({ variant: expected('s1', `u${i}`) });
      expect(compiled.evaluate('sticky', context, 0)).toMatchObject({
        variant: expected('sticky', `acc${i}`),
      });
      expect(compiled.evaluate('by', context, 0)).toMatchObject({ variant: expected('by', `d${i}`) });
    }
  });

  it('a number bucketing value buckets as its decimal string', () => {
    const compiled = flagWith({ f: boolFlag({ fallthrough: split(50_000), stickiness: 'accountId' }) });
    const a = compiled.evaluate('f', { accountId: 1234 }, 0);
    const b = compiled.evaluate('f', { accountId: '1234' }, 0);
    expect(a).toEqual(b);
  });

  it.each([
    ['no targetingKey', {}],
    ['an empty targetingKey', { targetingKey: '' }],
    ['a targetingKey that is not a string', { targetingKey: 42 }],
  ])('a rollout with %s is TARGETING_KEY_MISSING', (_, context) => {
    const compiled = flagWith({ f: boolFlag({ fallthrough: split(50_000) }) });
    expect(compiled.evaluate('f', context as never, 0)).toMatchObject({ errorCode: 'TARGETING_KEY_MISSING' });
  });

  it('a missing stickiness attribute (or one of the wrong type) is TARGETING_KEY_MISSING', () => {
    const compiled = flagWith({ f: boolFlag({ fallthrough: split(50_000), stickiness: 'accountId' }) });
    expect(compiled.evaluate('f', { targetingKey: 'u1' }, 0)).toMatchObject({
      errorCode: 'TARGETING_KEY_MISSING',
    });
    expect(compiled.evaluate('f', { accountId: true }, 0)).toMatchObject({
      errorCode: 'TARGETING_KEY_MISSING',
    });
    expect(compiled.evaluate('f', { accountId: { id: 1 } }, 0)).toMatchObject({
      errorCode: 'TARGETING_KEY_MISSING',
    });
  });

  it('results are shared frozen objects (no allocation per evaluation)', () => {
    const compiled = flagWith({
      f: boolFlag({ fallthrough: split(50_000) }),
      j: {
        type: 'json',
        variations: { v: { a: [1, { b: 2 }] } },
        enabled: true,
        offVariation: 'v',
        fallthrough: { variation: 'v' },
      },
    });
    const first = compiled.evaluate('f', { targetingKey: 'x' }, 0);
    expect(compiled.evaluate('f', { targetingKey: 'x' }, 0)).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    const json = compiled.evaluate('j', {}, 0) as unknown as { value: { a: [number, { b: number }] } };
    expect(Object.isFrozen(json.value)).toBe(true);
    expect(Object.isFrozen(json.value.a[1])).toBe(true);
  });

  it('typeOf, keys and version', () => {
    const compiled = compileConfig({
      version: 'etag-7',
      flags: {
        b: boolFlag(),
        n: {
          type: 'number',
          variations: { one: 1 },
          enabled: true,
          offVariation: 'one',
          fallthrough: { variation: 'one' },
        },
      },
    });
    expect(compiled.version).toBe('etag-7');
    expect(compiled.keys()).toEqual(['b', 'n']);
    expect(compiled.typeOf('n')).toBe('number');
    expect(compiled.typeOf('b')).toBe('boolean');
    expect(Object.isFrozen(compiled.config)).toBe(true);
    expect(compileConfig({ flags: {} }).version).toBeUndefined();
  });
});

describe('prerequisites', () => {
  const result = (r: EngineResult) => ('variant' in r ? `${r.variant}/${r.reason}` : r.errorCode);

  it('met when the prerequisite is on and serves the variation; failed otherwise', () => {
    const compiled = flagWith({
      gate: boolFlag({ rules: [{ id: 'r', clauses: [clause('eq', ['yes'])], serve: { variation: 'on' } }] }),
      f: boolFlag({ prerequisites: [{ flag: 'gate', variation: 'on' }], fallthrough: { variation: 'on' } }),
    });
    expect(result(compiled.evaluate('f', { a: 'yes' }, 0))).toBe('on/DEFAULT');
    expect(result(compiled.evaluate('f', { a: 'no' }, 0))).toBe('off/PREREQUISITE_FAILED');
  });

  it('a disabled prerequisite fails even when its off variation is the one asked for', () => {
    const compiled = flagWith({
      gate: boolFlag({ enabled: false }),
      f: boolFlag({ prerequisites: [{ flag: 'gate', variation: 'off' }], fallthrough: { variation: 'on' } }),
    });
    expect(result(compiled.evaluate('f', {}, 0))).toBe('off/PREREQUISITE_FAILED');
  });

  it('chains: a prerequisite whose own prerequisite fails fails too', () => {
    const compiled = flagWith({
      root: boolFlag({ enabled: false }),
      mid: boolFlag({
        prerequisites: [{ flag: 'root', variation: 'on' }],
        offVariation: 'on',
        fallthrough: { variation: 'on' },
      }),
      f: boolFlag({ prerequisites: [{ flag: 'mid', variation: 'on' }], fallthrough: { variation: 'on' } }),
    });
    expect(result(compiled.evaluate('mid', {}, 0))).toBe('on/PREREQUISITE_FAILED');
    expect(result(compiled.evaluate('f', {}, 0))).toBe('off/PREREQUISITE_FAILED');
  });

  it('a prerequisite that cannot be evaluated (rollout without key) fails closed', () => {
    const compiled = flagWith({
      gate: boolFlag({ fallthrough: split(100_000) }),
      f: boolFlag({ prerequisites: [{ flag: 'gate', variation: 'on' }], fallthrough: { variation: 'on' } }),
    });
    expect(result(compiled.evaluate('f', {}, 0))).toBe('off/PREREQUISITE_FAILED');
    expect(result(compiled.evaluate('f', { targetingKey: 'k' }, 0))).toBe('on/DEFAULT');
  });

  it('a disabled flag does not evaluate its prerequisites', () => {
    const compiled = flagWith({
      gate: boolFlag({ fallthrough: { variation: 'on' } }),
      f: boolFlag({ enabled: false, prerequisites: [{ flag: 'gate', variation: 'on' }] }),
    });
    expect(result(compiled.evaluate('f', {}, 0))).toBe('off/DISABLED');
  });

  it('a wide diamond of prerequisites evaluates', () => {
    const flags: Record<string, unknown> = { base: boolFlag({ fallthrough: { variation: 'on' } }) };
    for (let i = 0; i < 50; i++)
      flags[`m${i}`] = boolFlag({
        prerequisites: [{ flag: 'base', variation: 'on' }],
        fallthrough: { variation: 'on' },
      });
    flags.top = boolFlag({
      prerequisites: Array.from({ length: 50 }, (_, i) => ({ flag: `m${i}`, variation: 'on' })),
      fallthrough: { variation: 'on' },
    });
    expect(result(flagWith(flags).evaluate('top', {}, 0))).toBe('on/DEFAULT');
  });
});

describe('scheduled changes', () => {
  const at = (iso: string) => Date.parse(iso);
  const compiled = flagWith({
    f: boolFlag({
      enabled: false,
      fallthrough: { variation: 'on' },
      schedule: [
        // listed out of order on purpose: they apply by instant
        {
          at: '2025-03-01T00:00:00Z',
          rules: [{ id: 'late', clauses: [clause('eq', ['x'])], serve: { variation: 'off' } }],
        },
        { at: '2025-02-01T00:00:00Z', enabled: true },
        { at: '2025-04-01T00:00:00+02:00', fallthrough: split(0) },
        { at: '2025-05-01', enabled: false },
      ],
    }),
  });
  const ev = (iso: string, context: Record<string, unknown> = { targetingKey: 'k' }) =>
    compiled.evaluate('f', context as EvaluationContext, at(iso));

  it('before the first change: the flag as written', () => {
    expect(ev('2025-01-31T23:59:59.999Z')).toMatchObject({ reason: 'DISABLED' });
  });

  it('a change applies from its instant on (at <= now)', () => {
    expect(ev('2025-02-01T00:00:00Z')).toEqual({ value: true, variant: 'on', reason: 'DEFAULT' });
  });

  it('changes accumulate: a later change keeps what earlier ones set', () => {
    expect(ev('2025-03-15T00:00:00Z', { targetingKey: 'k', a: 'x' })).toMatchObject({
      variant: 'off',
      ruleId: 'late',
    });
    expect(ev('2025-03-15T00:00:00Z')).toMatchObject({ variant: 'on', reason: 'DEFAULT' });
    expect(ev('2025-03-31T22:00:00Z')).toMatchObject({ variant: 'off', reason: 'SPLIT' });
    expect(ev('2025-03-31T22:00:00Z', { targetingKey: 'k', a: 'x' })).toMatchObject({ ruleId: 'late' });
  });

  it('the last change switches it off again', () => {
    expect(ev('2026-01-01T00:00:00Z')).toMatchObject({ reason: 'DISABLED' });
  });

  it('a NaN now is before every change', () => {
    expect(compiled.evaluate('f', {}, Number.NaN)).toMatchObject({ reason: 'DISABLED' });
  });
});
