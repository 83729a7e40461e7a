/**
 * Keyset walks while another connection writes: inserts, updates of non-sort columns, updates of sort
 * columns and deletes run between and during page reads. Checked against a SQL ground truth: every row
 * that existed for the whole walk with an unchanged sort key is seen exactly once and in order, and no
 * row is seen twice unless its sort key moved.
 */
import { describe, expect, it } from 'vitest';
import { createPostgresSource } from '../../src/search/postgres.js';
import type { FieldMap, FieldValue, SortTerm, SourceSchema } from '../../src/search/types.js';
import { seededRandom } from '../../src/testing/contracts/differential.js';
import { sourceQuery, term } from '../../src/testing/contracts/search-source-walk.js';
import { connectPostgres, noPostgres, usePostgresSchema } from '../support/postgres.js';
import { createTable, insertRows, migrate, randomTable } from './postgres-helpers.js';

const FIELDS: FieldMap = {
  id: { type: 'integer' },
  a: { type: 'integer' },
  b: { type: 'timestamp', nullable: true },
  c: { type: 'string', nullable: true },
  v: { type: 'integer' },
};
const SCHEMA: SourceSchema = { fields: FIELDS, key: 'id', textWeights: { A: 1, B: 0.4, C: 0.2, D: 0.1 } };

/** Each sort shape with the same order written by hand in SQL (the ground truth). */
const SHAPES: readonly [string, readonly SortTerm[], string][] = [
  ['single', [term('id')], 'id ASC'],
  ['multi-column', [term('a', 'desc'), term('id', 'desc')], 'a DESC, id DESC'],
  ['mixed directions', [term('a'), term('b', 'desc'), term('id')], 'a ASC, b DESC NULLS LAST, id ASC'],
  [
    'nullable',
    [term('c', 'desc'), term('b', 'asc', 'first'), term('id')],
    'c COLLATE "C" DESC NULLS LAST, b ASC NULLS FIRST, id ASC',
  ],
];

const ROWS = 1200;
const PAGE = 37;
const STRINGS = ['', 'a', 'B', 'b', 'é', 'x\u{1F600}', 'x\uFFFF', null] as const;

function randomRow(random: ReturnType<typeof seededRandom>, id: number) {
  const us = random.int(0, 5);
  return {
    id,
    a: random.int(0, 9),
    b: random.int(0, 3) === 0 ? null : `2026-01-0${random.int(1, 3)}T00:00:00.00000${us}Z`,
    c: random.pick(STRINGS),
    v: 0,
  };
}

describe.skipIf(noPostgres)('postgres source: keyset walks under concurrent writes', () => {
  const db = usePostgresSchema('conc', 4);

  async function walk(
    table: string,
    sort: readonly SortTerm[],
    direction: 'forward' | 'backward',
    seed: number,
  ) {
    const pool = db.pool;
    const q = (name: string) => `"${db.schema}"."${name}"`;
    const random = seededRandom(seed);
    // Initial ids are even; inserts take odd ids, so they land between existing rows in every sort.
    await insertRows(
      pool,
      db.schema,
      table,
      Array.from({ length: ROWS }, (_, i) => randomRow(random, i * 2)),
    );
    await pool.query(`CREATE TABLE ${q(`${table}_start`)} AS SELECT * FROM ${q(table)}`);
    await pool.query(`CREATE TABLE ${q(`${table}_moved`)} (id bigint NOT NULL)`);

    const writer = connectPostgres(undefined, 1);
    const counts = { insert: 0, touch: 0, move: 0, delete: 0 };
    let done = false;
    let opsDone = 0;
    const writes = (async () => {
      while (!done) {
        const id = random.int(0, ROWS * 2);
        const op = random.pick(['insert', 'touch', 'move', 'delete'] as const);
        if (op === 'insert') {
          const row = randomRow(random, id | 1);
          await writer.query(
            `INSERT INTO ${q(table)} (id, a, b, c, v) VALUES ($1, $2, $3, $4, 0) ON CONFLICT (id) DO NOTHING`,
            [row.id, row.a, row.b, row.c],
          );
        } else if (op === 'touch') {
          await writer.query(`UPDATE ${q(table)} SET v = v + 1 WHERE id = $1`, [id]);
        } else if (op === 'move') {
          const row = randomRow(random, id);
          await writer.query(
            `WITH u AS (UPDATE ${q(table)} SET a = $2, b = $3, c = $4 WHERE id = $1 RETURNING id) INSERT INTO ${q(`${table}_moved`)} SELECT id FROM u`,
            [id, row.a, row.b, row.c],
          );
        } else {
          await writer.query(`DELETE FROM ${q(table)} WHERE id = $1`, [id]);
        }
        counts[op]++;
        opsDone++;
      }
    })();

    const source = createPostgresSource({ pool, schema: db.schema, table, columns: ['id'] });
    source.bind(SCHEMA);
    const pages: number[][] = [];
    let after: readonly FieldValue[] | null = null;
    try {
      for (let i = 0; i < 1000; i++) {
        const result = await source.query(
          sourceQuery({ sort }, { kind: 'keyset', after, direction, limit: PAGE }),
        );
        // Rows come in sort order either way; the extra row (more to read) is the one farthest from the cursor.
        const taken = direction === 'forward' ? result.rows.slice(0, PAGE) : result.rows.slice(-PAGE);
        const edge = direction === 'forward' ? taken[taken.length - 1] : taken[0];
        pages.push(taken.map((r) => Number(r.row.id)));
        if (result.rows.length <= PAGE || edge === undefined) break;
        after = edge.keys;
        // Let the writer get a few statements in between pages (it also runs during them).
        const target = opsDone + 3;
        while (opsDone < target) await new Promise((resolve) => setImmediate(resolve));
      }
    } finally {
      done = true;
      await writes;
      await writer.end();
    }
    const seen = (direction === 'forward' ? pages : pages.reverse()).flat();
    const ids = async (sql: string) => (await pool.query(sql)).rows.map((r) => Number(r.id));
    const order = SHAPES.find(([, s]) => s === sort)?.[2] ?? '';
    const stable = await ids(
      `SELECT s.id FROM ${q(`${table}_start`)} s JOIN ${q(table)} t USING (id) WHERE s.id NOT IN (SELECT id FROM ${q(`${table}_moved`)}) ORDER BY ${order.replace(/\b(a|b|c|id)\b/g, 's.$1')}`,
    );
    const moved = new Set(await ids(`SELECT id FROM ${q(`${table}_moved`)}`));
    return { seen, stable, moved, counts };
  }

  for (const [label, sort] of SHAPES) {
    for (const direction of ['forward', 'backward'] as const) {
      it(`${label} sort, walked ${direction}: stable rows once and in order, repeats only for moved keys`, async () => {
        const table = randomTable('w');
        await createTable(db.pool, db.schema, table, FIELDS, 'id');
        await migrate(db.pool, db.schema, table, FIELDS, 'id', [sort]);
        const { seen, stable, moved, counts } = await walk(
          table,
          sort,
          direction,
          label.length * 7 + direction.length,
        );
        const stableSet = new Set(stable);
        expect(seen.filter((id) => stableSet.has(id))).toEqual(stable);
        const once = new Set<number>();
        for (const id of seen) {
          if (once.has(id)) expect(moved.has(id), `id ${id} seen twice without a sort key change`).toBe(true);
          once.add(id);
        }
        expect(stable.length).toBeGreaterThan(ROWS / 2);
        expect(Math.min(counts.insert, counts.touch, counts.move, counts.delete)).toBeGreaterThan(0);
      });
    }
  }
});
