/**
 * The search bench's moving parts on tiny sizes, without measuring anything: the settings, the
 * vocabulary and queries, the interleaved sampling (order, and a task that changes its answer caught),
 * and, on a private schema of the machine's PostgreSQL (dropped afterwards), the data builder (its reuse
 * and index rebuild), the cursor walk and the four pages of each depth agreeing, the mixed-sort raw SQL
 * across the null group, and the two full-text engines agreeing on the same corpus. The figures
 * themselves come only from `npm run bench`.
 */
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Built, loadBuilt } from '../../bench/search/built.js';
import { ensureTable, prepareSchema } from '../../bench/search/data.js';
import { PAGING_FIELDS, PAGING_SORTS, TEXT_FIELDS, TEXT_SORTS } from '../../bench/search/fields.js';
import { sampleInterleaved, type Task } from '../../bench/search/measure.js';
import { checkSameRows, depthTasks, pagingPaginator, walkToDepths } from '../../bench/search/paging.js';
import { rawSql } from '../../bench/search/raw.js';
import { searchBenchSettings } from '../../bench/search/settings.js';
import { agreement, readCorpus, textPaginators, textTasks } from '../../bench/search/text.js';
import { candidateWords, textQueries } from '../../bench/search/words.js';
import { useEnvPrefix } from '../support/env.js';
import { noPostgres, usePostgresSchema } from '../support/postgres.js';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../..');

describe('settings', () => {
  const { clear } = useEnvPrefix('BENCH_SEARCH_');

  it('defaults to 1.1M rows at depths 0, 10k, 100k and 1M, a 100k-row corpus, 20 samples, 50 queries', () => {
    clear();
    expect(searchBenchSettings()).toMatchObject({
      rows: 1_100_000,
      textRows: 100_000,
      samples: 20,
      warmup: 2,
      queries: 50,
      textRounds: 5,
      pageSize: 20,
      walkPageSize: 1000,
      depths: [0, 10_000, 100_000, 1_000_000],
    });
  });

  it('leaves out the depths without a full page behind them', () => {
    process.env.BENCH_SEARCH_ROWS = '100010';
    expect(searchBenchSettings().depths).toEqual([0, 10_000]);
  });

  it.each([
    ['BENCH_SEARCH_ROWS', '99'],
    ['BENCH_SEARCH_ROWS', 'a million'],
    ['BENCH_SEARCH_TEXT_ROWS', '1e400'],
    ['BENCH_SEARCH_SAMPLES', '0'],
    ['BENCH_SEARCH_WARMUP', '0'],
    ['BENCH_SEARCH_QUERIES', '-1'],
    ['BENCH_SEARCH_TEXT_ROUNDS', '2.5'],
    ['BENCH_SEARCH_PAGE_SIZE', 'Infinity'],
    ['BENCH_SEARCH_WALK_PAGE', '10; DROP SCHEMA bench_search'],
  ])('refuses %s=%s, naming the variable', (name, value) => {
    process.env[name] = value;
    expect(() => searchBenchSettings()).toThrow(new RegExp(`${name} must be an integer`));
  });
});

describe('vocabulary and queries', () => {
  it('are the same on every call, distinct words, queries of 1-3 distinct words', () => {
    const words = candidateWords(500);
    expect(new Set(words).size).toBe(500);
    expect(candidateWords(500)).toEqual(words);
    const queries = textQueries(words, 200);
    expect(textQueries(words, 200)).toEqual(queries);
    for (const q of queries) {
      const parts = q.split(' ');
      expect(parts.length).toBeGreaterThanOrEqual(1);
      expect(parts.length).toBeLessThanOrEqual(3);
      expect(new Set(parts).size).toBe(parts.length);
      for (const p of parts) expect(words).toContain(p);
    }
    expect(new Set(queries.map((q) => q.split(' ').length))).toEqual(new Set([1, 2, 3]));
  });
});

describe('sampleInterleaved', () => {
  it('warms up, then runs every task once per round, reversing the order every other round', async () => {
    const calls: string[] = [];
    const task = (name: string): Task => ({
      name,
      run: async () => {
        calls.push(name);
        return [1, 2];
      },
    });
    const samples = await sampleInterleaved([task('a'), task('b'), task('c')], { samples: 3, warmup: 1 });
    expect(calls.join('')).toBe('abc' + 'abc' + 'cba' + 'abc');
    expect(samples.map((s) => [s.name, s.ms.length, s.rows])).toEqual([
      ['a', 3, 2],
      ['b', 3, 2],
      ['c', 3, 2],
    ]);
  });

  it('fails the run when a task reads other rows than the first time', async () => {
    let n = 0;
    const flaky: Task = { name: 'flaky', run: async () => (n++ < 2 ? [1] : []) };
    await expect(sampleInterleaved([flaky], { samples: 3, warmup: 1 })).rejects.toThrow(
      'flaky: read other rows than its first run',
    );
  });
});

describe.skipIf(noPostgres)('the bench on the built package and PostgreSQL', () => {
  const { pool, schema } = usePostgresSchema('bench_search', 4);
  let built: Built;
  let words: string[];
  const qualified = (table: string) => `"${schema}"."${table}"`;
  const indexes = (
    table: string,
    fields: typeof PAGING_FIELDS | typeof TEXT_FIELDS,
    sorts: readonly string[],
  ) => built.postgres.searchIndexStatements({ schema, table, fields, key: 'id', sorts });

  beforeAll(async () => {
    // The helpers run the built package, as npm run bench does: dist must be current.
    await run(process.execPath, ['--import', 'tsx', 'scripts/ensure-build.ts'], { cwd: root });
    built = await loadBuilt();
    words = await prepareSchema(pool, schema, 300);
  }, 120_000);

  it('builds a table once, reuses it, and rebuilds only its indexes when they change', async () => {
    const spec = {
      table: 'reuse',
      rows: 500,
      indexStatements: indexes('reuse', PAGING_FIELDS, PAGING_SORTS),
    };
    const first = await ensureTable(pool, schema, words, spec);
    expect(first).toMatchObject({ reused: false, rows: 500 });
    const again = await ensureTable(pool, schema, words, spec);
    expect(again).toMatchObject({ reused: true, rows: 500 });
    const rowsHash = async () => {
      const { rows } = await pool.query(
        `SELECT md5(string_agg((id, created_at, category, price, title, body)::text, '|' ORDER BY id)) AS h
           FROM ${qualified('reuse')}`,
      );
      return rows[0].h as string;
    };
    const before = await rowsHash();
    const text = { ...spec, indexStatements: indexes('reuse', TEXT_FIELDS, TEXT_SORTS) };
    expect(await ensureTable(pool, schema, words, text)).toMatchObject({ reused: false });
    expect(await rowsHash()).toBe(before);
    const { rows: stats } = await pool.query(
      `SELECT count(*)::int AS rows, count(DISTINCT created_at)::int AS instants,
              count(*) FILTER (WHERE category IS NULL)::int AS nulls,
              count(*) FILTER (WHERE extract(microseconds FROM created_at)::bigint % 1000 <> 0)::int AS sub_ms
         FROM ${qualified('reuse')}`,
    );
    // Microsecond instants, shared by some rows, and a null group.
    expect(stats[0].rows).toBe(500);
    expect(stats[0].instants).toBeLessThan(500);
    expect(stats[0].nulls).toBeGreaterThan(0);
    expect(stats[0].sub_ms).toBeGreaterThan(0);
    // Back to the paging indexes: the tsvector column goes with them.
    await ensureTable(pool, schema, words, spec);
    const { rows: columns } = await pool.query(
      `SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'reuse' ORDER BY ordinal_position`,
      [schema],
    );
    expect(columns.map((c) => c.column_name)).toEqual([
      'id',
      'created_at',
      'category',
      'price',
      'title',
      'body',
    ]);
  }, 60_000);

  it('walks cursors to each depth; ours and raw SQL, keyset and offset, read the same rows', async () => {
    const rows = 3000;
    await ensureTable(pool, schema, words, {
      table: 'items',
      rows,
      indexStatements: indexes('items', PAGING_FIELDS, PAGING_SORTS),
    });
    const paginator = pagingPaginator(built, pool, { schema, table: 'items', rows, walkPageSize: 70 });
    const raw = rawSql(pool, qualified('items'));
    const depths = [0, 100, 1400, 2960];
    for (const shape of ['single', 'mixed'] as const) {
      const walk = await walkToDepths(paginator, shape, depths, 70);
      expect(walk.rows).toBe(2960);
      expect(walk.cursors.get(0)).toBeNull();
      for (const depth of depths) {
        const tasks = await depthTasks(paginator, raw, shape, depth, walk.cursors.get(depth) ?? null, 20);
        expect(tasks.map((t) => t.name)).toEqual([
          `${shape} keyset ours @${depth}`,
          `${shape} keyset raw @${depth}`,
          `${shape} offset ours @${depth}`,
          `${shape} offset raw deferred @${depth}`,
          `${shape} offset raw @${depth}`,
        ]);
        expect(await checkSameRows(tasks)).toHaveLength(20);
      }
    }
  }, 60_000);

  it('the mixed raw keyset crosses from the last category into the null group and ends there', async () => {
    const raw = rawSql(pool, qualified('items'));
    const { rows } = await pool.query(
      `SELECT count(*)::int AS n FROM ${qualified('items')} WHERE category IS NULL`,
    );
    const nulls = rows[0].n as number;
    const firstNull = 3000 - nulls;
    const before = await raw.keyAt('mixed', firstNull - 3);
    expect(before.category).not.toBeNull();
    expect(await raw.keysetPage('mixed', before, 5)).toEqual(await raw.offsetPage('mixed', firstNull - 2, 5));
    const inNulls = await raw.keyAt('mixed', firstNull + 1);
    expect(inNulls.category).toBeNull();
    expect(await raw.keysetPage('mixed', inNulls, 5)).toEqual(
      await raw.offsetPage('mixed', firstNull + 2, 5),
    );
    expect(await raw.keysetPage('mixed', await raw.keyAt('mixed', 2999), 5)).toEqual([]);
    await expect(raw.keyAt('mixed', 3000)).rejects.toThrow('no row at position 3000');
    const tasks = [
      { name: 'a', run: async () => ['1', '2'] },
      { name: 'truth', run: async () => ['1', '3'] },
    ];
    await expect(checkSameRows(tasks)).rejects.toThrow('a read [1,2], truth read [1,3]');
  });

  it('full text: both engines agree on every query of the corpus; every text task reads its page', async () => {
    await ensureTable(pool, schema, words, {
      table: 'docs',
      rows: 2000,
      indexStatements: indexes('docs', TEXT_FIELDS, TEXT_SORTS),
    });
    const queries = textQueries(words, 20);
    const corpus = await readCorpus(pool, qualified('docs'));
    expect(corpus).toHaveLength(2000);
    expect(corpus[0]?.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    const sides = await textPaginators(built, pool, { schema, table: 'docs' }, corpus, queries[0] ?? 'a');
    expect(sides.memoryHeapBytes).toBeGreaterThan(0);
    const agreed = await agreement(sides.postgres, sides.memory, queries, 20);
    expect(agreed.disagreements).toEqual([]);
    expect(agreed.agreed).toBe(20);
    expect(agreed.matchesPerQuery.some((n) => n > 20)).toBe(true);
    const raw = rawSql(pool, qualified('docs'));
    // Rare words ANDed can match nothing; the tasks below need matches to check that they read them.
    const matching = queries.filter((_, i) => (agreed.matchesPerQuery[i] ?? 0) > 0).slice(0, 3);
    expect(matching).toHaveLength(3);
    for (const order of ['relevance', 'createdAt'] as const) {
      const tasks = textTasks({ ...sides, raw }, order, matching, 20);
      expect(tasks).toHaveLength(9);
      const samples = await sampleInterleaved(tasks, { samples: 1, warmup: 1 });
      for (const s of samples) expect(s.rows).toBeGreaterThan(0);
    }
    // By -createdAt the raw SQL page is the engines' page too.
    const [pgTask, , rawTask] = textTasks({ ...sides, raw }, 'createdAt', matching.slice(0, 1), 20);
    expect(await pgTask?.run()).toEqual(await rawTask?.run());
  }, 60_000);
});
