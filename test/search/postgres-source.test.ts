import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../../src/core/errors.js';
import { createPostgresSource, searchIndexStatements } from '../../src/search/postgres.js';
import type { FieldMap, SourceSchema } from '../../src/search/types.js';
import { sourceQuery, term } from '../../src/testing/contracts/search-source-walk.js';
import { noPostgres, usePostgresSchema } from '../support/postgres.js';
import { createTable, insertRows, migrate } from './postgres-helpers.js';

const FIELDS: FieldMap = {
  id: { type: 'integer', filter: ['eq', 'in', 'range'] },
  name: { type: 'string', filter: ['eq', 'in', 'prefix', 'range'], facet: true },
  title: { type: 'string', text: 'A' },
  at: { type: 'timestamp', nullable: true, filter: ['eq', 'range'] },
};
const SCHEMA: SourceSchema = { fields: FIELDS, key: 'id', textWeights: { A: 1, B: 0.4, C: 0.2, D: 0.1 } };

const PAYLOADS = [
  "'; DROP TABLE items; --",
  "' OR '1'='1",
  "x') OR 1=1 --",
  '$1',
  '"; DELETE FROM items; --',
  '\\',
  "\\'",
  '%',
  '_',
  'a%',
  '*/ SELECT pg_sleep(10) /*',
  "E'\\x27'",
];

describe.skipIf(noPostgres)('postgres source: options, injection, hostile input, freshness', () => {
  const db = usePostgresSchema('src');
  const table = 'items';
  const rows = [
    ...PAYLOADS.map((name, i) => ({
      id: i + 1,
      name,
      title: `apple ${i}`,
      at: null,
      updated_at: '2026-01-01T00:00:00Z',
    })),
    {
      id: 100,
      name: 'a%b',
      title: 'banana',
      at: '2026-01-02T03:04:05.123456Z',
      updated_at: '2026-02-03T04:05:06.789Z',
    },
    {
      id: 101,
      name: 'abc',
      title: 'cherry',
      at: '2026-01-02T03:04:05.123457Z',
      updated_at: '2026-01-05T00:00:00Z',
    },
  ];
  const source = (extra: Record<string, unknown> = {}) => {
    const s = createPostgresSource({
      pool: db.pool,
      schema: db.schema,
      table,
      updatedAtColumn: 'updated_at',
      ...extra,
    });
    s.bind(SCHEMA);
    return s;
  };
  const count = async () =>
    Number((await db.pool.query(`SELECT count(*) FROM "${db.schema}".items`)).rows[0].count);

  beforeAll(async () => {
    await createTable(db.pool, db.schema, table, FIELDS, 'id', ['updated_at timestamptz NOT NULL']);
    await insertRows(db.pool, db.schema, table, rows);
    await migrate(db.pool, db.schema, table, FIELDS, 'id', ['id', '-at']);
  });

  it('rejects names that are not plain identifiers at construction (never quoted into SQL)', () => {
    const bad = ['items; drop table x', 'Items', 'a"b', '', '1abc', 'a'.repeat(64), 'a b', "a'b"];
    for (const name of bad) {
      for (const option of ['table', 'schema', 'tsvectorColumn', 'updatedAtColumn']) {
        expect(
          () => createPostgresSource({ pool: db.pool, table: 'items', [option]: name }),
          `${option}=${name}`,
        ).toThrow(InvalidOptionError);
      }
      expect(() => createPostgresSource({ pool: db.pool, table: 'items', columns: ['id', name] })).toThrow(
        InvalidOptionError,
      );
    }
    for (const config of ["english'; --", 'English', 'a.b.c', '']) {
      expect(() => createPostgresSource({ pool: db.pool, table: 'items', textConfig: config })).toThrow(
        InvalidOptionError,
      );
    }
    expect(() => createPostgresSource({ pool: db.pool, table: 'items', tabel: 'x' } as never)).toThrow(
      InvalidOptionError,
    );
    const s = createPostgresSource({ pool: db.pool, table: 'items' });
    const withColumn = (column: string) => ({
      ...SCHEMA,
      fields: { ...FIELDS, name: { type: 'string' as const, column } },
    });
    for (const column of ['name"; --', 'Name', 'x y'])
      expect(() => s.bind(withColumn(column))).toThrow(InvalidOptionError);
    expect(() => s.bind({ ...SCHEMA, fields: { ...FIELDS, camelCase: { type: 'string' } } })).toThrow(
      InvalidOptionError,
    );
    expect(() => searchIndexStatements({ table: 'x;y', fields: FIELDS, sorts: ['id'] })).toThrow(
      InvalidOptionError,
    );
  });

  it('filter values carrying SQL are compared as values: each matches exactly its own row', async () => {
    const s = source();
    for (const [i, payload] of PAYLOADS.entries()) {
      const eq = await s.query(
        sourceQuery(
          { sort: [term('id')], filters: [{ field: 'name', op: 'eq', value: payload }] },
          { kind: 'offset', offset: 0, limit: 50 },
        ),
      );
      expect(eq.rows.map((r) => r.row.id)).toEqual([String(i + 1)]);
      const inList = await s.query(
        sourceQuery(
          {
            sort: [term('id')],
            filters: [{ field: 'name', op: 'in', values: [payload, `${payload} (not this)`] }],
          },
          { kind: 'offset', offset: 0, limit: 50 },
        ),
      );
      expect(inList.rows.map((r) => r.row.id)).toEqual([String(i + 1)]);
      const range = await s.query(
        sourceQuery(
          {
            sort: [term('id')],
            filters: [
              { field: 'name', op: 'gte', value: payload },
              { field: 'name', op: 'lte', value: payload },
            ],
          },
          { kind: 'offset', offset: 0, limit: 50 },
        ),
      );
      expect(range.rows.map((r) => r.row.id)).toEqual([String(i + 1)]);
    }
    expect(await count()).toBe(rows.length);
  });

  it('prefix treats %, _ and \\ literally, case-sensitively', async () => {
    const s = source();
    const ids = async (value: string) =>
      (
        await s.query(
          sourceQuery(
            { sort: [term('id')], filters: [{ field: 'name', op: 'prefix', value }] },
            { kind: 'offset', offset: 0, limit: 50 },
          ),
        )
      ).rows.map((r) => Number(r.row.id));
    expect(await ids('a%')).toEqual([10, 100]);
    expect(await ids('%')).toEqual([8]);
    expect(await ids('_')).toEqual([9]);
    expect(await ids('\\')).toEqual([6, 7]);
    expect(await ids("'")).toEqual([1, 2]);
    expect(await ids('A')).toEqual([]);
    expect(await ids('')).toHaveLength(rows.length);
  });

  it('search text and cursor values carrying SQL are parameters', async () => {
    const s = source();
    for (const payload of PAYLOADS) {
      const text = await s.query(
        sourceQuery(
          { sort: [term('_relevance', 'desc'), term('id', 'desc')], text: payload },
          { kind: 'keyset', after: null, direction: 'forward', limit: 5 },
        ),
      );
      expect(text.rows.length).toBeLessThanOrEqual(6);
      const after = await s.query(
        sourceQuery(
          { sort: [term('name'), term('id')] },
          { kind: 'keyset', after: [payload, 0], direction: 'forward', limit: 50 },
        ),
      );
      const expected = rows.filter((r) => r.name > payload || (r.name === payload && r.id > 0)).length;
      expect(after.rows.length).toBe(expected);
      const back = await s.query(
        sourceQuery(
          { sort: [term('name'), term('id')] },
          { kind: 'keyset', after: [payload, 0], direction: 'backward', limit: 50 },
        ),
      );
      expect(back.rows.length + after.rows.length).toBe(rows.length);
    }
    expect(await count()).toBe(rows.length);
  });

  it('a timestamp cursor value PostgreSQL cannot read is a query error, not a store failure', async () => {
    const s = source();
    await expect(
      s.query(
        sourceQuery(
          { sort: [term('at', 'desc'), term('id', 'desc')] },
          { kind: 'keyset', after: ["'; DROP TABLE items; --", 1], direction: 'forward', limit: 5 },
        ),
      ),
    ).rejects.toMatchObject({ code: 'ERR_SEARCH_INVALID_QUERY' });
    expect(await count()).toBe(rows.length);
    // The connection went back clean: the next query works.
    expect(
      (await s.query(sourceQuery({ sort: [term('id')] }, { kind: 'offset', offset: 0, limit: 1 }))).rows,
    ).toHaveLength(2);
  });

  it('hostile sizes: a 100-value in-list and 4096 characters of search text', async () => {
    const s = source();
    const values = Array.from({ length: 100 }, (_, i) => (i < 99 ? `nope ${i} '` : 'abc'));
    const page = await s.query(
      sourceQuery(
        {
          sort: [term('id')],
          filters: [{ field: 'name', op: 'in', values }],
          total: 'exact',
          facets: [{ field: 'name', limit: 100 }],
        },
        { kind: 'offset', offset: 0, limit: 10 },
      ),
    );
    expect(page.rows.map((r) => Number(r.row.id))).toEqual([101]);
    expect(page.total).toEqual({ value: 1, exact: true });
    const words = 'apple OR "banana cherry" -pie OR '.repeat(200).slice(0, 4096);
    expect(words).toHaveLength(4096);
    const text = await s.query(
      sourceQuery(
        { sort: [term('_relevance', 'desc'), term('id', 'desc')], text: words, total: 'exact' },
        { kind: 'keyset', after: null, direction: 'forward', limit: 50 },
      ),
    );
    expect(text.rows.length).toBeGreaterThan(0);
    const ids = Array.from({ length: 100 }, (_, i) => i - 50);
    const byIds = await s.query(
      sourceQuery(
        { sort: [term('id')], filters: [{ field: 'id', op: 'in', values: ids }] },
        { kind: 'offset', offset: 0, limit: 100 },
      ),
    );
    expect(byIds.rows).toHaveLength(PAYLOADS.length);
  });

  it('keys at full precision, totals, facets, freshness from updatedAtColumn', async () => {
    const s = source({ columns: ['id', 'name'] });
    const page = await s.query(
      sourceQuery(
        {
          sort: [term('at', 'desc'), term('id', 'desc')],
          total: 'estimated',
          facets: [{ field: 'name', limit: 2 }],
        },
        { kind: 'keyset', after: null, direction: 'forward', limit: 2 },
      ),
    );
    expect(page.rows.map((r) => r.keys)).toEqual([
      ['2026-01-02T03:04:05.123457Z', 101],
      ['2026-01-02T03:04:05.123456Z', 100],
      [null, 12],
    ]);
    expect(Object.keys(page.rows[0]?.row ?? {})).toEqual(['id', 'name']);
    expect(page.total?.exact).toBe(false);
    expect(page.facets).toEqual([
      {
        field: 'name',
        values: [
          { value: '"; DELETE FROM items; --', count: 1 },
          { value: '$1', count: 1 },
        ],
      },
    ]);
    expect(page.freshness).toEqual({
      consistency: 'strong',
      sourceNewestMs: Date.parse('2026-02-03T04:05:06.789Z'),
      indexedThroughMs: Date.parse('2026-02-03T04:05:06.789Z'),
      lagMs: 0,
    });
    expect(page.degraded).toEqual([]);
    const all = await source().query(
      sourceQuery({ sort: [term('id')] }, { kind: 'offset', offset: 0, limit: 1 }),
    );
    expect(Object.keys(all.rows[0]?.row ?? {})).toEqual(['id', 'name', 'title', 'at', 'updated_at']);
  });

  it('the migration statements are idempotent, match the sorts, and quote every name', async () => {
    const statements = searchIndexStatements({
      schema: db.schema,
      table,
      fields: FIELDS,
      key: 'id',
      sorts: ['-at', 'name', [term('at', 'asc', 'first'), term('id', 'asc', 'first')]],
      updatedAtColumn: 'updated_at',
      concurrently: true,
    });
    expect(statements).toHaveLength(5);
    expect(statements[0]).toMatch(
      /^CREATE INDEX CONCURRENTLY IF NOT EXISTS "items_sort_[0-9a-f]{10}" ON "bp_test_src_[0-9a-f]{8}"\."items" \("at" DESC NULLS LAST, "id" DESC\)$/,
    );
    expect(statements[1]).toContain('("name" COLLATE "C" ASC, "id" ASC)');
    expect(statements[2]).toContain(
      `setweight(to_tsvector('english'::regconfig, coalesce("title", '')), 'A')`,
    );
    // `at asc nulls first, id` is `-at,-id` read backwards: one index serves both.
    expect(statements.filter((s) => s.includes('"at" ASC NULLS FIRST'))).toEqual([]);
    for (const sql of statements) await db.pool.query(sql);
    for (const sql of statements) await db.pool.query(sql);
  });
});
