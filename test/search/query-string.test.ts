/**
 * JSON:API query strings to page requests: every family (sort, filter, q/search, facets, page, total),
 * the deliberate rules (repeats refused, app parameters ignored, `null` per nullability), each malformed
 * parameter a typed error naming it, and fast-check fuzzing of raw query strings.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidQueryError, parseQueryString, SearchInputError } from '../../src/search/index.js';
import { FIELDS } from './paginator-helpers.js';

const refusal = (qs: string) => {
  try {
    parseQueryString(qs);
  } catch (error) {
    if (error instanceof InvalidQueryError) return error.parameter;
    throw error;
  }
  return 'accepted';
};

describe('parseQueryString', () => {
  it('reads every family', () => {
    const request = parseQueryString(
      '?sort=-createdAt&filter[status]=open&filter[price][gte]=10&filter[price][lt]=100&filter[tag][in]=a,b&q=red%20lamp&facets=status,tag&page[size]=20&page[after]=v1.x.y&total=estimated&utm_source=mail',
    );
    expect({ ...request, filter: JSON.parse(JSON.stringify(request.filter)) }).toEqual({
      sort: '-createdAt',
      filter: { status: 'open', price: { gte: '10', lt: '100' }, tag: { in: ['a', 'b'] } },
      search: 'red lamp',
      facets: ['status', 'tag'],
      total: 'estimated',
      after: 'v1.x.y',
      first: 20,
      limit: 20,
    });
  });

  it('maps page[size] to last with page[before], and to limit alone with page[number]', () => {
    expect(parseQueryString('page[size]=5&page[before]=c')).toEqual({ before: 'c', last: 5, limit: 5 });
    expect(parseQueryString('page[size]=5&page[number]=3')).toEqual({ page: 3, limit: 5 });
    expect(parseQueryString(new URLSearchParams('search=x'))).toEqual({ search: 'x' });
    expect(parseQueryString('q=%20%20&facets=')).toEqual({});
  });

  it('reads null as null, or with the fields only for nullable ones', () => {
    const loose = parseQueryString('filter[tag]=null&filter[status]=null');
    expect(loose.filter?.tag).toBeNull();
    expect(loose.filter?.status).toBeNull();
    const typed = parseQueryString('filter[tag]=null&filter[status]=null&filter[price][in]=1,null', {
      fields: FIELDS,
    });
    expect(typed.filter?.tag).toBeNull();
    expect(typed.filter?.status).toBe('null');
    expect((typed.filter?.price as { in: unknown[] } | undefined)?.in).toEqual(['1', null]);
  });

  it('merges a shorthand with operators of the same field', () => {
    const request = parseQueryString('filter[price]=3&filter[price][lt]=9');
    expect(JSON.parse(JSON.stringify(request.filter))).toEqual({ price: { eq: '3', lt: '9' } });
    expect(refusal('filter[price]=3&filter[price][eq]=4')).toBe('filter.price.eq');
    expect(refusal('filter[price][eq]=4&filter[price]=3')).toBe('filter.price');
  });

  it('refuses repeats and malformed parameters, naming them', () => {
    const cases: [string, string][] = [
      ['sort=a&sort=b', 'sort'],
      ['filter[a]=1&filter[a]=2', 'query'],
      ['q=a&search=b', 'search'],
      ['sort=', 'sort'],
      [`sort=${'a'.repeat(513)}`, 'sort'],
      ['filter=1', 'filter'],
      ['filter[a][b][c]=1', 'filter'],
      ['filter[]=1', 'filter'],
      ['filter[a]b=1', 'filter'],
      ['page=2', 'page'],
      ['page[offset]=2', 'page'],
      ['page[size]=0', 'page.size'],
      ['page[size]=-1', 'page.size'],
      ['page[size]=1.5', 'page.size'],
      ['page[size]=1e3', 'page.size'],
      ['page[size]=010', 'page.size'],
      ['page[size]=1000000000', 'page.size'],
      ['page[size]=', 'page.size'],
      ['page[number]=0', 'page.number'],
      ['page[number]=99999999999999999', 'page.number'],
      ['page[after]=', 'page.after'],
      ['page[after]=a&page[before]=b', 'page.before'],
      ['page[number]=2&page[after]=a', 'page.number'],
      ['facets=a,,b', 'facets'],
      [`facets=${Array.from({ length: 33 }, (_, i) => `f${i}`).join(',')}`, 'facets'],
      ['total=all', 'total'],
      [`x=${'a'.repeat(9000)}`, 'query'],
      [Array.from({ length: 300 }, (_, i) => `p${i}=1`).join('&'), 'query'],
    ];
    for (const [qs, parameter] of cases)
      expect([qs.slice(0, 60), refusal(qs)]).toEqual([qs.slice(0, 60), parameter]);
  });

  it('keeps prototype names inert', () => {
    const request = parseQueryString('filter[__proto__]=x&filter[constructor][eq]=y&__proto__=z');
    expect(Object.keys(request.filter ?? {})).toEqual(['__proto__', 'constructor']);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
    expect(Object.getPrototypeOf(request.filter)).toBeNull();
  });

  it('refuses what is not a query string', () => {
    expect(() => parseQueryString(42 as unknown as string)).toThrow(InvalidQueryError);
  });
});

describe('parseQueryString under fuzzing', () => {
  const outcome = (qs: string) => {
    try {
      parseQueryString(qs);
      return 'ok';
    } catch (error) {
      if (error instanceof SearchInputError) return error.code;
      throw error;
    }
  };
  const name = fc.oneof(
    fc.constantFrom('sort', 'q', 'search', 'facets', 'total', 'page[size]', 'page[number]', 'page[after]'),
    fc.constantFrom(
      'page[before]',
      'filter[price]',
      'filter[price][gte]',
      'filter[tag][in]',
      'filter[__proto__]',
    ),
    fc.string({ maxLength: 12 }),
  );
  const value = fc.oneof(
    fc.string({ maxLength: 20 }),
    fc.string({ unit: 'binary', maxLength: 20 }),
    fc.nat().map(String),
  );

  it('any parameter list is a request or a typed error', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(name, value), { maxLength: 12 }), (pairs) => {
        const qs = new URLSearchParams(pairs).toString();
        expect(['ok', 'ERR_SEARCH_INVALID_QUERY']).toContain(outcome(qs));
      }),
      { numRuns: 3000 },
    );
  });

  it('any raw string is a request or a typed error', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (qs) => {
        expect(['ok', 'ERR_SEARCH_INVALID_QUERY']).toContain(outcome(qs));
      }),
      { numRuns: 2000 },
    );
  });
});
