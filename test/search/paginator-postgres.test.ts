/**
 * The paginator end to end over the real PostgreSQL source, against the same ground truth as the
 * memory walks: keyset walks both ways for nullable and mixed-direction sorts, microsecond timestamps
 * in cursors, offset pages with exact totals, full text; and the memory and PostgreSQL paginators,
 * given the same rows, keys and clock, produce the same pages and byte-identical cursors.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type CursorPage,
  type CursorPageInput,
  createMemorySource,
  createPaginator,
  type FieldMap,
  type Paginator,
} from '../../src/search/index.js';
import { createPostgresSource } from '../../src/search/postgres.js';
import { createManualClock } from '../../src/testing/index.js';
import { noPostgres, usePostgresSchema } from '../support/postgres.js';
import { groundTruth, KEYS, type Product, products } from './paginator-helpers.js';
import { createTable, insertRows, migrate, randomTable } from './postgres-helpers.js';

const rows = products(240, 11);
const FIELDS_PG: FieldMap = {
  id: { type: 'integer', filter: ['eq', 'in', 'range'] },
  title: { type: 'string', filter: ['eq', 'prefix'], text: 'A' },
  status: { type: 'string', filter: ['eq', 'in'], facet: true },
  price: { type: 'number', nullable: true, filter: ['eq', 'in', 'range'] },
  stock: { type: 'integer', filter: ['range'] },
  active: { type: 'boolean', filter: ['eq'] },
  createdAt: { type: 'timestamp', column: 'created_at', filter: ['range'] },
  tag: { type: 'string', nullable: true, filter: ['eq', 'in'], facet: true },
};
const SORTS_PG = ['-createdAt', 'status,-price', '-tag,stock', 'price', 'active,-createdAt', 'relevance'];
type PgRow = Omit<Product, 'createdAt'> & { created_at: string };

const ids = (list: readonly { id: number | string }[]) => list.map((r) => Number(r.id));

async function walk(
  p: Paginator<{ id: number | string }>,
  input: CursorPageInput,
  size: number,
  backward = false,
) {
  const seen: number[] = [];
  let page: CursorPage<{ id: number | string }> = await p.cursorPage({
    ...input,
    [backward ? 'last' : 'first']: size,
  });
  for (;;) {
    if (backward) seen.unshift(...ids(page.items));
    else seen.push(...ids(page.items));
    const more = backward ? page.pageInfo.hasPreviousPage : page.pageInfo.hasNextPage;
    if (!more) return seen;
    const cursor = (backward ? page.pageInfo.startCursor : page.pageInfo.endCursor) ?? '';
    page = await p.cursorPage({
      ...input,
      [backward ? 'last' : 'first']: size,
      [backward ? 'before' : 'after']: cursor,
    });
  }
}

describe.skipIf(noPostgres)('paginator over PostgreSQL', () => {
  const db = usePostgresSchema('paginator');
  const table = randomTable('products');
  const clockAt = Date.UTC(2026, 5, 1);
  let pgPaginator: Paginator<PgRow>;
  let memoryPaginator: Paginator<Product>;

  beforeAll(async () => {
    await createTable(db.pool, db.schema, table, FIELDS_PG, 'id');
    await insertRows(
      db.pool,
      db.schema,
      table,
      rows.map(({ createdAt, ...rest }) => ({ ...rest, created_at: createdAt })),
    );
    await migrate(
      db.pool,
      db.schema,
      table,
      FIELDS_PG,
      'id',
      SORTS_PG.filter((s) => s !== 'relevance'),
    );
    const common = { fields: FIELDS_PG, sorts: SORTS_PG, cursorKeys: [...KEYS] };
    pgPaginator = createPaginator<PgRow>({
      ...common,
      source: createPostgresSource<PgRow>({ pool: db.pool, schema: db.schema, table }),
      clock: createManualClock(clockAt),
    });
    memoryPaginator = createPaginator<Product>({
      ...common,
      fields: { ...FIELDS_PG, createdAt: { type: 'timestamp', filter: ['range'] } },
      source: createMemorySource<Product>({ rows }),
      clock: createManualClock(clockAt),
    });
  });

  for (const sort of SORTS_PG.filter((s) => s !== 'relevance')) {
    it(`${sort}: walks both ways equal the ground truth`, async () => {
      const truth = ids(groundTruth(rows, sort));
      for (const size of [7, 50]) {
        expect(await walk(pgPaginator, { sort }, size)).toEqual(truth);
        expect(await walk(pgPaginator, { sort }, size, true)).toEqual(truth);
      }
      const filter = { status: { in: ['open', 'draft'] }, price: { gte: 3 } };
      const filtered = rows.filter((r) => r.status !== 'closed' && r.price !== null && r.price >= 3);
      expect(await walk(pgPaginator, { sort, filter }, 9)).toEqual(ids(groundTruth(filtered, sort)));
    });
  }

  it('gives the same pages and byte-identical cursors as the memory paginator', async () => {
    for (const sort of ['-createdAt', 'status,-price', '-tag,stock']) {
      let pgPage = await pgPaginator.cursorPage({ sort, first: 13 });
      let memPage = await memoryPaginator.cursorPage({ sort, first: 13 });
      for (;;) {
        expect(ids(pgPage.items)).toEqual(ids(memPage.items));
        expect(pgPage.edges.map((e) => e.cursor)).toEqual(memPage.edges.map((e) => e.cursor));
        expect(pgPage.pageInfo).toEqual(memPage.pageInfo);
        if (!pgPage.pageInfo.hasNextPage) break;
        const after = memPage.pageInfo.endCursor ?? '';
        pgPage = await pgPaginator.cursorPage({ sort, first: 13, after });
        memPage = await memoryPaginator.cursorPage({ sort, first: 13, after });
      }
    }
  });

  it('keeps microseconds in timestamp cursors', async () => {
    const page = await pgPaginator.cursorPage({ sort: '-createdAt', first: 1 });
    const body = (page.pageInfo.endCursor ?? '').split('.')[1] ?? '';
    const payload = JSON.parse(Buffer.from(body, 'base64url').toString()) as { s: unknown[] };
    expect(payload.s[0]).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);
    expect(payload.s[0]).toBe(groundTruth(rows, '-createdAt')[0]?.createdAt);
  });

  it('offset pages, exact totals, facets and full text', async () => {
    const page = await pgPaginator.offsetPage({ sort: 'price', page: 3, limit: 20, facets: ['status'] });
    expect(ids(page.items)).toEqual(ids(groundTruth(rows, 'price')).slice(40, 60));
    expect(page.total).toEqual({ value: 240, exact: true });
    expect(page.pageCount).toBe(12);
    const counts = page.facets?.[0]?.values.reduce((sum, v) => sum + v.count, 0);
    expect(counts).toBe(240);
    const text = await walk(pgPaginator, { search: 'lamp', sort: 'relevance' }, 5);
    expect(new Set(text).size).toBe(text.length);
    expect(text.length).toBeGreaterThan(0);
  });
});
