/**
 * Filter parsing against the allowlist: every accepted form normalised (canonical order, in-lists
 * deduplicated, timestamps to µs UTC, strings to numbers per field type), every refusal an
 * `InvalidQueryError` naming the parameter, the hostile inputs (`__proto__`, NaN, Infinity, -0, lone
 * surrogates, control characters, nested objects, huge lists and strings), and fast-check fuzzing: any
 * input is a value or a typed error.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidQueryError, SearchInputError } from '../../src/search/errors.js';
import { normaliseTimestamp } from '../../src/search/field-values.js';
import { parseFilters } from '../../src/search/filter-parse.js';
import { resolveFields } from '../../src/search/paginator-options.js';
import { FIELDS } from './paginator-helpers.js';

const fields = resolveFields(FIELDS);
const parse = (input: unknown, max = 20) => parseFilters(input, fields, max);
const refusal = (input: unknown) => {
  try {
    parse(input);
  } catch (error) {
    if (error instanceof InvalidQueryError) return error.parameter;
    throw error;
  }
  return 'accepted';
};

describe('filter parsing', () => {
  it('normalises every accepted form, in canonical order', () => {
    expect(
      parse({
        tag: { in: ['b', 'a', 'b', null] },
        price: { lt: '100', gte: 10 },
        status: 'open',
        createdAt: { gte: '2026-03-01T10:00:00+02:00', lt: new Date(Date.UTC(2026, 3, 1)) },
        active: 'true',
        title: { prefix: 'ré' },
        id: { in: ['3', 1, 2.0] },
      }),
    ).toEqual([
      { field: 'active', op: 'eq', value: true },
      { field: 'createdAt', op: 'gte', value: '2026-03-01T08:00:00.000000Z' },
      { field: 'createdAt', op: 'lt', value: '2026-04-01T00:00:00.000000Z' },
      { field: 'id', op: 'in', values: [1, 2, 3] },
      { field: 'price', op: 'gte', value: 10 },
      { field: 'price', op: 'lt', value: 100 },
      { field: 'status', op: 'eq', value: 'open' },
      { field: 'tag', op: 'in', values: [null, 'a', 'b'] },
      { field: 'title', op: 'prefix', value: 'ré' },
    ]);
  });

  it('reads null as IS NULL on nullable fields only', () => {
    expect(parse({ price: null })).toEqual([{ field: 'price', op: 'eq', value: null }]);
    expect(refusal({ status: null })).toBe('filter.status');
    expect(refusal({ price: { gte: null } })).toBe('filter.price.gte');
  });

  it('turns -0 into 0 so both spellings hash alike', () => {
    const [c] = parse({ price: -0 });
    expect(Object.is(c?.op === 'eq' ? c.value : undefined, 0)).toBe(true);
    expect(parse({ price: '-0' })).toEqual(parse({ price: 0 }));
  });

  it('normalises timestamps to µs UTC and refuses what is not an instant', () => {
    expect(normaliseTimestamp('2026-12-01T18:49:36.123456Z')).toBe('2026-12-01T18:49:36.123456Z');
    expect(normaliseTimestamp('2026-12-01t18:49:36.1z')).toBe('2026-12-01T18:49:36.100000Z');
    expect(normaliseTimestamp('2026-01-01T00:30:00+01:00')).toBe('2025-12-31T23:30:00.000000Z');
    expect(normaliseTimestamp('2024-02-29T00:00:00-0530')).toBe('2024-02-29T05:30:00.000000Z');
    expect(normaliseTimestamp('0001-01-01T00:00:00Z')).toBe('0001-01-01T00:00:00.000000Z');
    for (const bad of [
      '2026-12-01T18:49:36',
      '2026-12-01',
      '2023-02-29T00:00:00Z',
      '2026-13-01T00:00:00Z',
      '2026-12-01T24:00:00Z',
      '2026-12-01T23:59:60Z',
      '2026-12-01T18:49:36.1234567Z',
      '0001-01-01T00:30:00+01:00',
      '9999-12-31T23:30:00-01:00',
      '2026-12-01T00:00:00+24:00',
      ' 2026-12-01T00:00:00Z',
    ]) {
      expect([bad, normaliseTimestamp(bad)]).toEqual([bad, undefined]);
    }
    expect(refusal({ createdAt: { gte: new Date(Number.NaN) } })).toBe('filter.createdAt.gte');
    expect(refusal({ createdAt: { gte: 1_700_000_000_000 } })).toBe('filter.createdAt.gte');
  });

  it('names the parameter of each refusal', () => {
    const cases: [unknown, string][] = [
      [[], 'filter'],
      ['status=open', 'filter'],
      [new Map([['status', 'open']]), 'filter'],
      [{ nope: 1 }, 'filter.nope'],
      [{ stock: 1 }, 'filter.stock'],
      [{ status: { prefix: 'o' } }, 'filter.status.prefix'],
      [{ status: { like: 'o' } }, 'filter.status.like'],
      [{ status: {} }, 'filter.status'],
      [{ status: ['open'] }, 'filter.status'],
      [{ status: { in: [] } }, 'filter.status.in'],
      [{ status: { in: 'open' } }, 'filter.status.in'],
      [{ status: { in: Array.from({ length: 101 }, (_, i) => `s${i}`) } }, 'filter.status.in'],
      [{ status: { in: ['open', 3] } }, 'filter.status.in.1'],
      [{ status: 'x'.repeat(1025) }, 'filter.status'],
      [{ status: 3 }, 'filter.status'],
      [{ status: { eq: { $ne: 1 } } }, 'filter.status.eq'],
      [{ status: { eq: ['a'] } }, 'filter.status.eq'],
      [{ price: Number.NaN }, 'filter.price'],
      [{ price: Number.POSITIVE_INFINITY }, 'filter.price'],
      [{ price: 'Infinity' }, 'filter.price'],
      [{ price: '1e999' }, 'filter.price'],
      [{ price: '0x10' }, 'filter.price'],
      [{ price: '' }, 'filter.price'],
      [{ price: ' 1' }, 'filter.price'],
      [{ price: true }, 'filter.price'],
      [{ id: 1.5 }, 'filter.id'],
      [{ id: 2 ** 53 }, 'filter.id'],
      [{ id: '9007199254740993' }, 'filter.id'],
      [{ id: '1e3' }, 'filter.id'],
      [{ active: 'yes' }, 'filter.active'],
      [{ active: 1 }, 'filter.active'],
      [{ active: { gt: true } }, 'filter.active.gt'],
      [{ title: { prefix: '' } }, 'filter.title.prefix'],
      [{ title: 'a\u0000b' }, 'filter.title'],
      [{ title: 'a\nb' }, 'filter.title'],
      [{ title: '\ud83d' }, 'filter.title'],
      [{ title: 'x\udc00y' }, 'filter.title'],
      [{ 'bad name!': 1 }, 'filter.?'],
      [{ status: { 'o p': 1 } }, 'filter.status.?'],
    ];
    for (const [input, parameter] of cases) expect([input, refusal(input)]).toEqual([input, parameter]);
  });

  it('accepts emoji and other well-formed non-ASCII text', () => {
    expect(parse({ title: 'émoji😀 𝄞' })).toEqual([{ field: 'title', op: 'eq', value: 'émoji😀 𝄞' }]);
  });

  it('keeps prototype keys away from everything', () => {
    const hostile = JSON.parse('{"__proto__": {"status": "open"}, "constructor": {"prototype": {"x": 1}}}');
    expect(refusal(hostile)).toBe('filter.__proto__');
    expect(refusal(JSON.parse('{"constructor": "x"}'))).toBe('filter.constructor');
    expect(refusal(JSON.parse('{"status": {"__proto__": "x"}}'))).toBe('filter.status.__proto__');
    expect(refusal(JSON.parse('{"status": {"constructor": "x"}}'))).toBe('filter.status.constructor');
    expect(refusal({ toString: 'x' })).toBe('filter.toString');
    expect(({} as Record<string, unknown>).status).toBeUndefined();
  });

  it('counts conditions against maxFilters', () => {
    expect(parse({ price: { gt: 1, lt: 5 }, status: 'open' }, 3)).toHaveLength(3);
    expect(() => parse({ price: { gt: 1, lt: 5 }, status: 'open' }, 2)).toThrow(InvalidQueryError);
    expect(() => parse(Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`f${i}`, 1])))).toThrow(
      InvalidQueryError,
    );
  });
});

describe('filter parsing under fuzzing', () => {
  const outcome = (input: unknown) => {
    try {
      parse(input);
      return 'ok';
    } catch (error) {
      if (error instanceof SearchInputError) return error.code;
      throw error;
    }
  };
  const names = fc.constantFrom(...Object.keys(FIELDS), '__proto__', 'constructor', 'nope', 'toString');
  const ops = fc.constantFrom('eq', 'in', 'gt', 'gte', 'lt', 'lte', 'prefix', '__proto__', 'x');
  const scalar = fc.oneof(
    fc.string(),
    fc.string({ unit: 'binary' }),
    fc.double(),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.date({ noInvalidDate: false }),
    fc.constantFrom('true', '10', '-0', 'NaN', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00.1234567Z'),
  );
  const condition = fc.oneof(scalar, fc.dictionary(ops, fc.oneof(scalar, fc.array(scalar))), fc.anything());

  it('any filter object is a condition list or a typed error', () => {
    fc.assert(
      fc.property(fc.dictionary(names, condition), (input) => {
        expect(['ok', 'ERR_SEARCH_INVALID_QUERY']).toContain(outcome(input));
      }),
      { numRuns: 3000 },
    );
  });

  it('anything at all is a value or a typed error', () => {
    fc.assert(
      fc.property(fc.anything(), (input) => {
        expect(['ok', 'ERR_SEARCH_INVALID_QUERY']).toContain(outcome(input));
      }),
      { numRuns: 1000 },
    );
  });

  it('accepted filters are canonical: parsing them again gives the same conditions', () => {
    fc.assert(
      fc.property(fc.dictionary(names, condition), (input) => {
        let first: ReturnType<typeof parse>;
        try {
          first = parse(input);
        } catch {
          return;
        }
        const again: Record<string, Record<string, unknown>> = {};
        for (const c of first) {
          again[c.field] = { ...again[c.field], [c.op]: c.op === 'in' ? c.values : c.value };
        }
        expect(parse(again)).toEqual(first);
      }),
      { numRuns: 1000 },
    );
  });
});
