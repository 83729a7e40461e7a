import { randomBytes } from 'node:crypto';
import { createServer, type Server, Socket } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SearchTimeoutError } from '../../src/search/errors.js';
import { createPostgresSource } from '../../src/search/postgres.js';
import type { FieldMap, SourceQuery, SourceSchema } from '../../src/search/types.js';
import { sourceQuery, term } from '../../src/testing/contracts/search-source-walk.js';
import { noPostgres, postgresUrl, usePostgresSchema } from '../support/postgres.js';
import { createTable, insertRows } from './postgres-helpers.js';

const FIELDS: FieldMap = {
  id: { type: 'integer' },
  name: { type: 'string', facet: true },
};
const SCHEMA: SourceSchema = { fields: FIELDS, key: 'id', textWeights: { A: 1, B: 0.4, C: 0.2, D: 0.1 } };
const APP = `bp-search-timeout-${randomBytes(4).toString('hex')}`;

/** A TCP proxy to PostgreSQL that can stop passing the server's answers (a network that eats replies). */
async function startProxy(
  target: URL,
): Promise<{ url: string; freeze(frozen: boolean): void; close(): Promise<void> }> {
  let frozen = false;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = new Socket();
    sockets.add(client).add(upstream);
    upstream.connect(Number(target.port || 5432), target.hostname);
    client.on('data', (d) => upstream.write(d));
    upstream.on('data', (d) => {
      if (!frozen) client.write(d);
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const url = new URL(target.href);
  url.host = `127.0.0.1:${port}`;
  return {
    url: url.href,
    freeze: (value) => {
      frozen = value;
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe.skipIf(noPostgres)('postgres source: timeouts and the client deadline', () => {
  const db = usePostgresSchema('timeout');
  const pools: pg.Pool[] = [];
  const newPool = (max = 2, url = postgresUrl()) => {
    const pool = new pg.Pool({ connectionString: url, max, application_name: APP });
    pool.on('error', () => {});
    pools.push(pool);
    return pool;
  };
  const source = (pool: pg.Pool, table: string, extra: Record<string, unknown> = {}) => {
    const s = createPostgresSource({ pool, schema: db.schema, table, columns: ['id', 'name'], ...extra });
    s.bind(SCHEMA);
    return s;
  };
  const query = (
    over: Partial<SourceQuery>,
    page: SourceQuery['page'] = { kind: 'keyset', after: null, direction: 'forward', limit: 3 },
  ) => ({
    ...sourceQuery({ sort: [term('id')] }, page),
    timeoutMs: 400,
    ...over,
  });
  /** Sessions of this file's pools left inside a transaction (there must never be any). */
  const openTransactions = async () =>
    Number(
      (
        await db.pool.query(
          "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND state LIKE 'idle in transaction%'",
          [APP],
        )
      ).rows[0].count,
    );

  beforeAll(async () => {
    await createTable(db.pool, db.schema, 'items', FIELDS, 'id');
    await insertRows(
      db.pool,
      db.schema,
      'items',
      Array.from({ length: 300 }, (_, i) => ({ id: i, name: `n${i % 7}` })),
    );
    await db.pool.query(
      `CREATE FUNCTION "${db.schema}".slow_pass(ms int) RETURNS boolean LANGUAGE plpgsql VOLATILE AS $$ BEGIN PERFORM pg_sleep(ms / 1000.0); RETURN true; END $$`,
    );
    // Every row read costs 10 ms: a 3-row page by the primary key is quick, anything scanning all rows is 3 s.
    await db.pool.query(
      `CREATE VIEW "${db.schema}".slow_items AS SELECT * FROM "${db.schema}".items WHERE "${db.schema}".slow_pass(10)`,
    );
  });
  afterAll(async () => {
    await Promise.all(pools.map((p) => p.end()));
  });

  it('a page statement over its budget is cancelled by statement_timeout: SearchTimeoutError(page), SQLSTATE 57014', async () => {
    const pool = newPool();
    const s = source(pool, 'slow_items');
    // Sorting by name needs every row of the view, so the page itself scans 300 slow rows.
    const error = await s.query(query({ sort: [term('name'), term('id')] })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SearchTimeoutError);
    expect(error).toMatchObject({ part: 'page', timeoutMs: 400, httpStatus: 503 });
    expect((error as Error).cause).toMatchObject({ code: '57014' });
    expect(await openTransactions()).toBe(0);
    expect(pool.totalCount).toBe(1); // the connection went back to the pool, clean, and is reused
    expect((await s.query(query({}))).rows).toHaveLength(4);
  });

  it('an exact total over its budget degrades to the planner estimate; the page is still returned', async () => {
    const s = source(newPool(), 'slow_items');
    const result = await s.query(query({ total: 'exact' }));
    expect(result.rows.map((r) => r.keys)).toEqual([[0], [1], [2], [3]]);
    expect(result.degraded).toEqual(['total']);
    expect(result.total?.exact).toBe(false);
    expect(result.total?.value).toBeGreaterThan(0);
    expect(await openTransactions()).toBe(0);
  });

  it('facets over their budget are dropped and reported; an exhausted budget skips them', async () => {
    const s = source(newPool(), 'slow_items');
    const result = await s.query(query({ facets: [{ field: 'name', limit: 3 }] }));
    expect(result.rows).toHaveLength(4);
    expect(result.degraded).toEqual(['facets']);
    expect(result.facets).toBeUndefined();
    const both = await s.query(query({ total: 'exact', facets: [{ field: 'name', limit: 3 }] }));
    expect(both.degraded).toEqual(['total', 'facets']);
    expect(await openTransactions()).toBe(0);
  });

  it('a table locked by another connection: the waiting page is cancelled at the budget, nothing is left open', async () => {
    const pool = newPool();
    const s = source(pool, 'items');
    const locker = await db.pool.connect();
    try {
      await locker.query('BEGIN');
      await locker.query(`LOCK TABLE "${db.schema}".items IN ACCESS EXCLUSIVE MODE`);
      const error = await s.query(query({ timeoutMs: 300 })).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'ERR_SEARCH_TIMEOUT', part: 'page' });
      expect((error as Error).cause).toMatchObject({ code: '57014' });
    } finally {
      await locker.query('ROLLBACK');
      locker.release();
    }
    expect(await openTransactions()).toBe(0);
    expect((await s.query(query({ total: 'exact' }))).total).toEqual({ value: 300, exact: true });
  });

  it('a server that stops answering: the client deadline destroys the connection (never a hung request)', async () => {
    const target = new URL(postgresUrl() ?? '');
    const proxy = await startProxy(target);
    try {
      const pool = newPool(1, proxy.url);
      const s = source(pool, 'items', { deadlineGraceMs: 100 });
      expect((await s.query(query({}))).rows).toHaveLength(4); // warm: one idle connection
      expect(pool.totalCount).toBe(1);
      proxy.freeze(true);
      const error = await s.query(query({ timeoutMs: 200 })).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'ERR_SEARCH_TIMEOUT', part: 'page' });
      await expect.poll(() => pool.totalCount).toBe(0); // destroyed, not returned
      proxy.freeze(false);
      expect((await s.query(query({}))).rows).toHaveLength(4);
    } finally {
      await proxy.close();
    }
    await expect.poll(openTransactions).toBe(0);
  });

  it('an exhausted pool: the deadline covers waiting for a connection; the late one goes back unused', async () => {
    const pool = newPool(1);
    const s = source(pool, 'items', { deadlineGraceMs: 50 });
    const held = await pool.connect();
    const error = await s.query(query({ timeoutMs: 100 })).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ERR_SEARCH_TIMEOUT', part: 'page' });
    held.release();
    await expect.poll(() => pool.idleCount).toBe(1);
    expect(pool.waitingCount).toBe(0);
    expect((await s.query(query({}))).rows).toHaveLength(4);
  });

  it("the caller's abort signal ends a running query the same way", async () => {
    const pool = newPool();
    const s = source(pool, 'slow_items');
    const controller = new AbortController();
    const pending = s.query(
      query({ sort: [term('name'), term('id')], timeoutMs: 5000, signal: controller.signal }),
    );
    setTimeout(() => controller.abort(), 100);
    await expect(pending).rejects.toMatchObject({ code: 'ERR_SEARCH_TIMEOUT', part: 'page' });
    await expect.poll(() => pool.totalCount).toBe(0);
    await expect.poll(openTransactions).toBe(0);
  });
});
