/**
 * The bench's tables, built in PostgreSQL with one `INSERT ... SELECT generate_series` each and reused
 * across runs: a row of `<schema>.meta` records each table's generator version, size and index statements,
 * and a table whose row says the same is kept as it is (building 1M rows takes minutes on this machine).
 *
 * Columns: `id bigint` primary key; `created_at timestamptz` with microseconds and duplicates (slots of
 * 65.700123 s over about two years, 0.8 slots per row, so many rows share an instant and only the key
 * orders them); `category int`, null for about 5 % of rows; `price float8`; `title` (3-6 words) and
 * `body` (15-30 words) drawn from the vocabulary with a skew (rank ∝ u², a few words in many rows). The
 * pseudo-random draws are `hashint8` of the row id, so a table is the same on every build.
 */
import { createHash } from 'node:crypto';
import type { Pool } from 'pg';
import { candidateWords } from './words.js';

/** Bumped whenever the generator changes, so old tables are rebuilt. */
export const DATA_VERSION = 1;

/** One table to have: its name, rows, and the statements that create its indexes (the migration helper's). */
export interface TableSpec {
  readonly table: string;
  readonly rows: number;
  readonly indexStatements: readonly string[];
}

/** What `ensureTable` did. */
export interface TableState {
  readonly table: string;
  readonly rows: number;
  readonly reused: boolean;
  /** Time to build, ms: this run's, or the recorded one when reused. */
  readonly buildMs: number;
  readonly sizeBytes: number;
}

const IDENT = /^[a-z_][a-z0-9_]{0,62}$/;

function ident(name: string): string {
  if (!IDENT.test(name)) throw new Error(`not a plain identifier: ${JSON.stringify(name)}`);
  return `"${name}"`;
}

/** Creates the schema, its meta table and the draw function; returns the vocabulary PostgreSQL keeps unstemmed. */
export async function prepareSchema(pool: Pool, schema: string, wordCount = 2000): Promise<string[]> {
  const s = ident(schema);
  await pool.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
  await pool.query(
    `CREATE TABLE IF NOT EXISTS ${s}.meta (name text PRIMARY KEY, version int NOT NULL, rows bigint NOT NULL,
       indexes text NOT NULL, build_ms float8 NOT NULL, built_at timestamptz NOT NULL DEFAULT now())`,
  );
  // u(id, k): a uniform draw in [0, 1) from the row id and the draw's number, the same on every build.
  await pool.query(
    `CREATE OR REPLACE FUNCTION ${s}.u(id bigint, k int) RETURNS float8 LANGUAGE sql IMMUTABLE PARALLEL SAFE
       AS $$ SELECT (hashint8(id * 1024 + k) & 2147483647)::float8 / 2147483648 $$`,
  );
  return vocabulary(pool, wordCount);
}

/** The first `count` candidate words that `to_tsvector('english', w)` keeps as the single lexeme `w`. */
async function vocabulary(pool: Pool, count: number): Promise<string[]> {
  const candidates = candidateWords(count * 2);
  const { rows } = await pool.query<{ w: string }>(
    `SELECT w FROM unnest($1::text[]) WITH ORDINALITY AS c(w, n)
      WHERE to_tsvector('english', w)::text = quote_literal(w) || ':1' ORDER BY n`,
    [candidates],
  );
  const words = rows.map((r) => r.w).slice(0, count);
  if (words.length < count) throw new Error(`only ${words.length} unstemmed words of ${candidates.length}`);
  return words;
}

const digest = (statements: readonly string[]) =>
  createHash('sha256').update(statements.join(';\n')).digest('hex').slice(0, 16);

/**
 * Builds `spec.table` unless the meta row says it exists with this version and size, then (re)creates its
 * indexes unless the meta row says they are these: new index statements do not regenerate the rows.
 */
export async function ensureTable(
  pool: Pool,
  schema: string,
  words: readonly string[],
  spec: TableSpec,
  log: (line: string) => void = () => {},
): Promise<TableState> {
  const s = ident(schema);
  const t = `${s}.${ident(spec.table)}`;
  const indexes = digest(spec.indexStatements);
  const { rows: meta } = await pool.query<{
    version: number;
    rows: string;
    indexes: string;
    build_ms: number;
  }>(`SELECT version, rows, indexes, build_ms FROM ${s}.meta WHERE name = $1`, [spec.table]);
  const recorded = meta[0];
  const dataOk =
    recorded !== undefined &&
    recorded.version === DATA_VERSION &&
    Number(recorded.rows) === spec.rows &&
    (await tableExists(pool, schema, spec.table));
  if (dataOk && recorded.indexes === indexes) {
    return { ...spec, reused: true, buildMs: recorded.build_ms, sizeBytes: await size(pool, t) };
  }
  const started = performance.now();
  if (!dataOk) await buildRows(pool, s, t, words, spec, log);
  else await dropIndexes(pool, schema, spec.table);
  for (const statement of spec.indexStatements) await pool.query(statement);
  // VACUUM sets the visibility map (index-only scans) and ANALYZE the statistics the planner needs.
  await pool.query(`VACUUM (ANALYZE) ${t}`);
  const buildMs = performance.now() - started + (dataOk ? recorded.build_ms : 0);
  log(`  ${spec.table}: indexed and analysed, ${(buildMs / 1000).toFixed(1)} s in all`);
  await pool.query(
    `INSERT INTO ${s}.meta (name, version, rows, indexes, build_ms) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (name) DO UPDATE SET version = $2, rows = $3, indexes = $4, build_ms = $5, built_at = now()`,
    [spec.table, DATA_VERSION, spec.rows, indexes, buildMs],
  );
  return { table: spec.table, rows: spec.rows, reused: false, buildMs, sizeBytes: await size(pool, t) };
}

const BASE_COLUMNS = ['id', 'created_at', 'category', 'price', 'title', 'body'];

async function buildRows(
  pool: Pool,
  s: string,
  t: string,
  words: readonly string[],
  spec: TableSpec,
  log: (line: string) => void,
) {
  log(`building ${t}: ${spec.rows.toLocaleString('en')} rows`);
  const started = performance.now();
  await pool.query(`DROP TABLE IF EXISTS ${t}`);
  await pool.query(
    `CREATE TABLE ${t} (id bigint PRIMARY KEY, created_at timestamptz NOT NULL, category int,
       price float8 NOT NULL, title text NOT NULL, body text NOT NULL)`,
  );
  await insertRows(pool, s, t, words, spec.rows);
  log(`  rows inserted in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

/** Drops every index but the primary key, and the columns the migration helper added (a tsvector). */
async function dropIndexes(pool: Pool, schema: string, table: string) {
  const { rows: indexes } = await pool.query<{ name: string }>(
    `SELECT indexname AS name FROM pg_indexes WHERE schemaname = $1 AND tablename = $2 AND indexname <> $3`,
    [schema, table, `${table}_pkey`],
  );
  for (const { name } of indexes)
    await pool.query(`DROP INDEX ${ident(schema)}."${name.replaceAll('"', '""')}"`);
  const { rows: columns } = await pool.query<{ name: string }>(
    `SELECT column_name AS name FROM information_schema.columns
      WHERE table_schema = $1 AND table_name = $2 AND NOT (column_name = ANY($3::text[]))`,
    [schema, table, BASE_COLUMNS],
  );
  for (const { name } of columns)
    await pool.query(`ALTER TABLE ${ident(schema)}.${ident(table)} DROP COLUMN ${ident(name)}`);
}

async function tableExists(pool: Pool, schema: string, table: string): Promise<boolean> {
  const { rows } = await pool.query<{ found: boolean }>('SELECT to_regclass($1) IS NOT NULL AS found', [
    `"${schema}"."${table}"`,
  ]);
  return rows[0]?.found === true;
}

async function size(pool: Pool, qualified: string): Promise<number> {
  const { rows } = await pool.query<{ bytes: string }>(
    'SELECT pg_total_relation_size($1::regclass) AS bytes',
    [qualified],
  );
  return Number(rows[0]?.bytes ?? 0);
}

async function insertRows(pool: Pool, s: string, t: string, words: readonly string[], rows: number) {
  await pool.query(`DROP TABLE IF EXISTS ${s}.words`);
  await pool.query(`CREATE TABLE ${s}.words (n int PRIMARY KEY, w text NOT NULL)`);
  await pool.query(`INSERT INTO ${s}.words SELECT n, w FROM unnest($1::text[]) WITH ORDINALITY AS v(w, n)`, [
    words,
  ]);
  // A scalar lookup per word: subscripting a text[] parameter walks the array on every access.
  const pick = (k: string) => `(SELECT w FROM ${s}.words WHERE n = 1 + floor($1 * ${s}.u(g, ${k}) ^ 2)::int)`;
  await pool.query(
    `INSERT INTO ${t} (id, created_at, category, price, title, body)
     SELECT g,
       timestamptz '2024-01-01 00:00:00+00' + make_interval(secs => floor(${s}.u(g, 1) * $2 * 0.8) * 65.700123),
       CASE WHEN ${s}.u(g, 2) < 0.05 THEN NULL ELSE floor(${s}.u(g, 3) * 50)::int END,
       round((${s}.u(g, 4) * 1000)::numeric, 2)::float8,
       array_to_string(ARRAY(SELECT ${pick('10 + k')} FROM generate_series(1, 3 + (g % 4)::int) AS k), ' '),
       array_to_string(ARRAY(SELECT ${pick('100 + k')} FROM generate_series(1, 15 + (hashint8(g) & 15)) AS k), ' ')
     FROM generate_series(1, $2::bigint) AS g`,
    [words.length, rows],
  );
}
