/**
 * The paging case through our paginator on the PostgreSQL source, next to raw SQL of the same shape.
 *
 * A keyset page at depth d continues after the row at position d - 1. Its cursor is reached through the
 * public API only: by walking cursor pages of `walkPageSize` rows from the top (1M rows is 1,000 pages of
 * 1,000; the walk's own speed is reported too), so the measured cursor is one a client would hold. The
 * raw side gets the same row's key with one `OFFSET d - 1 LIMIT 1` query (setup, not measured).
 *
 * Before any timing, every depth's five pages (ours keyset, ours offset, raw keyset, raw offset, and raw
 * offset as a deferred join: the OFFSET on the index alone, a figure for what offset pages could cost) must hold
 * the same ids: a keyset page that skips or repeats rows fails the run instead of looking fast.
 */
import type { Paginator } from '../../src/search/index.js';
import type { Built } from './built.js';
import { CURSOR_KEYS, PAGING_FIELDS, PAGING_SORTS } from './fields.js';
import type { Task } from './measure.js';
import { type RawKey, type RawSql, SORTS, type SortShape } from './raw.js';

/** A row of the bench's tables as the paginator returns it. */
export type BenchRow = Record<string, unknown>;

type PgPool = Parameters<Built['postgres']['createPostgresSource']>[0]['pool'];

/** A pool that counts the statements sent through it (the source's round trips), for one figure. */
export function countingPool(pool: PgPool): { readonly pool: PgPool; statements(): number } {
  let statements = 0;
  return {
    statements: () => statements,
    pool: {
      query: (text, values) => {
        statements += 1;
        return pool.query(text, values);
      },
      connect: async () => {
        const client = await pool.connect();
        return {
          query: (text: string, values?: unknown[]) => {
            statements += 1;
            return client.query(text, values);
          },
          release: (err?: Error | boolean) => client.release(err),
          on: (event: 'error', listener: (err: Error) => void) => client.on?.(event, listener),
          removeListener: (event: 'error', listener: (err: Error) => void) =>
            client.removeListener?.(event, listener),
        };
      },
    },
  };
}

/** The PostgreSQL source and paginator of the paging table. */
export function pagingPaginator(
  built: Built,
  pool: PgPool,
  where: {
    readonly schema: string;
    readonly table: string;
    readonly rows: number;
    readonly walkPageSize: number;
  },
): Paginator<BenchRow> {
  const source = built.postgres.createPostgresSource({ pool, schema: where.schema, table: where.table });
  return built.search.createPaginator<BenchRow>({
    source,
    fields: PAGING_FIELDS,
    key: 'id',
    sorts: PAGING_SORTS,
    // Raised for the bench: offset pages down to the table's end, cursor walks in big pages.
    maxOffset: where.rows,
    maxPageSize: Math.max(100, where.walkPageSize),
    // An offset page 1M deep takes over a second here; the default 2 s budget would cut it under load.
    timeoutMs: 60_000,
    cursorKeys: CURSOR_KEYS,
    name: 'bench',
  });
}

/** The cursors of the walk: depth → the `after` cursor of the page at that depth (null at depth 0). */
export interface Walk {
  readonly cursors: ReadonlyMap<number, string | null>;
  readonly rows: number;
  readonly pages: number;
  readonly ms: number;
}

/** Walks cursor pages of `walkPageSize` from the top, keeping the end cursor at each depth. */
export async function walkToDepths(
  paginator: Paginator<BenchRow>,
  shape: SortShape,
  depths: readonly number[],
  walkPageSize: number,
): Promise<Walk> {
  const cursors = new Map<number, string | null>();
  let after: string | undefined;
  let position = 0;
  let pages = 0;
  const started = performance.now();
  for (const depth of [...depths].sort((a, b) => a - b)) {
    while (position < depth) {
      const first = Math.min(walkPageSize, depth - position);
      const page = await paginator.cursorPage({ sort: SORTS[shape], first, after });
      pages += 1;
      const end = page.pageInfo.endCursor;
      if (page.items.length !== first || end === null) {
        throw new Error(
          `walk (${shape}): ${page.items.length} rows at position ${position}, wanted ${first}`,
        );
      }
      after = end;
      position += first;
    }
    cursors.set(depth, after ?? null);
  }
  return { cursors, rows: position, pages, ms: performance.now() - started };
}

const ids = (page: { readonly items: readonly BenchRow[] }) => page.items.map((r) => String(r.id));

/** The five tasks of one depth: ours keyset and offset, raw keyset, deferred-join offset and offset (last). */
export async function depthTasks(
  paginator: Paginator<BenchRow>,
  raw: RawSql,
  shape: SortShape,
  depth: number,
  after: string | null,
  pageSize: number,
): Promise<Task[]> {
  if (depth % pageSize !== 0)
    throw new Error(`depth ${depth} is not a multiple of the page size ${pageSize}`);
  const sort = SORTS[shape];
  const rawKey: RawKey | null = depth === 0 ? null : await raw.keyAt(shape, depth - 1);
  const label = (side: string) => `${shape} ${side} @${depth}`;
  return [
    {
      name: label('keyset ours'),
      run: async () => ids(await paginator.cursorPage({ sort, first: pageSize, after: after ?? undefined })),
    },
    { name: label('keyset raw'), run: () => raw.keysetPage(shape, rawKey, pageSize) },
    {
      name: label('offset ours'),
      run: async () =>
        ids(await paginator.offsetPage({ sort, page: depth / pageSize + 1, limit: pageSize, total: 'none' })),
    },
    { name: label('offset raw deferred'), run: () => raw.offsetDeferred(shape, depth, pageSize) },
    { name: label('offset raw'), run: () => raw.offsetPage(shape, depth, pageSize) },
  ];
}

/** Runs each task once and throws unless all read the same ids (the ground truth is the raw offset page). */
export async function checkSameRows(tasks: readonly Task[]): Promise<readonly string[]> {
  const answers = await Promise.all(
    tasks.map(async (t) => ({ name: t.name, ids: (await t.run()).map(String) })),
  );
  const truth = answers[answers.length - 1];
  if (!truth || truth.ids.length === 0) throw new Error('the ground-truth page is empty');
  for (const { name, ids: got } of answers) {
    if (got.join(',') !== truth.ids.join(',')) {
      throw new Error(`${name} read [${got.join(',')}], ${truth.name} read [${truth.ids.join(',')}]`);
    }
  }
  return truth.ids;
}
