/**
 * validateConfig on hostile and malformed configs: every refusal is a FlagConfigError naming the flag
 * (or segment) and the path; nothing is echoed at length. Then what a valid config comes back as.
 */
import { describe, expect, it } from 'vitest';
import { compileConfig, FLAG_CONFIG_LIMITS, validateConfig } from '../../src/flags/index.js';
import { boolFlag, configOf, refusal, valid } from './fixtures.js';

const flagged = (flag: Record<string, unknown>) => configOf({ f: { ...boolFlag(), ...flag } });
const ruled = (clause: Record<string, unknown>) =>
  flagged({ rules: [{ id: 'r', clauses: [clause], serve: { variation: 'on' } }] });
const split = (...weights: number[]) => ({
  rollout: { variations: weights.map((weight, i) => ({ variation: i === 0 ? 'on' : 'off', weight })) },
});

describe('the top level', () => {
  it.each([
    ['null', null],
    ['an array', []],
    ['a string', '{"flags":{}}'],
    ['a Map', new Map([['flags', {}]])],
    [
      'a class instance',
      new (class {
        flags = {};
      })(),
    ],
    ['a Date', new Date()],
  ])('%s is refused at config', (_, input) => {
    expect(refusal(input)).toMatchObject({ path: 'config', flag: undefined });
  });

  it.each([
    ['no flags', {}, 'flags', /is required/],
    ['an unknown field', { flags: {}, flag: {} }, 'flag', /unknown field/],
    ['flags not an object', { flags: [] }, 'flags', /plain object/],
    ['segments not an object', { flags: {}, segments: 'x' }, 'segments', /plain object/],
    ['a version that is not a string', { flags: {}, version: 7 }, 'version', /string/],
    ['a version too long', { flags: {}, version: 'v'.repeat(257) }, 'version', /longer than 256/],
  ])('%s', (_, input, path, message) => {
    const e = refusal(input);
    expect(e).toMatchObject({ path, flag: undefined });
    expect(e.message).toMatch(message);
  });
});

describe('flag keys', () => {
  it.each([
    ['a space', 'bad key'],
    ['a slash', 'a/b'],
    ['non-ASCII', 'flaggé'],
    ['129 characters', 'k'.repeat(129)],
    ['constructor', 'constructor'],
    ['prototype', 'prototype'],
  ])('%s is refused, naming the key', (_, key) => {
    const e = refusal({ flags: { [key]: boolFlag() } });
    expect(e.flag).toBe(key.length > 128 ? `${key.slice(0, 128)}…` : key);
    expect(e.path.startsWith('flags')).toBe(true);
  });

  it('an empty key', () => {
    expect(refusal({ flags: { '': boolFlag() } })).toMatchObject({ path: 'flags[""]', flag: '' });
  });

  it('__proto__ as a flag key (JSON.parse makes it an own key) is refused', () => {
    const input = JSON.parse('{"flags":{"__proto__":{"type":"boolean"}}}');
    expect(refusal(input)).toMatchObject({ path: 'flags.__proto__', flag: '__proto__' });
  });

  it('a 1 MB key is truncated in the error', () => {
    const e = refusal({ flags: { ['k'.repeat(1_000_000)]: boolFlag() } });
    expect(e.flag!.length).toBe(129);
    expect(e.message.length).toBeLessThan(300);
  });

  it('more than 10,000 flags', () => {
    const flags = Object.fromEntries(Array.from({ length: 10_001 }, (_, i) => [`f${i}`, boolFlag()]));
    expect(refusal({ flags })).toMatchObject({ path: 'flags', flag: undefined });
  });

  it('10,000 flags are fine', () => {
    const flags = Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`f${i}`, boolFlag()]));
    expect(compileConfig({ flags }).keys()).toHaveLength(10_000);
  });
});

describe('flag fields', () => {
  it.each([
    ['an unknown field', flagged({ enabledd: true }), 'flags.f.enabledd', /unknown field/],
    ['a missing type', configOf({ f: { ...boolFlag(), type: undefined } }), 'flags.f.type', /required/],
    ['an unknown type', flagged({ type: 'int' }), 'flags.f.type', /one of/],
    ['enabled as a string', flagged({ enabled: 'true' }), 'flags.f.enabled', /boolean/],
    ['no variations', flagged({ variations: {} }), 'flags.f.variations', /at least one/],
    ['variations as an array', flagged({ variations: [true, false] }), 'flags.f.variations', /plain object/],
    [
      'a bad variation name',
      flagged({ variations: { 'o n': true, off: false } }),
      'flags.f.variations["o n"]',
      /not a key/,
    ],
    [
      'a value of the wrong type',
      flagged({ variations: { on: 'yes', off: false } }),
      'flags.f.variations.on',
      /boolean/,
    ],
    [
      'a number in a string flag',
      flagged({ type: 'string', variations: { on: 1, off: 'x' } }),
      'flags.f.variations.on',
      /string/,
    ],
    [
      'NaN in a number flag',
      flagged({ type: 'number', variations: { on: Number.NaN, off: 1 } }),
      'flags.f.variations.on',
      /finite/,
    ],
    [
      'Infinity in a number flag',
      flagged({ type: 'number', variations: { on: Number.POSITIVE_INFINITY, off: 1 } }),
      'flags.f.variations.on',
      /finite/,
    ],
    [
      'a string over 64 KiB',
      flagged({ type: 'string', variations: { on: 'é'.repeat(33_000), off: '' } }),
      'flags.f.variations.on',
      /65536 bytes/,
    ],
    ['an unknown offVariation', flagged({ offVariation: 'of' }), 'flags.f.offVariation', /no variation "of"/],
    ['an offVariation that is not a string', flagged({ offVariation: 0 }), 'flags.f.offVariation', /string/],
    ['an unknown kind', flagged({ kind: 'temporary' }), 'flags.f.kind', /one of/],
    ['a bad expiresAt', flagged({ expiresAt: 'next year' }), 'flags.f.expiresAt', /ISO 8601/],
    [
      'a description over 4,096 characters',
      flagged({ description: 'd'.repeat(1_000_000) }),
      'flags.f.description',
      /longer than 4096/,
    ],
    ['an empty salt', flagged({ salt: '' }), 'flags.f.salt', /empty/],
    [
      'a stickiness path through __proto__',
      flagged({ stickiness: '__proto__.id' }),
      'flags.f.stickiness',
      /reserved/,
    ],
    [
      'a stickiness path with an empty part',
      flagged({ stickiness: 'a..b' }),
      'flags.f.stickiness',
      /empty part/,
    ],
  ])('%s', (_, input, path, message) => {
    const e = refusal(input);
    expect(e).toMatchObject({ path, flag: 'f' });
    expect(e.message).toMatch(message);
  });

  it('more than 1,000 variations', () => {
    const variations = Object.fromEntries(Array.from({ length: 1001 }, (_, i) => [`v${i}`, i]));
    expect(
      refusal(flagged({ type: 'number', variations, offVariation: 'v0', fallthrough: { variation: 'v0' } })),
    ).toMatchObject({
      path: 'flags.f.variations',
      flag: 'f',
    });
  });
});

describe('JSON variations', () => {
  const json = (value: unknown) => flagged({ type: 'json', variations: { on: value, off: null } });
  const deep = (depth: number) => {
    let value: unknown = 1;
    for (let i = 0; i < depth; i++) value = [value];
    return value;
  };

  it.each([
    ['a Date', new Date(), 'flags.f.variations.on'],
    ['a Map', new Map(), 'flags.f.variations.on'],
    ['a function', () => 1, 'flags.f.variations.on'],
    ['undefined inside an array', [1, undefined], 'flags.f.variations.on[1]'],
    ['a sparse array', new Array(3), 'flags.f.variations.on[0]'],
    ['a bigint', { n: 1n }, 'flags.f.variations.on.n'],
    ['a symbol', { s: Symbol('x') }, 'flags.f.variations.on.s'],
    ['NaN', { n: Number.NaN }, 'flags.f.variations.on.n'],
    [
      'a class instance',
      {
        c: new (class {
          x = 1;
        })(),
      },
      'flags.f.variations.on.c',
    ],
    ['a constructor key', { constructor: 1 }, 'flags.f.variations.on.constructor'],
    [
      'a prototype key deep down',
      { a: [{ b: { prototype: {} } }] },
      'flags.f.variations.on.a[0].b.prototype',
    ],
    ['33 levels', deep(33), `flags.f.variations.on${'[0]'.repeat(32)}`],
    ['over 64 KiB', { s: 'x'.repeat(70_000) }, 'flags.f.variations.on'],
    ['over 64 KiB in many small parts', Array.from({ length: 40_000 }, () => 1), 'flags.f.variations.on'],
  ])('%s is refused', (_, value, path) => {
    expect(refusal(json(value))).toMatchObject({ path, flag: 'f' });
  });

  it('__proto__ keys from JSON.parse, at the top and deep down', () => {
    for (const text of ['{"__proto__":{"polluted":1}}', '{"a":[{"b":{"__proto__":{"polluted":1}}}]}']) {
      const input = JSON.parse(
        `{"flags":{"f":{"type":"json","variations":{"on":${text},"off":null},"enabled":true,"offVariation":"off","fallthrough":{"variation":"off"}}}}`,
      );
      const e = refusal(input);
      expect(e.flag).toBe('f');
      expect(e.path).toMatch(/\.__proto__$/);
      expect(e.message).toMatch(/reserved/);
    }
  });

  it('a cyclic object is refused by the depth limit, not a stack overflow', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(refusal(json(cyclic)).message).toMatch(/deeper than 32/);
  });

  it('32 levels, null-prototype objects and every JSON type are fine, and copied frozen', () => {
    const bare = Object.assign(Object.create(null), { k: 'v' });
    const config = valid(json({ deep: deep(31), bare, n: -1.5e-7, s: 'ü', b: false, z: null, a: [] }));
    const value = config.flags.f!.variations.on as Record<string, unknown>;
    expect(value.bare).toEqual({ k: 'v' });
    expect(value.bare).not.toBe(bare);
    expect(Object.isFrozen(value.deep)).toBe(true);
  });
});

describe('serve and rollouts', () => {
  it.each([
    [
      'both variation and rollout',
      flagged({ fallthrough: { variation: 'on', ...split(100_000) } }),
      'flags.f.fallthrough',
      /exactly one/,
    ],
    ['neither', flagged({ fallthrough: {} }), 'flags.f.fallthrough', /exactly one/],
    [
      'an unknown variation',
      flagged({ fallthrough: { variation: 'maybe' } }),
      'flags.f.fallthrough.variation',
      /no variation/,
    ],
    [
      'weights summing to 99,999',
      flagged({ fallthrough: split(50_000, 49_999) }),
      'flags.f.fallthrough.rollout.variations',
      /sum to 99999, not 100000/,
    ],
    [
      'weights summing to 100,001',
      flagged({ fallthrough: split(50_001, 50_000) }),
      'flags.f.fallthrough.rollout.variations',
      /100001/,
    ],
    [
      'a fractional weight',
      flagged({ fallthrough: split(50_000.5, 49_999.5) }),
      'flags.f.fallthrough.rollout.variations[0].weight',
      /integer/,
    ],
    [
      'a negative weight',
      flagged({ fallthrough: split(100_001, -1) }),
      'flags.f.fallthrough.rollout.variations[0].weight',
      /integer in 0..100000/,
    ],
    [
      'a weight as a string',
      flagged({ fallthrough: { rollout: { variations: [{ variation: 'on', weight: '100000' }] } } }),
      'flags.f.fallthrough.rollout.variations[0].weight',
      /integer/,
    ],
    [
      'percentages instead of buckets',
      flagged({ fallthrough: split(50, 50) }),
      'flags.f.fallthrough.rollout.variations',
      /sum to 100, not 100000/,
    ],
    [
      'no variations',
      flagged({ fallthrough: { rollout: { variations: [] } } }),
      'flags.f.fallthrough.rollout.variations',
      /at least one/,
    ],
    [
      'a variation twice',
      flagged({
        fallthrough: {
          rollout: {
            variations: [
              { variation: 'on', weight: 50_000 },
              { variation: 'on', weight: 50_000 },
            ],
          },
        },
      }),
      'flags.f.fallthrough.rollout.variations[1].variation',
      /twice/,
    ],
    [
      'an unknown rollout variation',
      flagged({ fallthrough: { rollout: { variations: [{ variation: 'x', weight: 100_000 }] } } }),
      'flags.f.fallthrough.rollout.variations[0].variation',
      /no variation/,
    ],
    [
      'a bad bucketBy',
      flagged({ fallthrough: { rollout: { ...split(100_000).rollout, bucketBy: 'a.constructor' } } }),
      'flags.f.fallthrough.rollout.bucketBy',
      /reserved/,
    ],
    [
      'an unknown rollout field',
      flagged({ fallthrough: { rollout: { ...split(100_000).rollout, seed: 1 } } }),
      'flags.f.fallthrough.rollout.seed',
      /unknown/,
    ],
  ])('%s', (_, input, path, message) => {
    const e = refusal(input);
    expect(e).toMatchObject({ path, flag: 'f' });
    expect(e.message).toMatch(message);
  });

  it('a weight of 0 and a single 100 % variation are fine', () => {
    expect(() => validateConfig(flagged({ fallthrough: split(0, 100_000) }))).not.toThrow();
    expect(() => validateConfig(flagged({ fallthrough: split(100_000) }))).not.toThrow();
  });
});

describe('rules and clauses', () => {
  const rulesPath = 'flags.f.rules[0].clauses[0]';

  it.each([
    ['an unknown operator', { attribute: 'a', op: 'regex', values: ['x'] }, `${rulesPath}.op`, /one of/],
    ['no attribute', { op: 'eq', values: ['x'] }, `${rulesPath}.attribute`, /required/],
    ['an empty attribute', { attribute: '', op: 'eq', values: ['x'] }, `${rulesPath}.attribute`, /empty/],
    [
      'an attribute through __proto__',
      { attribute: '__proto__', op: 'eq', values: ['x'] },
      `${rulesPath}.attribute`,
      /reserved/,
    ],
    [
      'an attribute through constructor',
      { attribute: 'user.constructor', op: 'eq', values: ['x'] },
      `${rulesPath}.attribute`,
      /reserved/,
    ],
    [
      'an attribute of 17 parts',
      { attribute: Array(17).fill('a').join('.'), op: 'eq', values: ['x'] },
      `${rulesPath}.attribute`,
      /16 dotted parts/,
    ],
    [
      'an unknown clause field',
      { attribute: 'a', op: 'eq', values: ['x'], not: true },
      `${rulesPath}.not`,
      /unknown/,
    ],
    ['values not an array', { attribute: 'a', op: 'eq', values: 'x' }, `${rulesPath}.values`, /array/],
    ['no values', { attribute: 'a', op: 'eq', values: [] }, `${rulesPath}.values`, /at least one/],
    [
      'values for exists',
      { attribute: 'a', op: 'exists', values: [true] },
      `${rulesPath}.values`,
      /empty for exists/,
    ],
    [
      'an object value',
      { attribute: 'a', op: 'in', values: [{}] },
      `${rulesPath}.values[0]`,
      /string, a finite number or a boolean/,
    ],
    [
      'a null value',
      { attribute: 'a', op: 'in', values: ['x', null] },
      `${rulesPath}.values[1]`,
      /string, a finite number/,
    ],
    ['a NaN value', { attribute: 'a', op: 'eq', values: [Number.NaN] }, `${rulesPath}.values[0]`, /finite/],
    [
      'a string for lt (numbers as strings)',
      { attribute: 'a', op: 'lt', values: ['5'] },
      `${rulesPath}.values[0]`,
      /finite number/,
    ],
    [
      'a number for contains',
      { attribute: 'a', op: 'contains', values: [5] },
      `${rulesPath}.values[0]`,
      /string/,
    ],
    [
      'a number for semver',
      { attribute: 'a', op: 'semverGt', values: [1] },
      `${rulesPath}.values[0]`,
      /string/,
    ],
    [
      'an invalid semver',
      { attribute: 'a', op: 'semverGt', values: ['1.0'] },
      `${rulesPath}.values[0]`,
      /semver 2.0/,
    ],
    [
      'a v-prefixed semver',
      { attribute: 'a', op: 'semverEq', values: ['v1.0.0'] },
      `${rulesPath}.values[0]`,
      /semver/,
    ],
    [
      'an impossible date',
      { attribute: 'a', op: 'before', values: ['2025-02-30'] },
      `${rulesPath}.values[0]`,
      /ISO 8601/,
    ],
    [
      'a local date-time',
      { attribute: 'a', op: 'after', values: ['2025-01-01T10:00:00'] },
      `${rulesPath}.values[0]`,
      /ISO 8601/,
    ],
    ['a boolean date', { attribute: 'a', op: 'after', values: [true] }, `${rulesPath}.values[0]`, /string/],
    [
      'caseInsensitive on lt',
      { attribute: 'a', op: 'lt', values: [1], caseInsensitive: true },
      `${rulesPath}.caseInsensitive`,
      /string operators only/,
    ],
    [
      'negate as a string',
      { attribute: 'a', op: 'eq', values: ['x'], negate: 'yes' },
      `${rulesPath}.negate`,
      /boolean/,
    ],
    [
      'an unknown segment',
      { attribute: '', op: 'inSegment', values: ['nope'] },
      `${rulesPath}.values[0]`,
      /no segment "nope"/,
    ],
    [
      'a string value over 1,024 characters',
      { attribute: 'a', op: 'eq', values: ['x'.repeat(1025)] },
      `${rulesPath}.values[0]`,
      /longer than 1024/,
    ],
  ])('%s', (_, clause, path, message) => {
    const e = refusal(ruled(clause));
    expect(e).toMatchObject({ path, flag: 'f' });
    expect(e.message).toMatch(message);
  });

  it('10,001 values in a clause are refused; 10,000 are fine', () => {
    const values = (n: number) => Array.from({ length: n }, (_, i) => `v${i}`);
    expect(refusal(ruled({ attribute: 'a', op: 'in', values: values(10_001) }))).toMatchObject({
      path: `${rulesPath}.values`,
      flag: 'f',
    });
    expect(() => validateConfig(ruled({ attribute: 'a', op: 'in', values: values(10_000) }))).not.toThrow();
  });

  it('duplicate rule ids, bad rule ids, too many rules and clauses', () => {
    const rule = (id: unknown, clauses: unknown[] = []) => ({ id, clauses, serve: { variation: 'on' } });
    expect(refusal(flagged({ rules: [rule('a'), rule('a')] }))).toMatchObject({
      path: 'flags.f.rules[1].id',
      flag: 'f',
    });
    expect(refusal(flagged({ rules: [rule('has space')] }))).toMatchObject({ path: 'flags.f.rules[0].id' });
    expect(refusal(flagged({ rules: [rule(7)] }))).toMatchObject({ path: 'flags.f.rules[0].id' });
    const many = Array.from({ length: 1001 }, (_, i) => rule(`r${i}`));
    expect(refusal(flagged({ rules: many }))).toMatchObject({ path: 'flags.f.rules' });
    const clauses = Array.from({ length: 101 }, () => ({ attribute: 'a', op: 'exists', values: [] }));
    expect(refusal(flagged({ rules: [rule('r', clauses)] }))).toMatchObject({
      path: 'flags.f.rules[0].clauses',
    });
    expect(refusal(flagged({ rules: [{ id: 'r', clauses: [] }] }))).toMatchObject({
      path: 'flags.f.rules[0].serve',
    });
  });

  it('a config over 1,000,000 values in total is refused', () => {
    const segments: Record<string, unknown> = {};
    for (let i = 0; i < 11; i++)
      segments[`s${i}`] = { included: Array.from({ length: 100_000 }, (_, j) => `u${j}`) };
    const e = refusal(configOf({ f: boolFlag() }, segments));
    expect(e).toMatchObject({ path: 'segments.s10.included', flag: 's10' });
    expect(e.message).toMatch(/1000000 values in total/);
  });
});

describe('matches: pattern safety', () => {
  const pattern = (p: string, caseInsensitive?: boolean) =>
    ruled({
      attribute: 'a',
      op: 'matches',
      values: [p],
      ...(caseInsensitive === undefined ? {} : { caseInsensitive }),
    });

  it.each([
    ['(a+)+', /repeated group/],
    ['(a+)+$', /repeated group/],
    ['(a*)*b', /repeated group/],
    ['(a|a)*', /repeated group/],
    ['(a|ab)*c', /repeated group/],
    ['^(\\w+\\s?)+$', /repeated group/],
    ['(.*a){12}', /repeated group/],
    ['^([a-z]+\\.)*[a-z]+$', /repeated group/],
    ['.*.*x', /follow each other/],
    ['\\d+\\d+x', /follow each other/],
    ['a.*b.*c', /follow each other/],
    ['a?a?a?aaa', /follow each other/],
    ['(a|a)(a|a)(a|a)b', /follow each other/],
    ['(a)\\1', /backreferences/],
    ['(?<x>a)\\k<x>', /backreferences/],
    ['(?=a)a', /lookahead/],
    ['(?!a)b', /lookahead/],
    ['(?<=a)b', /lookbehind/],
    ['a{1001}', /above 1000/],
    ['(?i:a)', /unsupported group/],
    ['\\q', /unsupported escape/],
    ['(', /unterminated group/],
    ['[a', /unterminated class/],
    ['a)', /unmatched/],
    ['*', /nothing to repeat/],
    ['a{2,1}', /out of order/],
    ['[z-a]', /out of order/],
    ['[\\d-z]', /class escape/],
    ['a'.repeat(257), /longer than 256/],
    [`${'('.repeat(17)}a${')'.repeat(17)}`, /nested deeper than 16/],
  ])('%s is refused', (p, message) => {
    const e = refusal(pattern(p));
    expect(e).toMatchObject({ path: 'flags.f.rules[0].clauses[0].values[0]', flag: 'f' });
    expect(e.message).toMatch(message);
  });

  it('case-insensitive widens the overlap check: (a|A)* is ambiguous only with i', () => {
    expect(() => validateConfig(pattern('^(a|A)*$'))).not.toThrow();
    expect(refusal(pattern('^(a|A)*$', true)).message).toMatch(/repeated group/);
  });

  it.each([
    '^[a-z0-9._%+-]+@[a-z0-9-]+\\.[a-z]{2,}$',
    '@example\\.com$',
    '^.*\\.example\\.com$',
    '^\\d{3}-\\d{4}$',
    'https?://',
    '^(ab|cd)*$',
    '^v\\d+\\.\\d+\\.\\d+(-rc\\.\\d+)?$',
    '(?<year>\\d{4})-(?<month>\\d{2})',
    '^[^@]+@[^@]+$',
    '\\bbeta\\b',
    '^\\p{Lu}',
    'colou?r',
    '^(foo|bar|baz)$',
    '[\\u{1F600}-\\u{1F64F}]',
    '^\\s*$',
  ])('%s is accepted', (p) => {
    expect(() => validateConfig(pattern(p))).not.toThrow();
  });

  it('more than 10,000 patterns in a config are refused', () => {
    const values = (n: number) => Array.from({ length: n }, (_, i) => `^p${i}$`);
    const rules = [
      {
        id: 'a',
        clauses: [{ attribute: 'a', op: 'matches', values: values(6_000) }],
        serve: { variation: 'on' },
      },
      {
        id: 'b',
        clauses: [{ attribute: 'a', op: 'matches', values: values(4_001) }],
        serve: { variation: 'on' },
      },
    ];
    const e = refusal(flagged({ rules }));
    expect(e).toMatchObject({ path: 'flags.f.rules[1].clauses[0].values[4000]', flag: 'f' });
    expect(e.message).toMatch(/10000 patterns/);
  });

  it('an accepted pattern on worst-case input still answers (bounded by the input cap)', () => {
    const compiled = compileConfig(pattern('^[a-z]+@[a-z]+\\.[a-z]+$'));
    for (const a of ['a'.repeat(1024), `${'a'.repeat(500)}@${'a'.repeat(500)}`, 'a'.repeat(1_000_000)]) {
      expect(compiled.evaluate('f', { a }, 0)).toMatchObject({ variant: 'off' });
    }
  });
});

describe('targets', () => {
  it.each([
    [
      'an unknown variation',
      [{ variation: 'maybe', values: ['a'] }],
      'flags.f.targets[0].variation',
      /no variation/,
    ],
    [
      'a key targeted twice',
      [
        { variation: 'on', values: ['a'] },
        { variation: 'off', values: ['a'] },
      ],
      'flags.f.targets[1].values[0]',
      /twice/,
    ],
    ['an empty key', [{ variation: 'on', values: [''] }], 'flags.f.targets[0].values[0]', /empty/],
    ['a number key', [{ variation: 'on', values: [42] }], 'flags.f.targets[0].values[0]', /string/],
    ['values not an array', [{ variation: 'on', values: 'a' }], 'flags.f.targets[0].values', /array/],
    [
      'an unknown field',
      [{ variation: 'on', values: [], weight: 1 }],
      'flags.f.targets[0].weight',
      /unknown/,
    ],
  ])('%s', (_, targets, path, message) => {
    const e = refusal(flagged({ targets }));
    expect(e).toMatchObject({ path, flag: 'f' });
    expect(e.message).toMatch(message);
  });
});

describe('prerequisites', () => {
  const pre = (flag: string, variation = 'on') => ({ flag, variation });

  it.each([
    [
      'an unknown flag',
      configOf({ f: boolFlag({ prerequisites: [pre('nope')] }) }),
      'flags.f.prerequisites[0].flag',
      'f',
      /no flag "nope"/,
    ],
    [
      'itself',
      configOf({ f: boolFlag({ prerequisites: [pre('f')] }) }),
      'flags.f.prerequisites[0].flag',
      'f',
      /own prerequisite/,
    ],
    [
      'listed twice',
      configOf({ g: boolFlag(), f: boolFlag({ prerequisites: [pre('g'), pre('g', 'off')] }) }),
      'flags.f.prerequisites[1].flag',
      'f',
      /twice/,
    ],
    [
      'an unknown variation of the prerequisite',
      configOf({ g: boolFlag(), f: boolFlag({ prerequisites: [pre('g', 'maybe')] }) }),
      'flags.f.prerequisites[0].variation',
      'f',
      /flag "g" has no variation "maybe"/,
    ],
    [
      'a prototype name as the prerequisite',
      configOf({ f: boolFlag({ prerequisites: [pre('constructor')] }) }),
      'flags.f.prerequisites[0].flag',
      'f',
      /no flag/,
    ],
    [
      'a variation named like a prototype property',
      configOf({ g: boolFlag(), f: boolFlag({ prerequisites: [pre('g', 'toString')] }) }),
      'flags.f.prerequisites[0].variation',
      'f',
      /no variation "toString"/,
    ],
  ])('%s', (_, input, path, flag, message) => {
    const e = refusal(input);
    expect(e).toMatchObject({ path, flag });
    expect(e.message).toMatch(message);
  });

  it('a cycle is refused and named in full', () => {
    const e = refusal(
      configOf({
        a: boolFlag({ prerequisites: [pre('b')] }),
        b: boolFlag({ prerequisites: [pre('c')] }),
        c: boolFlag({ prerequisites: [pre('a')] }),
        d: boolFlag({ prerequisites: [pre('a')] }),
      }),
    );
    expect(e).toMatchObject({ path: 'flags.c.prerequisites[0].flag', flag: 'c' });
    expect(e.message).toMatch(/prerequisite cycle: a -> b -> c -> a/);
  });

  it('a chain of 33 is refused, 32 is fine, and a 10,000-long chain does not overflow the stack', () => {
    const chain = (n: number) =>
      configOf(
        Object.fromEntries(
          Array.from({ length: n + 1 }, (_, i) => [
            `f${i}`,
            boolFlag(i < n ? { prerequisites: [pre(`f${i + 1}`)] } : {}),
          ]),
        ),
      );
    expect(() => compileConfig(chain(32))).not.toThrow();
    expect(refusal(chain(33)).message).toMatch(/chain deeper than 32/);
    expect(refusal(chain(9_999)).message).toMatch(/chain deeper than 32/);
  });

  it('a long cycle (10,000 flags) is found without recursion', () => {
    const flags = Object.fromEntries(
      Array.from({ length: 10_000 }, (_, i) => [
        `f${i}`,
        boolFlag({ prerequisites: [pre(`f${(i + 1) % 10_000}`)] }),
      ]),
    );
    expect(refusal(configOf(flags)).message).toMatch(/prerequisite cycle: f0 -> f1 -> f2/);
  });

  it('an exponential diamond of prerequisites is refused by the expansion bound', () => {
    // 20 layers of 2 flags each depending on both flags of the next layer: 2^20 evaluations.
    const flags: Record<string, unknown> = { end: boolFlag() };
    for (let layer = 19; layer >= 0; layer--) {
      for (const side of ['l', 'r']) {
        const next = layer === 19 ? [pre('end')] : [pre(`l${layer + 1}`), pre(`r${layer + 1}`)];
        flags[`${side}${layer}`] = boolFlag({ prerequisites: next });
      }
    }
    const e = refusal(configOf(flags));
    expect(e.message).toMatch(/expand to more than 10000/);
    expect(e.path).toMatch(/^flags\.[lr]\d+\.prerequisites$/);
  });
});

describe('segments', () => {
  const segClause = (values: string[]) => ({ attribute: '', op: 'inSegment', values });

  it.each([
    ['an unknown field', { s: { include: [] } }, 'segments.s.include', /unknown/],
    ['included not an array', { s: { included: 'a' } }, 'segments.s.included', /array/],
    ['a number key', { s: { excluded: [1] } }, 'segments.s.excluded[0]', /string/],
    ['rules not arrays of clauses', { s: { rules: [{ attribute: 'a' }] } }, 'segments.s.rules[0]', /array/],
    [
      'a bad clause',
      { s: { rules: [[{ attribute: 'a', op: 'lt', values: ['x'] }]] } },
      'segments.s.rules[0][0].values[0]',
      /finite/,
    ],
    [
      'itself',
      { s: { rules: [[segClause(['s'])]] } },
      'segments.s.rules[0][0].values[0]',
      /segment cycle: s -> s/,
    ],
    ['a bad key', { 'bad key': {} }, 'segments["bad key"]', /not a key/],
  ])('%s', (_, segments, path, message) => {
    const e = refusal(configOf({}, segments));
    expect(e.path).toBe(path);
    expect(e.flag).toBe(Object.keys(segments)[0]);
    expect(e.message).toMatch(message);
  });

  it('a segment cycle through three segments is named', () => {
    const e = refusal(
      configOf(
        {},
        {
          a: { rules: [[segClause(['b'])]] },
          b: { rules: [[segClause(['c'])]] },
          c: { rules: [[segClause(['a'])]] },
        },
      ),
    );
    expect(e).toMatchObject({ path: 'segments.c.rules[0][0].values[0]', flag: 'c' });
    expect(e.message).toMatch(/segment cycle: a -> b -> c -> a/);
  });

  it('a segment fan-out beyond 100,000 checks is refused at the flag clause', () => {
    const segments: Record<string, unknown> = { leaf: { included: ['x'] } };
    segments.wide = { rules: [[segClause(Array(10_000).fill('leaf'))]] };
    const e = refusal(
      configOf(
        {
          f: boolFlag({
            rules: [{ id: 'r', clauses: [segClause(Array(11).fill('wide'))], serve: { variation: 'on' } }],
          }),
        },
        segments,
      ),
    );
    expect(e).toMatchObject({ path: 'flags.f.rules[0].clauses[0].values', flag: 'f' });
  });
});

describe('schedule', () => {
  it.each([
    ['a bad instant', [{ at: 'tomorrow', enabled: true }], 'flags.f.schedule[0].at', /ISO 8601/],
    ['a local time', [{ at: '2025-01-01T10:00', enabled: true }], 'flags.f.schedule[0].at', /ISO 8601/],
    ['a missing instant', [{ enabled: true }], 'flags.f.schedule[0].at', /required/],
    ['a change of nothing', [{ at: '2025-01-01' }], 'flags.f.schedule[0]', /changes nothing/],
    [
      'the same instant twice (written differently)',
      [
        { at: '2025-01-01', enabled: true },
        { at: '2025-01-01T01:00:00+01:00', enabled: false },
      ],
      'flags.f.schedule[1].at',
      /same instant/,
    ],
    [
      'bad rules',
      [{ at: '2025-01-01', rules: [{ id: 'r', clauses: [], serve: { variation: 'x' } }] }],
      'flags.f.schedule[0].rules[0].serve.variation',
      /no variation/,
    ],
    [
      'a bad fallthrough',
      [{ at: '2025-01-01', fallthrough: { rollout: { variations: [{ variation: 'on', weight: 1 }] } } }],
      'flags.f.schedule[0].fallthrough.rollout.variations',
      /sum to 1/,
    ],
    [
      'an unknown field',
      [{ at: '2025-01-01', enabled: true, offVariation: 'on' }],
      'flags.f.schedule[0].offVariation',
      /unknown/,
    ],
  ])('%s', (_, schedule, path, message) => {
    const e = refusal(flagged({ schedule }));
    expect(e).toMatchObject({ path, flag: 'f' });
    expect(e.message).toMatch(message);
  });

  it('more than 100 changes', () => {
    const schedule = Array.from({ length: 101 }, (_, i) => ({
      at: new Date(Date.UTC(2025, 0, 1) + i * 86_400_000).toISOString(),
      enabled: i % 2 === 0,
    }));
    expect(refusal(flagged({ schedule }))).toMatchObject({ path: 'flags.f.schedule', flag: 'f' });
  });
});

describe('what a valid config comes back as', () => {
  const input = {
    version: '3',
    segments: { s: { included: ['a'] } },
    flags: {
      f: {
        ...boolFlag(),
        description: 'd',
        kind: 'release',
        expiresAt: '2026-01-01',
        schedule: [
          { at: '2025-06-01T00:00:00Z', enabled: false },
          { at: '2025-01-01T00:00:00Z', enabled: true },
        ],
      },
    },
  };

  it('a deep-frozen copy: the input is neither frozen nor changed', () => {
    const snapshot = JSON.stringify(input);
    const config = valid(input);
    expect(config).not.toBe(input);
    expect(config.flags.f).not.toBe(input.flags.f);
    expect(Object.isFrozen(config) && Object.isFrozen(config.flags) && Object.isFrozen(config.flags.f)).toBe(
      true,
    );
    expect(Object.isFrozen(config.flags.f!.schedule![0])).toBe(true);
    expect(Object.isFrozen(input.flags.f)).toBe(false);
    expect(JSON.stringify(input)).toBe(snapshot);
  });

  it('the schedule sorted by instant; records without prototypes', () => {
    const config = valid(input);
    expect(config.flags.f!.schedule!.map((s) => s.at)).toEqual([
      '2025-01-01T00:00:00Z',
      '2025-06-01T00:00:00Z',
    ]);
    expect(Object.getPrototypeOf(config.flags)).toBeNull();
    expect(Object.getPrototypeOf(config.segments)).toBeNull();
    expect(Object.getPrototypeOf(config.flags.f!.variations)).toBeNull();
  });

  it('round-trips through JSON to an equal config', () => {
    const config = valid(input);
    expect(valid(JSON.parse(JSON.stringify(config)))).toEqual(config);
  });

  it('compiles the same config twice to the same answers (validation is pure)', () => {
    const a = compileConfig(input);
    const b = compileConfig(a.config);
    expect(b.evaluate('f', {}, Date.UTC(2025, 2, 1))).toEqual(a.evaluate('f', {}, Date.UTC(2025, 2, 1)));
  });

  it('FLAG_CONFIG_LIMITS is frozen', () => {
    expect(Object.isFrozen(FLAG_CONFIG_LIMITS)).toBe(true);
  });
});
