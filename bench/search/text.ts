/**
 * The full-text case: one corpus (the text table, `textRows` rows) in PostgreSQL and, read back from it,
 * in the memory source; the same queries of 1-3 words through a paginator on each, first pages of 20 by
 * relevance and by `-createdAt`, next to raw SQL of the PostgreSQL source's shape.
 *
 * Before timing, both engines must agree on each query's matches: the exact total and the `-createdAt`
 * first page (the same rows in the same order; relevance scores differ between engines by design, so
 * relevance pages are only timed). The memory source's heap cost is measured around its load.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Paginator } from '../../src/search/index.js';
import type { Built } from './built.js';
import { CURSOR_KEYS, TEXT_FIELDS, TEXT_SORTS } from './fields.js';
import type { Task } from './measure.js';
import type { BenchRow } from './paging.js';
import type { RawSql } from './raw.js';

type Pool = Parameters<Built['postgres']['createPostgresSource']>[0]['pool'];

/** The corpus rows as the memory source holds them: the key a number, timestamps at microseconds. */
export async function readCorpus(pool: Pool, qualified: string): Promise<BenchRow[]> {
  const { rows } = await pool.query(
    `SELECT id::float8 AS id, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created_at,
            category, price, title, body FROM ${qualified} ORDER BY id`,
  );
  return rows.map((r) => ({ ...r }));
}

const paginatorOptions = {
  fields: TEXT_FIELDS,
  key: 'id',
  sorts: TEXT_SORTS,
  timeoutMs: 60_000,
  cursorKeys: CURSOR_KEYS,
} as const;

/** The two text paginators; the memory one is loaded with `rows`, its heap cost measured. */
export async function textPaginators(
  built: Built,
  pool: Pool,
  where: { readonly schema: string; readonly table: string },
  rows: readonly BenchRow[],
  probe: string,
): Promise<{ postgres: Paginator<BenchRow>; memory: Paginator<BenchRow>; memoryHeapBytes: number }> {
  const postgres = built.search.createPaginator<BenchRow>({
    ...paginatorOptions,
    source: built.postgres.createPostgresSource({ pool, schema: where.schema, table: where.table }),
    name: 'bench-pg',
  });
  const before = heapAfterGc();
  const memory = built.search.createPaginator<BenchRow>({
    ...paginatorOptions,
    source: built.search.createMemorySource<BenchRow>({ rows }),
    name: 'bench-memory',
  });
  // The text index and the sorted arrays may be built lazily: a query of each kind first.
  await memory.cursorPage({ search: probe, sort: 'relevance', first: 1 });
  await memory.cursorPage({ search: probe, sort: '-createdAt', first: 1 });
  await memory.cursorPage({ sort: '-createdAt', first: 1 });
  return { postgres, memory, memoryHeapBytes: heapAfterGc() - before };
}

let gc: (() => void) | undefined;

/** Heap used after a full collection (`--expose-gc` switched on at run time for this). */
function heapAfterGc(): number {
  if (gc === undefined) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

const ids = (page: { readonly items: readonly BenchRow[] }) => page.items.map((r) => String(r.id));

/** How many queries both engines answer alike (exact total and the `-createdAt` first page). */
export async function agreement(
  postgres: Paginator<BenchRow>,
  memory: Paginator<BenchRow>,
  queries: readonly string[],
  pageSize: number,
): Promise<{ agreed: number; matchesPerQuery: number[]; disagreements: string[] }> {
  const disagreements: string[] = [];
  const matchesPerQuery: number[] = [];
  for (const search of queries) {
    const input = { search, sort: '-createdAt', first: pageSize, total: 'exact' } as const;
    const [pg, mem] = [await postgres.cursorPage(input), await memory.cursorPage(input)];
    matchesPerQuery.push(pg.total?.value ?? Number.NaN);
    if (pg.total?.value !== mem.total?.value || ids(pg).join() !== ids(mem).join()) {
      disagreements.push(
        `${JSON.stringify(search)}: postgres ${pg.total?.value}, memory ${mem.total?.value}`,
      );
    }
  }
  return { agreed: queries.length - disagreements.length, matchesPerQuery, disagreements };
}

/** The text tasks of one order: per query, ours on PostgreSQL, ours on memory, raw SQL. */
export function textTasks(
  sides: {
    readonly postgres: Paginator<BenchRow>;
    readonly memory: Paginator<BenchRow>;
    readonly raw: RawSql;
  },
  order: 'relevance' | 'createdAt',
  queries: readonly string[],
  pageSize: number,
): Task[] {
  const sort = order === 'relevance' ? 'relevance' : '-createdAt';
  return queries.flatMap((search, i) => [
    {
      name: `text ${order} postgres #${i}`,
      run: async () => ids(await sides.postgres.cursorPage({ search, sort, first: pageSize })),
    },
    {
      name: `text ${order} memory #${i}`,
      run: async () => ids(await sides.memory.cursorPage({ search, sort, first: pageSize })),
    },
    { name: `text ${order} raw #${i}`, run: () => sides.raw.textPage(search, order, pageSize) },
  ]);
}
