/**
 * PostgreSQL for test files: whether it is available, a pool, and a throwaway schema per file (created
 * before the file's tests, dropped with everything in it afterwards, the pool ended).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, inject } from 'vitest';

/** The PostgreSQL URL found by the global setup, or undefined when suites needing it must skip. */
export function postgresUrl(): string | undefined {
  const status = inject('services').postgres;
  return status?.available ? status.url : undefined;
}

/** True when PostgreSQL-backed suites must be skipped. Use with `describe.skipIf(noPostgres)`. */
export const noPostgres = postgresUrl() === undefined;

/** A pool to the suite's PostgreSQL. */
export function connectPostgres(url = postgresUrl(), max = 6): pg.Pool {
  if (!url) throw new Error('PostgreSQL is not available for this run');
  const pool = new pg.Pool({ connectionString: url, max });
  pool.on('error', () => {});
  return pool;
}

/** A random schema name, so test files never share tables. */
export const randomSchemaName = (label = 't') =>
  `bp_test_${label.replace(/[^a-z0-9_]/g, '_')}_${randomBytes(4).toString('hex')}`;

/**
 * For a `describe.skipIf(noPostgres)` block (or a whole file): a pool and a fresh schema, dropped with
 * `CASCADE` and the pool ended after the block. Fields are unusable when PostgreSQL is absent.
 */
export function usePostgresSchema(
  label: string,
  max = 6,
): { readonly pool: pg.Pool; readonly schema: string } {
  const pool = noPostgres ? undefined : connectPostgres(undefined, max);
  const schema = randomSchemaName(label);
  beforeAll(async () => {
    await pool?.query(`CREATE SCHEMA "${schema}"`);
  });
  afterAll(async () => {
    if (!pool) return;
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pool.end();
  });
  return { pool: pool as pg.Pool, schema };
}
