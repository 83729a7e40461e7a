/**
 * The plan of a deep keyset page on 200k rows under a mixed-direction, nullable sort: each UNION ALL
 * branch is an index scan that stops after `limit + 1` rows, and nothing sorts the table. Structure is
 * asserted, never timing. `BP_PRINT_EXPLAIN=1` prints the EXPLAIN (ANALYZE, BUFFERS) text for the docs.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createPostgresSource, type PgPool } from '../../src/search/postgres.js';
import type { FieldMap, SourceSchema } from '../../src/search/types.js';
import { sourceQuery, term } from '../../src/testing/contracts/search-source-walk.js';
import { noPostgres, usePostgresSchema } from '../support/postgres.js';
import { migrate } from './postgres-helpers.js';

const FIELDS: FieldMap = {
  id: { type: 'integer' },
  category: { type: 'integer' },
  created_at: { type: 'timestamp', nullable: true },
};
const SCHEMA: SourceSchema = { fields: FIELDS, key: 'id', textWeights: { A: 1, B: 0.4, C: 0.2, D: 0.1 } };
const SORT = [term('category'), term('created_at', 'desc'), term('id')];
const ROWS = 200_000;
const DEPTH = 150_000;
const LIMIT = 20;

interface PlanNode {
  readonly 'Node Type': string;
  readonly 'Actual Rows'?: number;
  readonly 'Index Name'?: string;
  readonly Plans?: readonly PlanNode[];
}

const nodes = (node: PlanNode): PlanNode[] => [node, ...(node.Plans ?? []).flatMap(nodes)];

describe.skipIf(noPostgres)('postgres source: the plan of a deep mixed-direction keyset page', () => {
  const db = usePostgresSchema('explain');
  const statements: { sql: string; values: unknown[] }[] = [];
  // Records what the source sends; every call still goes to the real pool.
  const spy: PgPool = {
    query: (sql, values) => db.pool.query(sql, values),
    connect: async () => {
      const client = await db.pool.connect();
      return {
        query: (sql: string, values?: unknown[]) => {
          statements.push({ sql, values: values ?? [] });
          return client.query(sql, values);
        },
        release: (err?: Error | boolean) => client.release(err),
      };
    },
  };

  beforeAll(async () => {
    const t = `"${db.schema}".big`;
    await db.pool.query(
      `CREATE TABLE ${t} (id bigint PRIMARY KEY, category int NOT NULL, created_at timestamptz, title text)`,
    );
    await db.pool.query(
      `INSERT INTO ${t} SELECT i, i % 50, CASE WHEN i % 10 = 0 THEN NULL ELSE timestamptz '2026-01-01' + ((i * 7919) % 200000) * interval '1 second' + (i % 997) * interval '1 microsecond' END, 'row ' || i FROM generate_series(1, ${ROWS}) AS i`,
    );
    await migrate(db.pool, db.schema, 'big', FIELDS, 'id', [SORT]);
    await db.pool.query(`ANALYZE ${t}`);
  });

  it('every branch is an index scan of at most limit + 1 rows; no sort of the table; rows equal OFFSET', async () => {
    const t = `"${db.schema}".big`;
    const order = 'category ASC, created_at DESC NULLS LAST, id ASC';
    const edge = (
      await db.pool.query(
        `SELECT category, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at, id::float8 AS id FROM ${t} ORDER BY ${order} OFFSET ${DEPTH} LIMIT 1`,
      )
    ).rows[0];
    expect(edge.at).not.toBeNull(); // a non-null cursor value: all four branches exist
    const source = createPostgresSource({
      pool: spy,
      schema: db.schema,
      table: 'big',
      columns: ['id', 'title'],
    });
    source.bind(SCHEMA);
    const page = await source.query(
      sourceQuery(
        { sort: SORT },
        { kind: 'keyset', after: [edge.category, edge.at, edge.id], direction: 'forward', limit: LIMIT },
      ),
    );
    const offsetIds = (
      await db.pool.query(`SELECT id FROM ${t} ORDER BY ${order} OFFSET ${DEPTH + 1} LIMIT ${LIMIT + 1}`)
    ).rows.map((r) => Number(r.id));
    expect(page.rows.map((r) => Number(r.row.id))).toEqual(offsetIds);

    const statement = statements.find((s) => s.sql.includes('UNION ALL'));
    expect(statement).toBeDefined();
    const { sql, values } = statement ?? { sql: '', values: [] };
    const json = (await db.pool.query(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${sql}`, values)).rows[0][
      'QUERY PLAN'
    ];
    const all = nodes(json[0].Plan as PlanNode);
    const scans = all.filter((n) => n['Node Type'] === 'Index Scan' || n['Node Type'] === 'Index Only Scan');
    expect(all.filter((n) => n['Node Type'] === 'Seq Scan')).toEqual([]);
    expect(scans.length).toBe(4);
    for (const scan of scans) {
      expect(scan['Index Name']).toMatch(/^big_sort_/);
      expect(scan['Actual Rows']).toBeLessThanOrEqual(LIMIT + 1);
    }
    for (const sort of all.filter(
      (n) => n['Node Type'] === 'Sort' || n['Node Type'] === 'Incremental Sort',
    )) {
      expect(sort['Actual Rows']).toBeLessThanOrEqual(4 * (LIMIT + 1));
    }
    if (process.env.BP_PRINT_EXPLAIN) {
      const text = await db.pool.query(`EXPLAIN (ANALYZE, BUFFERS) ${sql}`, values);
      const offset = await db.pool.query(
        `EXPLAIN (ANALYZE, BUFFERS) SELECT id, title FROM ${t} ORDER BY ${order} LIMIT ${LIMIT + 1} OFFSET ${DEPTH + 1}`,
      );
      console.log(
        [
          '-- keyset SQL',
          sql,
          JSON.stringify(values),
          '-- keyset plan',
          ...text.rows.map((r) => r['QUERY PLAN']),
          '-- offset plan',
          ...offset.rows.map((r) => r['QUERY PLAN']),
        ].join('\n'),
      );
    }
  });
});
