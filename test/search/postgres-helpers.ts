/**
 * Tables for the PostgreSQL source tests: a table made from a field map (one column per field, typed by
 * field type), rows inserted in one parameterised statement, the search indexes migrated.
 */
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { migrateSearchIndexes } from '../../src/search/postgres.js';
import type { FieldMap, FieldType, SortTerm } from '../../src/search/types.js';

const COLUMN_TYPES: Record<FieldType, string> = {
  string: 'text',
  number: 'double precision',
  integer: 'bigint',
  boolean: 'boolean',
  timestamp: 'timestamptz',
};

/** A random table name. */
export const randomTable = (label = 't') => `${label}_${randomBytes(4).toString('hex')}`;

/** Creates `"schema"."table"` with a column per field (the key is the primary key). */
export async function createTable(
  pool: pg.Pool,
  schema: string,
  table: string,
  fields: FieldMap,
  key: string,
  extra: readonly string[] = [],
): Promise<void> {
  const columns = Object.entries(fields).map(([name, spec]) => {
    const notNull = spec.nullable ? '' : ' NOT NULL';
    return `"${spec.column ?? name}" ${COLUMN_TYPES[spec.type]}${notNull}${name === key ? ' PRIMARY KEY' : ''}`;
  });
  await pool.query(`CREATE TABLE "${schema}"."${table}" (${[...columns, ...extra].join(', ')})`);
}

/** Inserts rows (objects keyed by column) in batches of parameterised multi-row INSERTs. */
export async function insertRows(
  pool: pg.Pool | pg.PoolClient,
  schema: string,
  table: string,
  rows: readonly Readonly<Record<string, unknown>>[],
): Promise<void> {
  const first = rows[0];
  if (first === undefined) return;
  const columns = Object.keys(first);
  const batch = Math.max(1, Math.floor(30_000 / columns.length));
  for (let start = 0; start < rows.length; start += batch) {
    const values: unknown[] = [];
    const tuples = rows.slice(start, start + batch).map((row) => {
      const marks = columns.map((c) => {
        values.push(row[c] ?? null);
        return `$${values.length}`;
      });
      return `(${marks.join(', ')})`;
    });
    const names = columns.map((c) => `"${c}"`).join(', ');
    await pool.query(`INSERT INTO "${schema}"."${table}" (${names}) VALUES ${tuples.join(', ')}`, values);
  }
}

/** Migrates the search indexes of `sorts` (and the tsvector column when fields have text weights). */
export async function migrate(
  pool: pg.Pool,
  schema: string,
  table: string,
  fields: FieldMap,
  key: string,
  sorts: readonly (string | readonly SortTerm[])[],
): Promise<string[]> {
  return migrateSearchIndexes(pool, { schema, table, fields, key, sorts });
}
