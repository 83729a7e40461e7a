/**
 * Paging through the real memory source against a sorted ground truth: keyset walks forward and
 * backward (and turning around mid-way) for single, multi-column, nullable and mixed-direction sorts,
 * with and without filters; offset walks; full text; totals and facets; cursor expiry on a manual
 * clock, key rotation, and cursors reused with another query.
 */
import { describe, expect, it } from 'vitest';
import {
  type CursorPage,
  type CursorPageInput,
  createMemorySource,
  createPaginator,
  type FilterInput,
  type Paginator,
} from '../../src/search/index.js';
import { createMemoryMetrics } from '../../src/testing/index.js';
import {
  FIELDS,
  groundTruth,
  KEYS,
  memoryPaginator,
  type Product,
  products,
  SORTS,
} from './paginator-helpers.js';

const rows = products(137);
const ids = (list: readonly Product[]) => list.map((r) => r.id);

async function walkForward(p: Paginator<Product>, input: CursorPageInput, size: number) {
  const seen: Product[] = [];
  let page: CursorPage<Product> = await p.cursorPage({ ...input, first: size });
  expect(page.pageInfo.hasPreviousPage).toBe(false);
  for (;;) {
    seen.push(...page.items);
    if (!page.pageInfo.hasNextPage) break;
    expect(page.items).toHaveLength(size);
    const after = page.pageInfo.endCursor ?? undefined;
    page = await p.cursorPage({ ...input, first: size, after });
    expect(page.pageInfo.hasPreviousPage).toBe(true);
  }
  return seen;
}

async function walkBackward(p: Paginator<Product>, input: CursorPageInput, size: number) {
  let seen: Product[] = [];
  let page: CursorPage<Product> = await p.cursorPage({ ...input, last: size });
  expect(page.pageInfo.hasNextPage).toBe(false);
  for (;;) {
    seen = [...page.items, ...seen];
    if (!page.pageInfo.hasPreviousPage) break;
    const before = page.pageInfo.startCursor ?? undefined;
    page = await p.cursorPage({ ...input, last: size, before });
    expect(page.pageInfo.hasNextPage).toBe(true);
  }
  return seen;
}

const FILTERS: { name: string; filter: FilterInput | undefined; keep: (r: Product) => boolean }[] = [
  { name: 'no filter', filter: undefined, keep: () => true },
  {
    name: 'status in, price range',
    filter: { status: { in: ['open', 'draft'] }, price: { gte: 2, lt: 12 } },
    keep: (r) =>
      (r.status === 'open' || r.status === 'draft') && r.price !== null && r.price >= 2 && r.price < 12,
  },
  { name: 'tag is null', filter: { tag: null }, keep: (r) => r.tag === null },
];

describe('keyset walks against the ground truth', () => {
  const { paginator } = memoryPaginator(rows);
  const sorts = SORTS.filter((s) => s !== 'relevance');
  for (const sort of sorts) {
    for (const { name, filter, keep } of FILTERS) {
      it(`${sort} with ${name}: forward and backward, sizes 1, 7 and 100`, async () => {
        const truth = ids(groundTruth(rows.filter(keep), sort));
        for (const size of [1, 7, 100]) {
          expect(ids(await walkForward(paginator, { sort, filter }, size))).toEqual(truth);
          expect(ids(await walkBackward(paginator, { sort, filter }, size))).toEqual(truth);
        }
      });
    }
  }

  it('turns around mid-way: before the first edge of a page is the previous page', async () => {
    const sort = 'status,-price';
    const truth = ids(groundTruth(rows, sort));
    const p1 = await paginator.cursorPage({ sort, first: 10 });
    const p2 = await paginator.cursorPage({ sort, first: 10, after: p1.pageInfo.endCursor ?? '' });
    const p3 = await paginator.cursorPage({ sort, first: 10, after: p2.pageInfo.endCursor ?? '' });
    expect(ids(p3.items)).toEqual(truth.slice(20, 30));
    const back = await paginator.cursorPage({ sort, last: 10, before: p3.pageInfo.startCursor ?? '' });
    expect(ids(back.items)).toEqual(truth.slice(10, 20));
    expect(back.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: true });
    const middle = await paginator.cursorPage({ sort, first: 3, after: p2.edges[4]?.cursor ?? '' });
    expect(ids(middle.items)).toEqual(truth.slice(15, 18));
    const backToStart = await paginator.cursorPage({
      sort,
      last: 10,
      before: back.pageInfo.startCursor ?? '',
    });
    expect(ids(backToStart.items)).toEqual(truth.slice(0, 10));
    expect(backToStart.pageInfo.hasPreviousPage).toBe(false);
  });

  it('accepts the sort with or without the key, and reports it with the key', async () => {
    const a = await paginator.cursorPage({ sort: '-createdAt', first: 5 });
    const b = await paginator.cursorPage({
      sort: '-createdAt,-id',
      first: 5,
      after: a.pageInfo.endCursor ?? '',
    });
    expect(a.sort).toBe('-createdAt,-id');
    expect(ids(b.items)).toEqual(ids(groundTruth(rows, '-createdAt')).slice(5, 10));
    expect((await paginator.cursorPage({ sort: 'price' })).sort).toBe('price,id');
  });

  it('gives empty pages null cursors and no next page', async () => {
    const page = await paginator.cursorPage({ filter: { id: { gt: 10_000 } } });
    expect(page.items).toEqual([]);
    expect(page.pageInfo).toEqual({
      hasNextPage: false,
      hasPreviousPage: false,
      startCursor: null,
      endCursor: null,
    });
  });
});

describe('offset walks', () => {
  const { paginator } = memoryPaginator(rows);
  for (const sort of ['-createdAt', '-tag,stock', 'price']) {
    it(`${sort}: every page in order, exact totals and page counts`, async () => {
      const truth = ids(groundTruth(rows, sort));
      const seen: number[] = [];
      for (let page = 1; ; page++) {
        const result = await paginator.offsetPage({ sort, page, limit: 20 });
        expect(result.total).toEqual({ value: rows.length, exact: true });
        expect(result.pageCount).toBe(7);
        expect(result.page).toBe(page);
        seen.push(...ids(result.items));
        if (!result.hasNextPage) break;
      }
      expect(seen).toEqual(truth);
    });
  }

  it('keyset pages have no total unless asked; offset pages can drop it', async () => {
    expect((await paginator.cursorPage({})).total).toBeUndefined();
    expect((await paginator.cursorPage({ total: 'exact' })).total).toEqual({ value: 137, exact: true });
    const none = await paginator.offsetPage({ total: 'none' });
    expect(none.total).toBeUndefined();
    expect(none.pageCount).toBeUndefined();
  });
});

describe('full text, facets', () => {
  const { paginator } = memoryPaginator(rows);

  it('relevance walks return every match exactly once', async () => {
    const matches = rows.filter((r) => r.title.toLowerCase().split(' ').includes('lamp'));
    expect(matches.length).toBeGreaterThan(10);
    const seen = await walkForward(paginator, { search: 'lamp', sort: 'relevance' }, 4);
    expect(new Set(ids(seen))).toEqual(new Set(ids(matches)));
    expect(seen).toHaveLength(matches.length);
    const back = await walkBackward(paginator, { search: 'lamp', sort: 'relevance' }, 4);
    expect(ids(back)).toEqual(ids(seen));
  });

  it('defaults to the first plain sort without text, and refuses relevance without text', async () => {
    expect((await paginator.cursorPage({ search: 'lamp' })).sort).toBe('-createdAt,-id');
    await expect(paginator.cursorPage({ sort: 'relevance' })).rejects.toMatchObject({
      code: 'ERR_SEARCH_INVALID_QUERY',
      parameter: 'sort',
    });
  });

  it('counts facets over the filtered set', async () => {
    const page = await paginator.offsetPage({ facets: ['status', 'tag'], filter: { active: true } });
    const active = rows.filter((r) => r.active);
    const status = page.facets?.find((f) => f.field === 'status');
    const total = status?.values.reduce((sum, v) => sum + v.count, 0);
    expect(total).toBe(active.length);
    const nulls = page.facets?.find((f) => f.field === 'tag')?.values.find((v) => v.value === null);
    expect(nulls?.count).toBe(active.filter((r) => r.tag === null).length);
  });
});

describe('cursor lifecycle', () => {
  it('expires cursors on the manual clock and counts the rejection', async () => {
    const metrics = createMemoryMetrics();
    const { paginator, clock } = memoryPaginator(rows, { cursorTtlMs: 60_000, metrics });
    const page = await paginator.cursorPage({ first: 5 });
    const after = page.pageInfo.endCursor ?? '';
    clock.advance(59_999);
    await expect(paginator.cursorPage({ first: 5, after })).resolves.toBeDefined();
    clock.advance(1);
    await expect(paginator.cursorPage({ first: 5, after })).rejects.toMatchObject({
      code: 'ERR_SEARCH_CURSOR_EXPIRED',
      parameter: 'after',
    });
    expect(metrics.counterValue('search.cursor.rejected', { reason: 'expired' })).toBe(1);
  });

  it('rotates keys: cursors of the old key still work after a new key is put first', async () => {
    const { paginator, clock } = memoryPaginator(rows);
    const old = await paginator.cursorPage({ first: 5 });
    const rotated = createPaginator<Product>({
      source: createMemorySource({ rows, clock }),
      fields: FIELDS,
      sorts: [...SORTS],
      clock,
      cursorKeys: [{ id: 'k3', secret: 'k3-secret-0123456789-0123456789-abcdef' }, ...KEYS],
    });
    const next = await rotated.cursorPage({ first: 5, after: old.pageInfo.endCursor ?? '' });
    expect(ids(next.items)).toEqual(ids(groundTruth(rows, '-createdAt')).slice(5, 10));
    const retired = createPaginator<Product>({
      source: createMemorySource({ rows, clock }),
      fields: FIELDS,
      sorts: [...SORTS],
      clock,
      cursorKeys: [{ id: 'k3', secret: 'k3-secret-0123456789-0123456789-abcdef' }],
    });
    await expect(retired.cursorPage({ after: old.pageInfo.endCursor ?? '' })).rejects.toMatchObject({
      code: 'ERR_SEARCH_CURSOR_INVALID',
      reason: 'key',
    });
  });

  it('refuses a cursor reused with another filter, sort or search text', async () => {
    const metrics = createMemoryMetrics();
    const { paginator } = memoryPaginator(rows, { metrics });
    const page = await paginator.cursorPage({ first: 5, filter: { status: 'open' } });
    const after = page.pageInfo.endCursor ?? '';
    await expect(paginator.cursorPage({ after, filter: { status: { eq: 'open' } } })).resolves.toBeDefined();
    await expect(paginator.cursorPage({ after, filter: { status: { in: ['open'] } } })).rejects.toMatchObject(
      {
        code: 'ERR_SEARCH_CURSOR_MISMATCH',
      },
    );
    await expect(paginator.cursorPage({ after })).rejects.toMatchObject({
      code: 'ERR_SEARCH_CURSOR_MISMATCH',
    });
    await expect(
      paginator.cursorPage({ after, filter: { status: 'open' }, sort: 'title' }),
    ).rejects.toMatchObject({
      code: 'ERR_SEARCH_CURSOR_MISMATCH',
    });
    await expect(
      paginator.cursorPage({ after, filter: { status: 'open' }, search: 'lamp' }),
    ).rejects.toMatchObject({ code: 'ERR_SEARCH_CURSOR_MISMATCH' });
    expect(metrics.counterValue('search.cursor.rejected', { reason: 'mismatch' })).toBe(4);
  });

  it('keeps walking correctly while rows change (no skip, no repeat of rows present throughout)', async () => {
    const { paginator, source } = memoryPaginator(rows);
    const stable = new Set(ids(rows.filter((r) => r.id % 3 !== 0)));
    const seen: number[] = [];
    let after: string | undefined;
    let next = 1000;
    for (;;) {
      const page = await paginator.cursorPage({ sort: 'price', first: 9, after });
      seen.push(...ids(page.items));
      const victims = rows.filter((r) => r.id % 3 === 0 && r.id % 2 === seen.length % 2).slice(0, 2);
      source.apply({
        upsert: [{ ...rows[0], id: next++, price: (next % 15) / 2 } as Product],
        delete: victims.map((r) => r.id),
      });
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor ?? undefined;
    }
    expect(new Set(seen).size).toBe(seen.length);
    for (const id of stable) expect(seen).toContain(id);
  });
});
