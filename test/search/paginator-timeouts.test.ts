/**
 * The timeout policy and the metrics, with scripted sources (real `SearchSource` implementations that
 * misbehave on purpose) and a manual clock: a source that never answers still cannot hang the caller;
 * page timeouts throw; degraded parts are returned (`degrade`) or thrown (`fail`); a source that throws
 * for a secondary part gets one retry without it; malformed source answers are `StoreError`s; the
 * duration histogram carries kind and depth labels, and the lag gauge follows freshness.
 */
import { describe, expect, it } from 'vitest';
import { createPaginator, SearchTimeoutError, type SourceRow } from '../../src/search/index.js';
import { createManualClock, createMemoryMetrics } from '../../src/testing/index.js';
import { FIELDS, KEYS, type Product, products, SORTS, STRONG, scriptedSource } from './paginator-helpers.js';

const rows = products(5);
const asRows = (list: readonly Product[]): SourceRow<Product>[] =>
  list.map((row) => ({ row, keys: [row.createdAt, row.id] }));

function setup(
  answer: Parameters<typeof scriptedSource>[0],
  extra: { onTimeout?: 'degrade' | 'fail'; estimatedTotal?: boolean } = {},
) {
  const clock = createManualClock(Date.UTC(2026, 5, 1));
  const metrics = createMemoryMetrics({ clock });
  const source = scriptedSource(answer, { estimatedTotal: extra.estimatedTotal ?? true });
  const paginator = createPaginator<Product>({
    source,
    fields: FIELDS,
    sorts: [...SORTS],
    cursorKeys: [...KEYS],
    clock,
    metrics,
    name: 'catalogue',
    timeoutMs: 500,
    ...(extra.onTimeout === undefined ? {} : { onTimeout: extra.onTimeout }),
  });
  return { clock, metrics, source, paginator };
}

/** Lets the paginator reach its deadline timer (it starts after a few microtasks). */
async function settle(clock: ReturnType<typeof createManualClock>): Promise<void> {
  for (let i = 0; i < 50 && clock.pendingSleepers() === 0; i++) await new Promise((r) => setImmediate(r));
}

describe('deadline', () => {
  it('a source that never answers gets its signal aborted and the caller a page timeout', async () => {
    const { clock, metrics, source, paginator } = setup(() => undefined);
    const pending = paginator.cursorPage({ first: 2 }).catch((e: unknown) => e);
    await settle(clock);
    clock.advance(1_499);
    await new Promise((r) => setImmediate(r));
    expect(source.queries[0]?.signal.aborted).toBe(false);
    clock.advance(1);
    const error = await pending;
    expect(error).toBeInstanceOf(SearchTimeoutError);
    expect(error).toMatchObject({ part: 'page', timeoutMs: 500, httpStatus: 503 });
    expect(source.queries[0]?.signal.aborted).toBe(true);
    expect(source.queries[0]?.signal.reason).toBe(error);
    expect(metrics.counterValue('search.query.timeouts', { paginator: 'catalogue', part: 'page' })).toBe(1);
    expect(metrics.observations('search.query.duration', { kind: 'keyset', depth: '0' })).toEqual([1.5]);
    expect(clock.pendingSleepers()).toBe(0);
  });

  it('a late answer after the deadline changes nothing and leaves no timer behind', async () => {
    let resolveLate: (value: never) => void = () => {};
    const { clock, paginator } = setup(() => new Promise((resolve) => (resolveLate = resolve as never)));
    const pending = paginator.offsetPage({}).catch((e: unknown) => e);
    await settle(clock);
    clock.advance(1_500);
    expect(await pending).toBeInstanceOf(SearchTimeoutError);
    resolveLate({ rows: [], freshness: STRONG, degraded: [] } as never);
    const ok = setup(async () => ({ rows: asRows(rows), freshness: STRONG, degraded: [] }));
    await ok.paginator.cursorPage({});
    expect(ok.clock.pendingSleepers()).toBe(0);
  });

  it('a page timeout from the source is thrown and counted, without retry', async () => {
    const { metrics, source, paginator } = setup(async () => {
      throw new SearchTimeoutError('page', 500);
    });
    await expect(paginator.offsetPage({ facets: ['status'] })).rejects.toMatchObject({ part: 'page' });
    expect(source.queries).toHaveLength(1);
    expect(metrics.counterValue('search.query.timeouts', { part: 'page' })).toBe(1);
  });
});

describe('degraded parts', () => {
  const degradedAnswer = async () => ({
    rows: asRows(rows),
    total: { value: 5000, exact: false },
    freshness: STRONG,
    degraded: ['total', 'facets'] as ('total' | 'facets')[],
  });

  it('with degrade: returned, marked and counted', async () => {
    const { metrics, paginator } = setup(degradedAnswer);
    const page = await paginator.offsetPage({ facets: ['status'] });
    expect(page.degraded).toEqual(['total', 'facets']);
    expect(page.total).toEqual({ value: 5000, exact: false });
    expect(page.pageCount).toBeUndefined();
    expect(page.facets).toBeUndefined();
    expect(metrics.counterValue('search.query.degraded', { part: 'facets' })).toBe(1);
    expect(metrics.counterValue('search.query.timeouts', { part: 'total' })).toBe(1);
  });

  it('with fail: thrown', async () => {
    const { metrics, paginator } = setup(degradedAnswer, { onTimeout: 'fail' });
    await expect(paginator.offsetPage({ facets: ['status'] })).rejects.toMatchObject({
      code: 'ERR_SEARCH_TIMEOUT',
      part: 'total',
    });
    expect(metrics.counterValue('search.query.degraded')).toBe(0);
  });

  it('a secondary part thrown by the source: one retry without facets and with an estimate', async () => {
    const { source, paginator } = setup(async (_q, call) => {
      if (call === 0) throw new SearchTimeoutError('facets', 500);
      return { rows: asRows(rows), total: { value: 4990, exact: false }, freshness: STRONG, degraded: [] };
    });
    const page = await paginator.offsetPage({ facets: ['status'] });
    expect(source.queries.map((q) => [q.total, q.facets.length])).toEqual([
      ['exact', 1],
      ['estimated', 0],
    ]);
    expect(page.degraded).toEqual(['facets', 'total']);
    expect(page.total).toEqual({ value: 4990, exact: false });
  });

  it('without estimates the retry drops the total; with fail there is no retry', async () => {
    const throwing = async (_q: unknown, call: number) => {
      if (call === 0) throw new SearchTimeoutError('total', 500);
      return { rows: asRows(rows), freshness: STRONG, degraded: [] };
    };
    const plain = setup(throwing, { estimatedTotal: false });
    const page = await plain.paginator.offsetPage({});
    expect(plain.source.queries.map((q) => q.total)).toEqual(['exact', 'none']);
    expect(page.total).toBeUndefined();
    expect(page.degraded).toEqual(['total']);
    const failing = setup(throwing, { onTimeout: 'fail' });
    await expect(failing.paginator.offsetPage({})).rejects.toMatchObject({ part: 'total' });
    expect(failing.source.queries).toHaveLength(1);
  });
});

describe('source answers are checked', () => {
  const bad: [string, unknown][] = [
    ['no rows', { freshness: STRONG, degraded: [] }],
    ['no freshness', { rows: [], degraded: [] }],
    ['keys of the wrong length', { rows: [{ row: rows[0], keys: [1] }], freshness: STRONG, degraded: [] }],
    [
      'keys of the wrong type',
      { rows: [{ row: rows[0], keys: ['2026', 1] }], freshness: STRONG, degraded: [] },
    ],
    ['too many rows', { rows: asRows(products(4)), freshness: STRONG, degraded: [] }],
    ['not an object', 'rows'],
  ];
  for (const [name, answer] of bad) {
    it(`${name} is a StoreError`, async () => {
      const { paginator } = setup(async () => answer as never);
      await expect(paginator.cursorPage({ first: 2 })).rejects.toMatchObject({ code: 'ERR_STORE' });
    });
  }
});

describe('metrics', () => {
  it('labels duration by kind and depth, and sets the lag gauge', async () => {
    const freshness = {
      consistency: 'eventual',
      sourceNewestMs: 2000,
      indexedThroughMs: 1250,
      lagMs: 750,
    } as const;
    const { metrics, paginator } = setup(async (q) => ({
      rows: asRows(q.page.kind === 'keyset' ? rows.slice(0, q.page.limit + 1) : rows),
      freshness,
      degraded: [],
    }));
    await paginator.offsetPage({ page: 3, limit: 20 });
    await paginator.offsetPage({ page: 600, limit: 20 }).catch(() => undefined);
    await paginator.offsetPage({ search: 'lamp' });
    const first = await paginator.cursorPage({ first: 2 });
    expect(first.freshness).toEqual(freshness);
    await paginator.cursorPage({ first: 2, after: first.pageInfo.endCursor ?? '' });
    const series = metrics
      .snapshot()
      .filter((s) => s.name === 'search.query.duration')
      .map((s) => [s.labels.kind, s.labels.depth, s.value]);
    expect(series).toEqual([
      ['offset', '1-999', 1],
      ['fulltext', '0', 1],
      ['keyset', '0', 1],
      ['keyset', '1-999', 1],
    ]);
    expect(metrics.gaugeValue('search.index.lag', { paginator: 'catalogue' })).toBe(750);
  });
});
