/**
 * The raw-SQL side: plain `pg` queries of the same shape as the PostgreSQL source's (the columns it reads,
 * row-value keyset predicates, one UNION ALL branch per way a row can come after a nullable mixed-direction
 * key, `LIMIT n + 1`), written by hand, so the difference to ours is the paginator's and the source's own
 * overhead (validation, cursor signing and checks, key formatting, the transaction).
 */
import type { Pool } from 'pg';

/** The two sort shapes measured: one column, and a nullable ascending column before a descending one. */
export type SortShape = 'single' | 'mixed';

/** The client sort strings (JSON:API syntax) of each shape. */
export const SORTS: Readonly<Record<SortShape, string>> = {
  single: '-createdAt',
  mixed: 'category,-createdAt',
};

// Spelled as the migration helper's indexes are: NULLS LAST on the nullable `category` only (on a NOT
// NULL column the clause changes no order but would keep PostgreSQL from using a plain DESC index).
const ORDER: Readonly<Record<SortShape, string>> = {
  single: 'created_at DESC, id DESC',
  mixed: 'category ASC NULLS LAST, created_at DESC, id DESC',
};

const COLUMNS = 'id, created_at, category, price, title, body';
/** A hand-written keyset query needs the key at microseconds too (a `Date` would round it to ms). */
const KEY_AT_US = `to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created_at_us`;

/** The sort values of the row a keyset page continues after; `createdAt` at microseconds. */
export interface RawKey {
  readonly category: number | null;
  readonly createdAt: string;
  readonly id: string;
}

/** The raw queries of one table (`schema.table`, trusted identifiers of the bench's own). */
export interface RawSql {
  offsetPage(shape: SortShape, offset: number, limit: number): Promise<string[]>;
  /**
   * The same offset page as a deferred join: the OFFSET walks the sort index alone (an index-only scan
   * when the visibility map is current), and only the page's rows are read from the table.
   */
  offsetDeferred(shape: SortShape, offset: number, limit: number): Promise<string[]>;
  /** Rows after `after` (or the first page), `limit + 1` read as the source does. */
  keysetPage(shape: SortShape, after: RawKey | null, limit: number): Promise<string[]>;
  /** The key of the row at 0-based position `index` in the shape's order (setup, not measured). */
  keyAt(shape: SortShape, index: number): Promise<RawKey>;
  textPage(text: string, order: 'relevance' | 'createdAt', limit: number): Promise<string[]>;
}

const ids = (rows: readonly { id: string }[]) => rows.map((r) => String(r.id));

/** The raw queries on `qualified` (`"schema"."table"`), text on its `tsvColumn`. */
export function rawSql(pool: Pool, qualified: string, tsvColumn = 'search_tsv'): RawSql {
  return {
    async offsetPage(shape, offset, limit) {
      const { rows } = await pool.query<{ id: string }>(
        `SELECT ${COLUMNS} FROM ${qualified} ORDER BY ${ORDER[shape]} LIMIT $1 OFFSET $2`,
        [limit + 1, offset],
      );
      return ids(rows).slice(0, limit);
    },
    async offsetDeferred(shape, offset, limit) {
      const keys = shape === 'single' ? 'id, created_at' : 'id, category, created_at';
      const { rows } = await pool.query<{ id: string }>(
        `SELECT ${COLUMNS.split(', ')
          .map((c) => `t.${c}`)
          .join(', ')} FROM ${qualified} AS t
           JOIN (SELECT ${keys} FROM ${qualified} ORDER BY ${ORDER[shape]} LIMIT $1 OFFSET $2) AS p USING (id)
          ORDER BY ${ORDER[shape].replaceAll(/(category|created_at|id) /g, 'p.$1 ')}`,
        [limit + 1, offset],
      );
      return ids(rows).slice(0, limit);
    },
    async keysetPage(shape, after, limit) {
      const { text, values } = keysetQuery(qualified, shape, after, limit + 1);
      const { rows } = await pool.query<{ id: string }>(text, values);
      return ids(rows).slice(0, limit);
    },
    async keyAt(shape, index) {
      const { rows } = await pool.query<{ category: number | null; created_at: string; id: string }>(
        `SELECT category, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created_at, id
           FROM ${qualified} ORDER BY ${ORDER[shape]} LIMIT 1 OFFSET $1`,
        [index],
      );
      const row = rows[0];
      if (!row) throw new Error(`no row at position ${index} of ${qualified}`);
      return { category: row.category, createdAt: row.created_at, id: String(row.id) };
    },
    async textPage(text, order, limit) {
      const rank = `ts_rank('{0.1, 0.2, 0.4, 1}', ${tsvColumn}, q)::float8`;
      const orderBy = order === 'relevance' ? `${rank} DESC, id DESC` : ORDER.single;
      const { rows } = await pool.query<{ id: string }>(
        `SELECT ${COLUMNS}, ${rank} AS relevance FROM ${qualified}, websearch_to_tsquery('english', $1) AS q
          WHERE ${tsvColumn} @@ q ORDER BY ${orderBy} LIMIT $2`,
        [text, limit + 1],
      );
      return ids(rows).slice(0, limit);
    },
  };
}

/** The keyset statement: one row comparison for `single`; UNION ALL branches for `mixed`. */
export function keysetQuery(
  qualified: string,
  shape: SortShape,
  after: RawKey | null,
  fetch: number,
): { text: string; values: unknown[] } {
  const select = (where: string) =>
    `(SELECT ${COLUMNS}, ${KEY_AT_US} FROM ${qualified} WHERE ${where} ORDER BY ${ORDER[shape]} LIMIT $1)`;
  if (after === null) return { text: select('true'), values: [fetch] };
  const tail = '(created_at, id) < ($2::timestamptz, $3::bigint)';
  if (shape === 'single') return { text: select(tail), values: [fetch, after.createdAt, after.id] };
  // category ASC NULLS LAST: after a non-null category come equal categories further on, greater
  // categories, then the nulls; after a null category only the rest of the null group.
  const branches =
    after.category === null
      ? [select(`category IS NULL AND ${tail}`)]
      : [select(`category = $4 AND ${tail}`), select('category > $4'), select('category IS NULL')];
  const values =
    after.category === null
      ? [fetch, after.createdAt, after.id]
      : [fetch, after.createdAt, after.id, after.category];
  return {
    text: `SELECT * FROM (${branches.join(' UNION ALL ')}) AS page ORDER BY ${ORDER[shape]} LIMIT $1`,
    values,
  };
}
