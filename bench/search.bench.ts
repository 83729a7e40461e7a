/**
 * npm run bench -- search
 *
 * On the built package, against the machine's PostgreSQL (database `test`, schema `bench_search`, kept
 * between runs: bench/search/data.ts):
 *
 * 1. Paging: a table of BENCH_SEARCH_ROWS rows (1.1M), indexed by the migration helper for the
 *    paginator's sorts. For `-createdAt` and for `category,-createdAt` (nullable category ascending, then
 *    descending time: the UNION ALL shape), pages of 20 at depths 0, 10k, 100k and 1M: our keyset page
 *    (cursor reached by walking the public API) vs our offset page (maxOffset raised), each next to raw
 *    `pg` SQL of the same shape; all four must read the same rows first. Every case sampled in
 *    interleaved rounds (ABC CBA ...), p50/p95. Goal: the keyset page 1M deep within 2x of page 1.
 * 2. Full text: a corpus of BENCH_SEARCH_TEXT_ROWS rows (100k) in PostgreSQL (stored tsvector + GIN from
 *    the migration helper) and the same rows in the memory source (minisearch); queries of 1-3 words,
 *    first pages by relevance and by `-createdAt`, p50/p95 pooled over queries and rounds, next to raw
 *    SQL; both engines must first agree on every query's matches. The memory source's heap is measured.
 *
 * Sizes: BENCH_SEARCH_* (bench/search/settings.ts). Results: bench/results/search.json.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { resolve } from 'node:path';
import pg from 'pg';
import { type Built, loadBuilt } from './search/built.js';
import { ensureTable, prepareSchema, type TableState } from './search/data.js';
import { PAGING_FIELDS, PAGING_SORTS, TEXT_FIELDS, TEXT_SORTS } from './search/fields.js';
import { sampleInterleaved, type Task } from './search/measure.js';
import { checkSameRows, countingPool, depthTasks, pagingPaginator, walkToDepths } from './search/paging.js';
import { rawSql, SORTS, type SortShape } from './search/raw.js';
import { pagingRows, textRows } from './search/rows.js';
import { type SearchBenchSettings, searchBenchSettings } from './search/settings.js';
import { agreement, readCorpus, textPaginators, textTasks } from './search/text.js';
import { textQueries } from './search/words.js';
import { type BenchRow, compare, report } from './support/results.js';

const SCHEMA = 'bench_search';
const PAGING_TABLE = 'items';
const TEXT_TABLE = 'docs';

const version = (name: string): string =>
  JSON.parse(readFileSync(resolve(import.meta.dirname, `../node_modules/${name}/package.json`), 'utf8'))
    .version;
const load = () => execFileSync('uptime', { encoding: 'utf8' }).trim();
const mib = (bytes: number) => bytes / 2 ** 20;
const qualified = (table: string) => `"${SCHEMA}"."${table}"`;

async function serverFacts(pool: pg.Pool): Promise<string> {
  const { rows } = await pool.query<{ v: string; sb: string; wm: string; jit: string }>(
    `SELECT current_setting('server_version') AS v, current_setting('shared_buffers') AS sb,
            current_setting('work_mem') AS wm, current_setting('jit') AS jit`,
  );
  const r = rows[0];
  return `PostgreSQL ${r?.v}, shared_buffers ${r?.sb}, work_mem ${r?.wm}, jit ${r?.jit}`;
}

async function setupTables(built: Built, pool: pg.Pool, settings: SearchBenchSettings) {
  const words = await prepareSchema(pool, SCHEMA);
  const statements = (
    table: string,
    fields: typeof PAGING_FIELDS | typeof TEXT_FIELDS,
    sorts: readonly string[],
  ) => built.postgres.searchIndexStatements({ schema: SCHEMA, table, fields, key: 'id', sorts });
  const paging = await ensureTable(
    pool,
    SCHEMA,
    words,
    {
      table: PAGING_TABLE,
      rows: settings.rows,
      indexStatements: statements(PAGING_TABLE, PAGING_FIELDS, PAGING_SORTS),
    },
    console.log,
  );
  const text = await ensureTable(
    pool,
    SCHEMA,
    words,
    {
      table: TEXT_TABLE,
      rows: settings.textRows,
      indexStatements: statements(TEXT_TABLE, TEXT_FIELDS, TEXT_SORTS),
    },
    console.log,
  );
  return { words, paging, text };
}

/** Statements one run of `task` sends through `counting` (run alone, after the checks). */
async function statementsOf(
  counting: ReturnType<typeof countingPool>,
  task: Task | undefined,
): Promise<number> {
  const before = counting.statements();
  await task?.run();
  return counting.statements() - before;
}

async function pagingCase(built: Built, pool: pg.Pool, settings: SearchBenchSettings, shape: SortShape) {
  const counting = countingPool(pool);
  const paginator = pagingPaginator(built, counting.pool, {
    schema: SCHEMA,
    table: PAGING_TABLE,
    rows: settings.rows,
    walkPageSize: settings.walkPageSize,
  });
  const raw = rawSql(pool, qualified(PAGING_TABLE));
  const walk = await walkToDepths(paginator, shape, settings.depths, settings.walkPageSize);
  const perPage = walk.ms / Math.max(1, walk.pages);
  console.log(
    `${shape}: walked ${walk.rows.toLocaleString('en')} rows in ${walk.pages} cursor pages of ${settings.walkPageSize} ` +
      `in ${(walk.ms / 1000).toFixed(1)} s (${perPage.toFixed(1)} ms per page)`,
  );
  const tasks: Task[] = [];
  for (const depth of settings.depths) {
    const group = await depthTasks(
      paginator,
      raw,
      shape,
      depth,
      walk.cursors.get(depth) ?? null,
      settings.pageSize,
    );
    await checkSameRows(group);
    tasks.push(...group);
  }
  const [keysetStatements, offsetStatements] = [
    await statementsOf(
      counting,
      tasks.find((t) => t.name.includes('keyset ours')),
    ),
    await statementsOf(
      counting,
      tasks.find((t) => t.name.includes('offset ours')),
    ),
  ];
  console.log(
    `${shape}: every depth's five pages read the same rows; statements per page: ours keyset ${keysetStatements}, ` +
      `offset ${offsetStatements} (raw: 1); sampling`,
  );
  const samples = await sampleInterleaved(tasks, settings, console.log);
  const sort = `sort=${SORTS[shape]}`;
  return [
    ...pagingRows(shape, settings.depths, samples, settings.rows),
    compare(
      `${sort}: statements per keyset page (transaction, timeout, page)`,
      'statements',
      'lower-is-better',
      keysetStatements,
      1,
      'raw SQL',
    ),
    compare(
      `${sort}: walking ${walk.rows.toLocaleString('en')} rows by cursor pages of ${settings.walkPageSize}`,
      'ms/page',
      'lower-is-better',
      perPage,
      null,
      '-',
    ),
  ];
}

async function textCase(
  built: Built,
  pool: pg.Pool,
  settings: SearchBenchSettings,
  words: readonly string[],
  text: TableState,
) {
  const queries = textQueries(words, settings.queries);
  const corpus = await readCorpus(pool, qualified(TEXT_TABLE));
  const { postgres, memory, memoryHeapBytes } = await textPaginators(
    built,
    pool,
    { schema: SCHEMA, table: TEXT_TABLE },
    corpus,
    queries[0] ?? 'a',
  );
  const agreed = await agreement(postgres, memory, queries, settings.pageSize);
  const matches = [...agreed.matchesPerQuery].sort((a, b) => a - b);
  console.log(
    `full text: ${agreed.agreed}/${queries.length} queries agree between the engines (total and -createdAt page); ` +
      `matches per query min ${matches[0]}, median ${matches[Math.floor(matches.length / 2)]}, max ${matches[matches.length - 1]}`,
  );
  if (agreed.disagreements.length > 0)
    throw new Error(`engines disagree:\n${agreed.disagreements.join('\n')}`);
  const raw = rawSql(pool, qualified(TEXT_TABLE));
  const rows: BenchRow[] = [];
  const minisearch = `minisearch ${version('minisearch')}`;
  for (const order of ['relevance', 'createdAt'] as const) {
    const tasks = textTasks({ postgres, memory, raw }, order, queries, settings.pageSize);
    const samples = await sampleInterleaved(
      tasks,
      { samples: settings.textRounds, warmup: settings.warmup },
      console.log,
    );
    rows.push(...textRows(order, queries.length, samples, settings.textRows, minisearch));
  }
  rows.push(
    compare(
      `full text corpus of ${settings.textRows.toLocaleString('en')} rows: memory source heap vs the PostgreSQL table with its indexes`,
      'MiB',
      'lower-is-better',
      mib(memoryHeapBytes),
      mib(text.sizeBytes),
      'pg_total_relation_size',
    ),
  );
  return rows;
}

async function main() {
  const settings = searchBenchSettings();
  const pool = new pg.Pool({ connectionString: settings.databaseUrl, max: 4 });
  try {
    console.log(
      `search bench: Node ${process.version}, pg ${version('pg')}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}; ` +
        `${await serverFacts(pool)}\npaging: ${settings.rows.toLocaleString('en')} rows, depths ${settings.depths.join(', ')}, ` +
        `pages of ${settings.pageSize}, ${settings.samples} rounds after ${settings.warmup} warm-up runs; ` +
        `text: ${settings.textRows.toLocaleString('en')} rows, ${settings.queries} queries × ${settings.textRounds} rounds\n` +
        `load at start: ${load()}`,
    );
    const built = await loadBuilt();
    const { words, paging, text } = await setupTables(built, pool, settings);
    for (const t of [paging, text]) {
      console.log(
        `${t.table}: ${t.rows.toLocaleString('en')} rows, ${mib(t.sizeBytes).toFixed(0)} MiB with indexes, ` +
          `${t.reused ? 'reused (built' : 'built'} in ${(t.buildMs / 1000).toFixed(1)} s${t.reused ? ' then)' : ''}`,
      );
    }
    const rows: BenchRow[] = [];
    for (const shape of ['single', 'mixed'] as const)
      rows.push(...(await pagingCase(built, pool, settings, shape)));
    rows.push(...(await textCase(built, pool, settings, words, text)));
    rows.push(
      compare(
        `building the ${settings.rows.toLocaleString('en')}-row paging table`,
        's',
        'lower-is-better',
        paging.buildMs / 1000,
        null,
        '-',
      ),
    );
    report('search', rows);
    for (const row of rows.filter((r) => r.case.includes('(goal: ratio >= 0.5)'))) {
      const met = row.ratio !== null && row.ratio >= 0.5;
      console.log(
        `target: ${row.case.split(':')[0]}: keyset page deep within 2x of the first: ${met ? 'met' : 'NOT met'} (${row.ours} vs ${row.peer} ms)`,
      );
    }
    console.log(`load at end: ${load()}`);
  } finally {
    await pool.end();
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
