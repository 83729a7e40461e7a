/**
 * Regressions of the adversarial review of the search module: hostile search text that blocked the
 * event loop, a watermark call that never settled, nulls placed first on request (memory and
 * PostgreSQL alike), and cursors of one list opening another list with the same keys and sort.
 */
import { describe, expect, it } from 'vitest';
import { createMemorySource, createPaginator, type FieldMap } from '../../src/search/index.js';
import { createPostgresSource } from '../../src/search/postgres.js';
import { noPostgres, usePostgresSchema } from '../support/postgres.js';
import { insertRows } from './postgres-helpers.js';

const keys = [{ id: 'k1', secret: 'r'.repeat(32) }];
const FIELDS: FieldMap = {
  id: { type: 'integer' },
  title: { type: 'string', text: 'A' },
  rank: { type: 'integer', nullable: true, nulls: 'first' },
};
const rows = Array.from({ length: 40 }, (_, i) => ({
  id: i + 1,
  title: `${['red', 'fox', 'blue', 'whale'][i % 4]} ${['lamp', 'desk'][i % 2]}`,
  rank: i % 5 === 0 ? null : i % 7,
}));

/** The ground truth of `rank,id` and of `-rank,-id`, nulls first in both. */
function expected(descending: boolean): number[] {
  const sorted = [...rows].sort((a, b) => {
    // The key follows the last term's direction, so `-rank` orders its null group by `-id`.
    const byId = descending ? b.id - a.id : a.id - b.id;
    if (a.rank === null || b.rank === null) return a.rank === b.rank ? byId : a.rank === null ? -1 : 1;
    return (descending ? b.rank - a.rank : a.rank - b.rank) || byId;
  });
  return sorted.map((r) => r.id);
}

async function walk(
  paginator: ReturnType<typeof createPaginator>,
  sort: string,
  backward: boolean,
): Promise<number[]> {
  const seen: number[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < 50; i++) {
    const page = backward
      ? await paginator.cursorPage({ sort, last: 3, before: cursor })
      : await paginator.cursorPage({ sort, first: 3, after: cursor });
    const ids = page.items.map((r) => Number((r as { id: number | string }).id)); // bigint: a string
    if (backward) seen.unshift(...ids);
    else seen.push(...ids);
    const more = backward ? page.pageInfo.hasPreviousPage : page.pageInfo.hasNextPage;
    cursor = (backward ? page.pageInfo.startCursor : page.pageInfo.endCursor) ?? undefined;
    if (!more) break;
  }
  return seen;
}

describe('search review regressions', () => {
  const memory = () =>
    createPaginator({
      source: createMemorySource({ rows }),
      fields: FIELDS,
      sorts: ['rank', '-rank', 'relevance'],
      cursorKeys: keys,
    });

  it.each([
    Array(5).fill('red').join(' OR '),
    Array(5).fill('"red lamp"').join(' '),
    `red ${Array(5).fill('-"blue desk"').join(' ')}`,
    Array(33).fill('red').join(' '),
  ])('refuses search text that asks for too many passes: %s', async (search) => {
    await expect(memory().cursorPage({ search })).rejects.toMatchObject({
      code: 'ERR_SEARCH_INVALID_QUERY',
      parameter: 'search',
    });
  });

  it('still answers search text within the limits', async () => {
    const page = await memory().cursorPage({ search: 'red OR fox OR "blue lamp" -whale', first: 50 });
    expect(page.items.length).toBeGreaterThan(0);
  });

  it('a watermark that never settles reads as unknown, and the next refresh calls it again', async () => {
    let calls = 0;
    const paginator = createPaginator({
      source: createMemorySource({
        rows,
        sourceWatermark: () => {
          calls += 1;
          return calls === 1 ? new Promise<number>(() => {}) : 123;
        },
        watermarkRefreshMs: 0,
      }),
      fields: FIELDS,
      sorts: ['rank'],
      cursorKeys: keys,
      timeoutMs: 5000,
    });
    const first = await paginator.cursorPage({ first: 1 });
    expect(first.freshness).toMatchObject({ consistency: 'eventual', sourceNewestMs: null, lagMs: null });
    const second = await paginator.cursorPage({ first: 1 });
    expect(second.freshness.sourceNewestMs).toBe(123);
    expect(calls).toBe(2);
  });

  it('nulls go first when the field says so, in both directions, walked both ways (memory)', async () => {
    const p = memory();
    expect(await walk(p, 'rank', false)).toEqual(expected(false));
    expect(await walk(p, 'rank', true)).toEqual(expected(false));
    expect(await walk(p, '-rank', false)).toEqual(expected(true));
    expect(await walk(p, '-rank', true)).toEqual(expected(true));
  });

  it('refuses `nulls` on a field that is not nullable', () => {
    expect(() =>
      createPaginator({
        source: createMemorySource({ rows }),
        fields: { ...FIELDS, title: { type: 'string', nulls: 'first' } },
        sorts: ['rank'],
        cursorKeys: keys,
      }),
    ).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION' }));
  });

  it('a cursor of one list does not open another list with the same keys and sort', async () => {
    const a = createPaginator({
      source: createMemorySource({ rows }),
      fields: FIELDS,
      sorts: ['rank'],
      cursorKeys: keys,
      name: 'public',
    });
    const b = createPaginator({
      source: createMemorySource({ rows }),
      fields: FIELDS,
      sorts: ['rank'],
      cursorKeys: keys,
      name: 'admin',
    });
    const page = await a.cursorPage({ first: 2 });
    await expect(b.cursorPage({ after: page.pageInfo.endCursor ?? '' })).rejects.toMatchObject({
      code: 'ERR_SEARCH_CURSOR_MISMATCH',
    });
  });

  describe.skipIf(noPostgres)('on PostgreSQL', () => {
    const db = usePostgresSchema('review');
    it('nulls go first when the field says so, in both directions, walked both ways', async () => {
      await db.pool.query(
        `CREATE TABLE "${db.schema}".items (id bigint PRIMARY KEY, title text NOT NULL, rank bigint)`,
      );
      await insertRows(db.pool, db.schema, 'items', rows);
      const p = createPaginator({
        source: createPostgresSource({ pool: db.pool, schema: db.schema, table: 'items' }),
        fields: FIELDS,
        sorts: ['rank', '-rank'],
        cursorKeys: keys,
      });
      expect(await walk(p, 'rank', false)).toEqual(expected(false));
      expect(await walk(p, 'rank', true)).toEqual(expected(false));
      expect(await walk(p, '-rank', false)).toEqual(expected(true));
      expect(await walk(p, '-rank', true)).toEqual(expected(true));
    });
  });
});
