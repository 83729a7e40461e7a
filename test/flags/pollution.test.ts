/**
 * Prototype pollution: `__proto__`, `constructor` and `prototype` in flag data (through JSON.parse, where
 * they become own keys) and in evaluation contexts change nothing: configs with them are refused or
 * inert, contexts with them evaluate like contexts without them, and `Object.prototype` is untouched.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileConfig, validateConfig } from '../../src/flags/index.js';
import { boolFlag, configOf, refusal } from './fixtures.js';

const baseline = Object.getOwnPropertyNames(Object.prototype).sort();
const untouched = () => {
  expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(baseline);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  expect(({} as Record<string, unknown>).plan).toBeUndefined();
  expect(Object.getPrototypeOf({})).toBe(Object.prototype);
};

const FLAG = '"type":"boolean","variations":{"on":true,"off":false},"enabled":true,"offVariation":"off"';

describe('hostile flag data (JSON.parse)', () => {
  beforeAll(untouched);
  afterAll(untouched);

  it.each([
    [
      'a __proto__ flag',
      `{"flags":{"__proto__":{${FLAG},"fallthrough":{"variation":"on"}}}}`,
      'flags.__proto__',
    ],
    ['a __proto__ segment', `{"flags":{},"segments":{"__proto__":{"included":["a"]}}}`, 'segments.__proto__'],
    [
      'a __proto__ variation',
      `{"flags":{"f":{"type":"boolean","variations":{"__proto__":true,"off":false},"enabled":true,"offVariation":"off","fallthrough":{"variation":"off"}}}}`,
      'flags.f.variations.__proto__',
    ],
    [
      'a constructor variation',
      `{"flags":{"f":{"type":"boolean","variations":{"constructor":true,"off":false},"enabled":true,"offVariation":"off","fallthrough":{"variation":"off"}}}}`,
      'flags.f.variations.constructor',
    ],
    [
      'a __proto__ field in a flag',
      `{"flags":{"f":{${FLAG},"fallthrough":{"variation":"on"},"__proto__":{"enabled":false}}}}`,
      'flags.f.__proto__',
    ],
    ['a __proto__ field at the top', `{"flags":{},"__proto__":{"polluted":true}}`, '__proto__'],
    [
      'a __proto__ field in a clause',
      `{"flags":{"f":{${FLAG},"fallthrough":{"variation":"on"},"rules":[{"id":"r","clauses":[{"attribute":"a","op":"eq","values":["x"],"__proto__":{"negate":true}}],"serve":{"variation":"on"}}]}}}`,
      'flags.f.rules[0].clauses[0].__proto__',
    ],
    [
      'a __proto__ attribute',
      `{"flags":{"f":{${FLAG},"fallthrough":{"variation":"on"},"rules":[{"id":"r","clauses":[{"attribute":"__proto__.polluted","op":"exists","values":[]}],"serve":{"variation":"on"}}]}}}`,
      'flags.f.rules[0].clauses[0].attribute',
    ],
    [
      'a __proto__ key in a JSON value',
      `{"flags":{"f":{"type":"json","variations":{"v":{"a":{"__proto__":{"polluted":1}}}},"enabled":true,"offVariation":"v","fallthrough":{"variation":"v"}}}}`,
      'flags.f.variations.v.a.__proto__',
    ],
  ])('%s is refused', (_, text, path) => {
    expect(refusal(JSON.parse(text)).path).toBe(path);
    untouched();
  });

  it('a config object with a polluted prototype is refused, not read through', () => {
    const sneaky = Object.create({ flags: {} });
    expect(refusal(sneaky).path).toBe('config');
    const flags = Object.create({ f: boolFlag() });
    expect(refusal({ flags })).toMatchObject({ path: 'flags' });
    const bare = Object.assign(Object.create(null), { f: boolFlag() });
    expect(Object.keys(validateConfig({ flags: bare }).flags)).toEqual(['f']);
  });

  it('a prototype name as a target key, segment member, rule id value or string variation is inert data', () => {
    const compiled = compileConfig(
      configOf(
        {
          f: boolFlag({
            targets: [{ variation: 'on', values: ['__proto__', 'constructor'] }],
            rules: [
              {
                id: 'r',
                clauses: [{ attribute: 'a', op: 'in', values: ['__proto__', 'toString', 'constructor'] }],
                serve: { variation: 'on' },
              },
            ],
          }),
          s: {
            type: 'string',
            variations: { p: '__proto__' },
            enabled: true,
            offVariation: 'p',
            fallthrough: { variation: 'p' },
          },
        },
        { seg: { included: ['__proto__', 'hasOwnProperty'] } },
      ),
    );
    expect(compiled.evaluate('f', { targetingKey: '__proto__' }, 0)).toMatchObject({
      variant: 'on',
      reason: 'TARGETING_MATCH',
    });
    expect(compiled.evaluate('f', { targetingKey: 'toString' }, 0)).toMatchObject({ variant: 'off' });
    expect(compiled.evaluate('f', { a: 'toString' }, 0)).toMatchObject({ variant: 'on', ruleId: 'r' });
    expect(compiled.evaluate('f', { a: 'valueOf' }, 0)).toMatchObject({ variant: 'off' });
    expect(compiled.evaluate('s', {}, 0)).toMatchObject({ value: '__proto__' });
    untouched();
  });
});

describe('hostile contexts', () => {
  const compiled = compileConfig(
    configOf(
      {
        plan: boolFlag({
          rules: [
            {
              id: 'r',
              clauses: [{ attribute: 'plan', op: 'eq', values: ['pro'] }],
              serve: { variation: 'on' },
            },
          ],
        }),
        nested: boolFlag({
          rules: [
            {
              id: 'r',
              clauses: [{ attribute: 'company.plan', op: 'eq', values: ['pro'] }],
              serve: { variation: 'on' },
            },
          ],
        }),
        has: boolFlag({
          rules: [
            {
              id: 'r',
              clauses: [{ attribute: 'toString', op: 'exists', values: [] }],
              serve: { variation: 'on' },
            },
          ],
        }),
        seg: boolFlag({
          rules: [
            {
              id: 'r',
              clauses: [{ attribute: '', op: 'inSegment', values: ['s'] }],
              serve: { variation: 'on' },
            },
          ],
        }),
        split: boolFlag({
          fallthrough: {
            rollout: {
              variations: [
                { variation: 'on', weight: 50_000 },
                { variation: 'off', weight: 50_000 },
              ],
            },
          },
        }),
      },
      { s: { included: ['ada'] } },
    ),
  );
  const variant = (flag: string, context: unknown) =>
    (compiled.evaluate(flag, context as never, 0) as { variant?: string }).variant;

  beforeAll(untouched);
  afterAll(untouched);

  it('an own __proto__ key (JSON.parse) is not the prototype', () => {
    expect(variant('plan', JSON.parse('{"__proto__":{"plan":"pro"}}'))).toBe('off');
    expect(variant('nested', JSON.parse('{"company":{"__proto__":{"plan":"pro"}}}'))).toBe('off');
    untouched();
  });

  it('attributes on a real prototype are not read (Object.hasOwn only)', () => {
    expect(variant('plan', Object.create({ plan: 'pro' }))).toBe('off');
    expect(variant('nested', { company: Object.create({ plan: 'pro' }) })).toBe('off');
    expect(variant('seg', Object.create({ targetingKey: 'ada' }))).toBe('off');
    expect(compiled.evaluate('split', Object.create({ targetingKey: 'ada' }), 0)).toMatchObject({
      errorCode: 'TARGETING_KEY_MISSING',
    });
  });

  it('inherited Object.prototype members are not attributes', () => {
    expect(variant('has', {})).toBe('off');
    expect(variant('has', { toString: 'x' })).toBe('on');
  });

  it('constructor and prototype keys in a context change nothing', () => {
    const plain = { targetingKey: 'ada', plan: 'pro', company: { plan: 'pro' } };
    const hostile = JSON.parse(
      '{"targetingKey":"ada","plan":"pro","company":{"plan":"pro","constructor":{"prototype":{"polluted":1}}},"constructor":{"prototype":{"polluted":1}},"prototype":{"polluted":1},"__proto__":{"polluted":1}}',
    );
    for (const flag of ['plan', 'nested', 'has', 'seg', 'split']) {
      expect(compiled.evaluate(flag, hostile, 0)).toEqual(compiled.evaluate(flag, plain, 0));
    }
    untouched();
  });

  it('a null-prototype context works', () => {
    const bare = Object.assign(Object.create(null), { targetingKey: 'ada', plan: 'pro' });
    expect(variant('plan', bare)).toBe('on');
    expect(variant('seg', bare)).toBe('on');
  });
});
