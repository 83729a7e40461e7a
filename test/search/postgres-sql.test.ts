import { describe, expect, it } from 'vitest';
import { parseSourceOptions } from '../../src/search/postgres-options.js';
import { pageStatement } from '../../src/search/postgres-page.js';
import { bindTable } from '../../src/search/postgres-schema.js';
import { sqlContext } from '../../src/search/postgres-sql.js';
import type { FieldMap, SortTerm } from '../../src/search/types.js';
import { sourceQuery, term } from '../../src/testing/contracts/search-source-walk.js';

const FIELDS: FieldMap = {
  id: { type: 'integer' },
  name: { type: 'string' },
  at: { type: 'timestamp', column: 'created_at' },
  price: { type: 'number', nullable: true },
};
const table = bindTable(
  parseSourceOptions({ pool: { connect() {}, query() {} }, table: 'items', schema: 'app' }),
  {
    fields: FIELDS,
    key: 'id',
    textWeights: { A: 1, B: 0.4, C: 0.2, D: 0.1 },
  },
);
const build = (
  sort: readonly SortTerm[],
  after: (string | number | null)[],
  direction: 'forward' | 'backward' = 'forward',
) =>
  pageStatement(
    sqlContext(table, undefined),
    sourceQuery({ sort }, { kind: 'keyset', after, direction, limit: 10 }),
    ['t."id"'],
  );

describe('postgres page SQL', () => {
  it('same-direction non-null terms collapse into one row-value comparison, one branch, no UNION', () => {
    const s = build([term('at', 'desc'), term('id', 'desc')], ['2026-01-01T00:00:00.000001Z', 5]);
    expect(s.sql).not.toContain('UNION');
    expect(s.sql).toContain('WHERE (t."created_at", t."id") < ($2::timestamptz, $3)');
    expect(s.values).toEqual([11, '2026-01-01T00:00:00.000001Z', 5]);
    expect(s.sql).toContain('FROM "app"."items" AS t');
  });

  it('mixed directions split into UNION ALL branches with equality prefixes; text compares in COLLATE "C"', () => {
    const s = build(
      [term('name'), term('at', 'desc'), term('id', 'desc')],
      ["o'neil", '2026-01-01T00:00:00.000000Z', 3],
    );
    expect(s.sql.match(/UNION ALL/g)).toHaveLength(1);
    expect(s.sql).toContain('WHERE t."name" COLLATE "C" > $2 ORDER BY');
    expect(s.sql).toContain(
      'WHERE t."name" COLLATE "C" = $3 AND (t."created_at", t."id") < ($4::timestamptz, $5)',
    );
    expect(s.sql).not.toContain("o'neil");
  });

  it('a nullable term: a separate IS NULL branch for nulls last, never an OR; a null value drops or flips the branch', () => {
    const s = build([term('price'), term('id')], [9.5, 1]);
    expect(s.sql).not.toMatch(/ OR /);
    expect(s.sql).toContain('WHERE t."price" > $2 ORDER BY');
    expect(s.sql).toContain('WHERE t."price" IS NULL ORDER BY');
    expect(s.sql).toContain('WHERE t."price" = $3 AND t."id" > $4 ORDER BY');
    const atNull = build([term('price'), term('id')], [null, 1]);
    expect(atNull.sql).not.toContain('UNION');
    expect(atNull.sql).toContain('WHERE t."price" IS NULL AND t."id" > $2 ORDER BY');
    const first = build([term('price', 'asc', 'first'), term('id')], [null, 1]);
    expect(first.sql).toContain('WHERE t."price" IS NOT NULL ORDER BY');
  });

  it('backward reads flip every direction and nulls placement', () => {
    const s = build([term('price'), term('id')], [9.5, 1], 'backward');
    expect(s.backward).toBe(true);
    expect(s.sql).toContain('ORDER BY t."price" DESC NULLS FIRST, t."id" DESC');
    expect(s.sql).toContain('WHERE t."price" < $2 ORDER BY');
    expect(s.sql).not.toContain('IS NULL ORDER BY');
  });
});
