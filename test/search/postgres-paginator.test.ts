/** The paginator over the PostgreSQL source, end to end: mapped columns, migrated indexes, hostile query strings. */
import { beforeAll, describe, expect, it } from 'vitest';
import { createPaginator, parseQueryString } from '../../src/search/index.js';
import { createPostgresSource, migrateSearchIndexes } from '../../src/search/postgres.js';
import type { FieldMap } from '../../src/search/types.js';
import { noPostgres, usePostgresSchema } from '../support/postgres.js';
import { insertRows } from './postgres-helpers.js';

const FIELDS: FieldMap = {
  id: { type: 'integer', filter: ['eq', 'in'] },
  createdAt: { type: 'timestamp', column: 'created_at', filter: ['range'] },
  title: { type: 'string', text: 'A', filter: ['prefix'], facet: true },
  body: { type: 'string', nullable: true, text: 'C' },
};
const SORTS = ['-createdAt', 'title', 'relevance'];

describe.skipIf(noPostgres)('paginator over the postgres source', () => {
  const db = usePostgresSchema('pag');
  const t = () => `"${db.schema}".posts`;
  const paginator = () =>
    createPaginator({
      source: createPostgresSource({ pool: db.pool, schema: db.schema, table: 'posts' }),
      fields: FIELDS,
      sorts: SORTS,
      cursorKeys: [{ id: 'k1', secret: 'x'.repeat(32) }],
    });

  beforeAll(async () => {
    await db.pool.query(
      `CREATE TABLE ${t()} (id bigint PRIMARY KEY, created_at timestamptz NOT NULL, title text NOT NULL, body text)`,
    );
    const words = ['apple', 'banana', 'cherry', 'pie'];
    await insertRows(
      db.pool,
      db.schema,
      'posts',
      Array.from({ length: 95 }, (_, i) => ({
        id: i,
        // Ten rows share each microsecond: ties fall on page boundaries.
        created_at: `2026-03-01T12:00:00.${String(Math.floor(i / 10)).padStart(6, '0')}Z`,
        title: `${words[i % 4]} ${i}`,
        body: i % 3 === 0 ? null : `${words[(i + 1) % 4]} notes`,
      })),
    );
    await migrateSearchIndexes(db.pool, {
      schema: db.schema,
      table: 'posts',
      fields: FIELDS,
      key: 'id',
      sorts: SORTS,
    });
  });

  it('walks -createdAt with cursors both ways, equal to the SQL order', async () => {
    const p = paginator();
    const expected = (
      await db.pool.query(`SELECT id FROM ${t()} ORDER BY created_at DESC, id DESC`)
    ).rows.map((r) => Number(r.id));
    const seen: number[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await p.cursorPage({ first: 7, after });
      seen.push(...page.items.map((r) => Number(r.id)));
      if (!page.pageInfo.hasNextPage || page.pageInfo.endCursor === null) break;
      after = page.pageInfo.endCursor;
    }
    expect(seen).toEqual(expected);
    const back: number[][] = [];
    let before: string | undefined;
    for (;;) {
      const page = await p.cursorPage({ last: 9, before });
      back.unshift(page.items.map((r) => Number(r.id)));
      if (!page.pageInfo.hasPreviousPage || page.pageInfo.startCursor === null) break;
      before = page.pageInfo.startCursor;
    }
    expect(back.flat()).toEqual(expected);
  });

  it('query strings with SQL in every parameter are values or typed errors; the table is intact', async () => {
    const p = paginator();
    const hostile = "'; DROP TABLE posts; --";
    const request = parseQueryString(
      `sort=title&filter[title][prefix]=${encodeURIComponent(hostile)}&search=${encodeURIComponent(hostile)}&facets=title&total=exact`,
    );
    const page = await p.offsetPage(request);
    expect(page.items).toEqual([]);
    expect(page.total).toEqual({ value: 0, exact: true });
    await expect(
      p.cursorPage(parseQueryString(`sort=${encodeURIComponent(`title; ${hostile}`)}`)),
    ).rejects.toMatchObject({ code: 'ERR_SEARCH_INVALID_QUERY' });
    await expect(
      p.cursorPage(parseQueryString(`filter[${encodeURIComponent(hostile)}]=1`)),
    ).rejects.toMatchObject({ code: 'ERR_SEARCH_INVALID_QUERY' });
    await expect(
      p.cursorPage(parseQueryString(`facets=${encodeURIComponent(hostile)}`)),
    ).rejects.toMatchObject({ code: 'ERR_SEARCH_INVALID_QUERY' });
    await expect(
      p.cursorPage({ after: `v1.${Buffer.from(hostile).toString('base64url')}.x` }),
    ).rejects.toMatchObject({ code: 'ERR_SEARCH_CURSOR_INVALID' });
    expect((await db.pool.query(`SELECT count(*)::int AS n FROM ${t()}`)).rows[0].n).toBe(95);
  });

  it('relevance with text, facets and an exact total in one snapshot', async () => {
    const page = await paginator().offsetPage({
      sort: 'relevance',
      search: 'apple',
      facets: ['title'],
      total: 'exact',
      limit: 5,
    });
    expect(page.total?.value).toBeGreaterThan(20);
    expect(page.items).toHaveLength(5);
    // Title (weight A) matches rank above body-only (weight C) matches.
    expect(String(page.items[0]?.title)).toMatch(/^apple/);
    expect(page.facets?.[0]?.field).toBe('title');
    expect(page.freshness.consistency).toBe('strong');
  });
});
