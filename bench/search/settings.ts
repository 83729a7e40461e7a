/**
 * The search bench's settings, from the environment: BENCH_SEARCH_ROWS (rows of the paging table:
 * 1,100,000, so a page 1M rows deep still has rows), BENCH_SEARCH_TEXT_ROWS (rows of the full-text
 * corpus, loaded into PostgreSQL and the memory source alike: 100,000), BENCH_SEARCH_SAMPLES (timed
 * samples per paging case: 20), BENCH_SEARCH_WARMUP (untimed runs per case first, at least 1: 2),
 * BENCH_SEARCH_QUERIES (full-text queries of 1-3 words: 50), BENCH_SEARCH_TEXT_ROUNDS (timed rounds over
 * all the queries: 5), BENCH_SEARCH_PAGE_SIZE (rows per measured page: 20) and BENCH_SEARCH_WALK_PAGE
 * (rows per page when walking cursors down to a depth: 1000); the database is DATABASE_URL (default
 * `postgres://postgres@127.0.0.1:5432/test`). A smoke run: `BENCH_SEARCH_ROWS=30000
 * BENCH_SEARCH_TEXT_ROWS=5000 BENCH_SEARCH_SAMPLES=3 BENCH_SEARCH_WARMUP=1 BENCH_SEARCH_TEXT_ROUNDS=1`.
 */
import { setting } from '../support/settings.js';

/** The depths the issue asks for (rows before the page); those without a full page behind them are left out. */
export const STANDARD_DEPTHS = [0, 10_000, 100_000, 1_000_000] as const;

/** The run's settings. */
export interface SearchBenchSettings {
  readonly databaseUrl: string;
  readonly rows: number;
  readonly textRows: number;
  readonly samples: number;
  readonly warmup: number;
  readonly queries: number;
  readonly textRounds: number;
  readonly pageSize: number;
  readonly walkPageSize: number;
  /** Rows skipped before each measured page, ascending. */
  readonly depths: readonly number[];
}

/** Reads the settings; a value that is not an integer in range throws, naming its variable. */
export function searchBenchSettings(): SearchBenchSettings {
  const rows = setting('BENCH_SEARCH_ROWS', 1_100_000, 100);
  const pageSize = setting('BENCH_SEARCH_PAGE_SIZE', 20, 1);
  return {
    databaseUrl: process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test',
    rows,
    textRows: setting('BENCH_SEARCH_TEXT_ROWS', 100_000, 100),
    samples: setting('BENCH_SEARCH_SAMPLES', 20, 1),
    warmup: setting('BENCH_SEARCH_WARMUP', 2, 1),
    queries: setting('BENCH_SEARCH_QUERIES', 50, 1),
    textRounds: setting('BENCH_SEARCH_TEXT_ROUNDS', 5, 1),
    pageSize,
    walkPageSize: setting('BENCH_SEARCH_WALK_PAGE', 1000, 1),
    depths: STANDARD_DEPTHS.filter((depth) => depth + pageSize <= rows),
  };
}
