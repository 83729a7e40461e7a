/**
 * The PostgreSQL `SearchSource`: one page query (offset, or keyset seeks in UNION ALL), then the
 * freshness watermark, total and facets, all in one snapshot within the query's budget. The page
 * timing out throws; the other parts degrade on their own timeout and say so in `degraded`.
 */
import { InvalidArgumentError } from '../core/errors.js';
import {
  type ParsedSourceOptions,
  type PostgresSourceOptions,
  parseSourceOptions,
  quoteIdent,
} from './postgres-options.js';
import { isExtraColumn, KEY_ALIAS, type PageStatement, pageStatement } from './postgres-page.js';
import {
  columnsStatement,
  countStatement,
  countValue,
  estimateStatement,
  facetStatement,
  fieldValue,
  freshnessStatement,
  planRows,
} from './postgres-parts.js';
import { type Snapshot, withSnapshot } from './postgres-run.js';
import { type BoundTable, bindTable } from './postgres-schema.js';
import { sqlContext } from './postgres-sql.js';
import type {
  FacetCounts,
  Freshness,
  SearchSource,
  SourceQuery,
  SourceResult,
  SourceRow,
  Total,
} from './types.js';

type Rows = readonly Record<string, unknown>[];

function toSourceRows<Row>(rows: Rows, page: PageStatement): SourceRow<Row>[] {
  const out = rows.map((r) => {
    const row: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(r)) if (!isExtraColumn(name)) row[name] = value;
    const keys = page.readSort.map((_, i) => fieldValue(r[`${KEY_ALIAS}${i}`], 'a sort key'));
    return { row: row as Row, keys };
  });
  return page.backward ? out.reverse() : out;
}

/** Budget kept back from an exact count so the planner estimate can still answer when the count runs out. */
const estimateReserveMs = (timeoutMs: number): number => Math.min(50, Math.floor(timeoutMs / 10));

async function readTotal(
  snap: Snapshot,
  table: BoundTable,
  query: SourceQuery,
  degraded: ('total' | 'facets')[],
): Promise<Total | undefined> {
  let total: Total | undefined;
  const estimate = () =>
    snap.optional(async () => {
      const ctx = sqlContext(table, query.text);
      total = { value: planRows(await snap.run('total', estimateStatement(ctx, query))), exact: false };
    });
  if (query.total === 'estimated') {
    if (!(await estimate())) degraded.push('total');
    return total;
  }
  const exact = await snap.optional(async () => {
    const ctx = sqlContext(table, query.text);
    const rows = await snap.run('total', countStatement(ctx, query), estimateReserveMs(query.timeoutMs));
    total = { value: countValue(rows[0]?.n, 'count(*)'), exact: true };
  });
  if (!exact) {
    degraded.push('total');
    await estimate();
  }
  return total;
}

async function readFacets(
  snap: Snapshot,
  table: BoundTable,
  query: SourceQuery,
): Promise<FacetCounts[] | undefined> {
  const facets: FacetCounts[] = [];
  const done = await snap.optional(async () => {
    for (const { field, limit } of query.facets) {
      const rows = await snap.run(
        'facets',
        facetStatement(sqlContext(table, query.text), query, field, limit),
      );
      const values = rows.map((r) => ({
        value: fieldValue(r.v, 'a facet value'),
        count: countValue(r.n, 'a facet count'),
      }));
      facets.push({ field, values });
    }
  });
  return done ? facets : undefined;
}

async function readFreshness(snap: Snapshot, table: BoundTable): Promise<Freshness> {
  let newest: number | null = null;
  const updatedAt = table.updatedAt;
  if (updatedAt !== undefined) {
    await snap.optional(async () => {
      const rows = await snap.run('page', freshnessStatement(sqlContext(table, undefined), updatedAt));
      const ms = rows[0]?.ms;
      newest = typeof ms === 'number' && Number.isFinite(ms) ? ms : null;
    });
  }
  // The table is the source of truth: whatever it holds is what the search sees.
  return { consistency: 'strong', sourceNewestMs: newest, indexedThroughMs: newest, lagMs: 0 };
}

/** The PostgreSQL source. `close()` releases nothing: the pool is yours. */
export interface PostgresSource<Row = Record<string, unknown>> extends SearchSource<Row> {
  readonly kind: 'postgres';
}

/**
 * Creates a search source over one PostgreSQL table or view, queried through your `pg` pool.
 *
 * @example
 * ```ts nocheck
 * import pg from 'pg';
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
 * const source = createPostgresSource({ pool, table: 'articles', updatedAtColumn: 'updated_at' });
 * const paginator = createPaginator({ source, fields, sorts: ['-createdAt'], cursorKeys });
 * ```
 */
export function createPostgresSource<Row = Record<string, unknown>>(
  options: PostgresSourceOptions,
): PostgresSource<Row> {
  const o: ParsedSourceOptions = parseSourceOptions(options);
  let table: BoundTable | undefined;
  let rowColumns: readonly string[] | undefined = o.columns?.map((c) => `t.${quoteIdent(c)}`);

  const columnsOf = async (snap: Snapshot, bound: BoundTable): Promise<readonly string[]> => {
    if (rowColumns) return rowColumns;
    const rows = await snap.run('page', columnsStatement(bound.relation));
    const names = rows.map((r) => String(r.attname)).filter((n) => n !== o.tsvectorColumn);
    rowColumns = names.map((n) => `t.${quoteIdent(n)}`);
    return rowColumns;
  };

  return {
    kind: 'postgres',
    capabilities: { text: true, estimatedTotal: true, maxOffset: null },
    bind(schema) {
      table = bindTable(o, schema);
    },
    async query(query: SourceQuery): Promise<SourceResult<Row>> {
      const bound = table;
      if (bound === undefined)
        throw new InvalidArgumentError('createPostgresSource: bind() must be called before query()');
      const budget = {
        timeoutMs: query.timeoutMs,
        graceMs: o.deadlineGraceMs,
        clock: o.clock,
        signal: query.signal,
      };
      return withSnapshot(o.pool, budget, async (snap) => {
        const columns = await columnsOf(snap, bound);
        const page = pageStatement(sqlContext(bound, query.text), query, columns);
        const rows = toSourceRows<Row>(await snap.run('page', page), page);
        const freshness = await readFreshness(snap, bound);
        const degraded: ('total' | 'facets')[] = [];
        const total = query.total === 'none' ? undefined : await readTotal(snap, bound, query, degraded);
        const facets = query.facets.length === 0 ? undefined : await readFacets(snap, bound, query);
        if (query.facets.length > 0 && facets === undefined) degraded.push('facets');
        return {
          rows,
          ...(total === undefined ? {} : { total }),
          ...(facets === undefined ? {} : { facets }),
          freshness,
          degraded,
        };
      });
    },
  };
}
