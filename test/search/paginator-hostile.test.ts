/**
 * Hostile requests through a real paginator and memory source: `__proto__` filters, a 1 MB cursor,
 * forged cursors with `s` of the wrong length or types (signed with the real key, as if it leaked),
 * NaN, -0, emoji and lone surrogates in search text, `sort=-id,-id`, `sort=__proto__`, page sizes 0,
 * -1, 1.5, '10', 1e9, Infinity, bad combinations of first/last/after/before, and fast-check fuzzing
 * of whole requests and of cursor mutations: the only outcomes are a page or one of our typed errors.
 */
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseQueryString, SearchInputError } from '../../src/search/index.js';
import { createMemoryMetrics } from '../../src/testing/index.js';
import { KEYS, memoryPaginator, products } from './paginator-helpers.js';

const rows = products(40);
const metrics = createMemoryMetrics();
const { paginator } = memoryPaginator(rows, { metrics });
const { paginator: clamping } = memoryPaginator(rows, {
  pageSizePolicy: 'clamp',
  maxPageSize: 10,
  defaultPageSize: 10,
});

async function outcome(run: () => Promise<unknown>): Promise<string> {
  try {
    await run();
    return 'ok';
  } catch (error) {
    if (error instanceof SearchInputError) return `${error.code} ${error.parameter}`;
    throw error;
  }
}

/** Signs `payload` (an object, or raw JSON text) with the paginator's real key, as if it had leaked. */
function forge(payload: unknown): string {
  const json = typeof payload === 'string' ? payload : JSON.stringify(payload);
  const body = Buffer.from(json).toString('base64url');
  const sig = createHmac('sha256', KEYS[0].secret).update(`v1.${body}`).digest('base64url');
  return `v1.${body}.${sig}`;
}

async function realPayload(): Promise<Record<string, unknown>> {
  const page = await paginator.cursorPage({ first: 2 });
  const body = (page.pageInfo.endCursor ?? '').split('.')[1] ?? '';
  return JSON.parse(Buffer.from(body, 'base64url').toString()) as Record<string, unknown>;
}

describe('hostile requests', () => {
  it('page sizes', async () => {
    const cases: [unknown, string][] = [
      [0, 'ERR_SEARCH_INVALID_QUERY first'],
      [-1, 'ERR_SEARCH_INVALID_QUERY first'],
      [1.5, 'ERR_SEARCH_INVALID_QUERY first'],
      ['10', 'ERR_SEARCH_INVALID_QUERY first'],
      [Number.NaN, 'ERR_SEARCH_INVALID_QUERY first'],
      [Number.POSITIVE_INFINITY, 'ERR_SEARCH_INVALID_QUERY first'],
      [1e9, 'ERR_SEARCH_PAGE_SIZE first'],
      [101, 'ERR_SEARCH_PAGE_SIZE first'],
      [100, 'ok'],
      [1, 'ok'],
    ];
    for (const [first, expected] of cases) {
      expect([first, await outcome(() => paginator.cursorPage({ first: first as number }))]).toEqual([
        first,
        expected,
      ]);
    }
    await expect(paginator.cursorPage({ first: 101 })).rejects.toMatchObject({
      maxPageSize: 100,
      httpStatus: 400,
    });
    expect(await outcome(() => paginator.offsetPage({ limit: 0 }))).toBe('ERR_SEARCH_INVALID_QUERY limit');
    expect(await outcome(() => paginator.cursorPage({ last: -1 }))).toBe('ERR_SEARCH_INVALID_QUERY last');
    expect((await clamping.cursorPage({ first: 1e9 })).items).toHaveLength(10);
    expect((await clamping.offsetPage({ limit: 50 })).limit).toBe(10);
    expect(await outcome(() => clamping.cursorPage({ first: Number.POSITIVE_INFINITY }))).toBe(
      'ERR_SEARCH_INVALID_QUERY first',
    );
  });

  it('page numbers and depth', async () => {
    for (const page of [0, -1, 1.5, '2', Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) {
      expect(await outcome(() => paginator.offsetPage({ page: page as number }))).toBe(
        'ERR_SEARCH_INVALID_QUERY page',
      );
    }
    expect(await outcome(() => paginator.offsetPage({ page: 500, limit: 20 }))).toBe('ok');
    expect(await outcome(() => paginator.offsetPage({ page: 501, limit: 20 }))).toBe(
      'ERR_SEARCH_TOO_DEEP page',
    );
    expect(await outcome(() => paginator.offsetPage({ page: 2 ** 52, limit: 100 }))).toBe(
      'ERR_SEARCH_TOO_DEEP page',
    );
  });

  it('sorts', async () => {
    for (const sort of [
      '-id,-id',
      '__proto__',
      'constructor',
      'toString',
      '-createdAt,id',
      'price;drop',
      '',
      5,
      ['price'],
    ]) {
      expect(await outcome(() => paginator.cursorPage({ sort: sort as string }))).toBe(
        'ERR_SEARCH_INVALID_QUERY sort',
      );
    }
    const error = await paginator.cursorPage({ sort: 'x'.repeat(100_000) }).catch((e: Error) => e);
    expect((error as Error).message.length).toBeLessThan(400);
  });

  it('search text', async () => {
    expect(await outcome(() => paginator.cursorPage({ search: 'émoji😀' }))).toBe('ok');
    expect(await outcome(() => paginator.cursorPage({ search: '   ' }))).toBe('ok');
    for (const search of [
      'a\ud800b',
      '\udfff',
      'a\u0000b',
      'line\nbreak',
      'x'.repeat(257),
      42,
      { $regex: '.' },
    ]) {
      expect(await outcome(() => paginator.cursorPage({ search: search as string }))).toBe(
        'ERR_SEARCH_INVALID_QUERY search',
      );
    }
    expect(await outcome(() => paginator.cursorPage({ search: `  ${'x'.repeat(256)}  ` }))).toBe('ok');
  });

  it('filters', async () => {
    const proto = JSON.parse('{"__proto__": {"status": "open"}}');
    expect(await outcome(() => paginator.cursorPage({ filter: proto }))).toBe(
      'ERR_SEARCH_INVALID_QUERY filter.__proto__',
    );
    expect(await outcome(() => paginator.cursorPage({ filter: { price: Number.NaN } }))).toBe(
      'ERR_SEARCH_INVALID_QUERY filter.price',
    );
    const zero = await paginator.cursorPage({ filter: { price: { gte: -0 } }, first: 1 });
    const positive = await paginator.cursorPage({
      filter: { price: { gte: 0 } },
      after: zero.pageInfo.endCursor ?? '',
    });
    expect(positive.items.length).toBeGreaterThan(0);
    expect(({} as Record<string, unknown>).status).toBeUndefined();
  });

  it('facets, totals and unknown parameters', async () => {
    expect(await outcome(() => paginator.cursorPage({ facets: ['price'] }))).toBe(
      'ERR_SEARCH_INVALID_QUERY facets.0',
    );
    expect(await outcome(() => paginator.cursorPage({ facets: ['status', 'status'] }))).toBe(
      'ERR_SEARCH_INVALID_QUERY facets.1',
    );
    expect(await outcome(() => paginator.cursorPage({ facets: '__proto__' as unknown as string[] }))).toBe(
      'ERR_SEARCH_INVALID_QUERY facets',
    );
    expect(await outcome(() => paginator.cursorPage({ total: 'all' as 'exact' }))).toBe(
      'ERR_SEARCH_INVALID_QUERY total',
    );
    const loose = paginator.cursorPage as (input: unknown) => Promise<unknown>;
    expect(await outcome(() => loose({ frist: 10 }))).toBe('ERR_SEARCH_INVALID_QUERY frist');
    expect(await outcome(() => loose(JSON.parse('{"__proto__": 1}')))).toBe(
      'ERR_SEARCH_INVALID_QUERY request',
    );
    expect(await outcome(() => loose('first=10'))).toBe('ERR_SEARCH_INVALID_QUERY request');
    expect(await outcome(() => loose(null))).toBe('ERR_SEARCH_INVALID_QUERY request');
  });

  it('combinations of first, last, after, before, page and limit', async () => {
    const page = await paginator.cursorPage({ first: 2 });
    const c = page.pageInfo.endCursor ?? '';
    const cases: [Record<string, unknown>, string][] = [
      [{ first: 2, before: c }, 'ERR_SEARCH_INVALID_QUERY first'],
      [{ last: 2, after: c }, 'ERR_SEARCH_INVALID_QUERY last'],
      [{ after: c, before: c }, 'ERR_SEARCH_INVALID_QUERY before'],
      [{ first: 2, last: 2 }, 'ERR_SEARCH_INVALID_QUERY last'],
      [{ page: 2 }, 'ERR_SEARCH_INVALID_QUERY page'],
      [{ limit: 5 }, 'ERR_SEARCH_INVALID_QUERY limit'],
      [{ first: 5, limit: 6 }, 'ERR_SEARCH_INVALID_QUERY limit'],
      [{ first: 5, limit: 5 }, 'ok'],
      [{ before: c }, 'ok'],
    ];
    for (const [input, expected] of cases)
      expect([input, await outcome(() => paginator.cursorPage(input))]).toEqual([input, expected]);
    const offsetCases: [Record<string, unknown>, string][] = [
      [{ after: c }, 'ERR_SEARCH_INVALID_QUERY after'],
      [{ last: 5 }, 'ERR_SEARCH_INVALID_QUERY last'],
      [{ first: 5 }, 'ERR_SEARCH_INVALID_QUERY first'],
      [{ first: 5, limit: 6 }, 'ERR_SEARCH_INVALID_QUERY first'],
      [{ first: 5, limit: 5, page: 2 }, 'ok'],
    ];
    for (const [input, expected] of offsetCases)
      expect([input, await outcome(() => paginator.offsetPage(input))]).toEqual([input, expected]);
  });

  it('query strings go straight into both page kinds', async () => {
    const first = await paginator.cursorPage(parseQueryString('page[size]=3&sort=price&filter[tag][in]=a,b'));
    const next = parseQueryString(
      `page[size]=3&sort=price&filter[tag][in]=b,a&page[after]=${first.pageInfo.endCursor}`,
    );
    expect((await paginator.cursorPage(next)).items).toHaveLength(3);
    const offset = await paginator.offsetPage(
      parseQueryString('page[size]=3&page[number]=2&filter[price]=null'),
    );
    expect(offset.items.every((r) => r.price === null)).toBe(true);
    const typed = parseQueryString('filter[active]=true&filter[stock][gte]=2');
    expect((await paginator.offsetPage(typed)).items.every((r) => r.active && r.stock >= 2)).toBe(true);
  });

  it('cursors: 1 MB, wrong version, forged values of the wrong length or types', async () => {
    const huge = `v1.${'A'.repeat(1_000_000)}.${'A'.repeat(43)}`;
    expect(await outcome(() => paginator.cursorPage({ after: huge }))).toBe(
      'ERR_SEARCH_CURSOR_INVALID after',
    );
    const real = await realPayload();
    const s = real.s as unknown[];
    const forged: [unknown, string][] = [
      [{ ...real, s: s.slice(1) }, 'ERR_SEARCH_CURSOR_INVALID after'],
      [{ ...real, s: [...s, 1] }, 'ERR_SEARCH_CURSOR_INVALID after'],
      [{ ...real, s: [s[0], 'x'] }, 'ERR_SEARCH_CURSOR_INVALID after'],
      [{ ...real, s: [s[0], null] }, 'ERR_SEARCH_CURSOR_INVALID after'],
      [{ ...real, s: ['2026-01-01', s[1]] }, 'ERR_SEARCH_CURSOR_INVALID after'],
      [{ ...real, s: [s[0], { $gt: 1 }] }, 'ERR_SEARCH_CURSOR_INVALID after'],
      [
        JSON.stringify({ ...real, s: [s[0], 0] }).replace(',0]', ',1e400]'),
        'ERR_SEARCH_CURSOR_INVALID after',
      ],
      [JSON.stringify({ ...real, s: [s[0], 0] }).replace(',0]', ',-0]'), 'ok'],
      [{ ...real, s: {} }, 'ERR_SEARCH_CURSOR_INVALID after'],
      [{ ...real, s: [s[0], s[1]] }, 'ok'],
    ];
    for (const [payload, expected] of forged) {
      expect([
        payload,
        await outcome(() => paginator.cursorPage({ first: 2, after: forge(payload) })),
      ]).toEqual([payload, expected]);
    }
    expect(metrics.counterValue('search.cursor.rejected', { reason: 'values' })).toBeGreaterThanOrEqual(7);
    expect(metrics.counterValue('search.cursor.rejected', { reason: 'malformed' })).toBeGreaterThanOrEqual(1);
  });
});

describe('hostile requests under fuzzing', () => {
  it('any request object is a page or a typed error', async () => {
    const value = fc.oneof(
      fc.anything(),
      fc.integer(),
      fc.double(),
      fc.constantFrom('-createdAt', 'price', 'relevance', 'lamp', 'status', '__proto__'),
    );
    const key = fc.constantFrom(
      'sort',
      'filter',
      'search',
      'facets',
      'total',
      'first',
      'last',
      'after',
      'before',
      'limit',
    );
    await fc.assert(
      fc.asyncProperty(fc.dictionary(key, value, { maxKeys: 4 }), async (input) => {
        const result = await outcome(() => paginator.cursorPage(input));
        expect(result).toMatch(/^(ok|ERR_SEARCH_[A-Z_]+ .+)$/);
      }),
      { numRuns: 500 },
    );
  });

  it('mutated real cursors are pages or typed errors', async () => {
    const page = await paginator.cursorPage({ first: 3, sort: 'status,-price' });
    const good = page.pageInfo.endCursor ?? '';
    await fc.assert(
      fc.asyncProperty(
        fc.nat(good.length - 1),
        fc.integer({ min: 1, max: 0xffff }),
        fc.nat(good.length),
        async (at, code, cut) => {
          const flipped =
            good.slice(0, at) + String.fromCharCode(good.charCodeAt(at) ^ code) + good.slice(at + 1);
          expect(
            await outcome(() => paginator.cursorPage({ sort: 'status,-price', after: flipped })),
          ).toMatch(/^ERR_SEARCH_CURSOR_INVALID after$/);
          const truncated = good.slice(0, cut);
          expect(
            await outcome(() => paginator.cursorPage({ sort: 'status,-price', after: truncated })),
          ).toMatch(cut === good.length ? /^ok$/ : /^ERR_SEARCH_CURSOR_INVALID after$/);
        },
      ),
      { numRuns: 500 },
    );
  });
});
