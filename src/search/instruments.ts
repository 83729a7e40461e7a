/**
 * The search module's metric instruments, declared once, and the depth bucket of
 * `search.query.duration` (bounded label values: a raw depth would explode the series count).
 */
import type { Counter, Gauge, Histogram, Metrics } from '../core/metrics.js';

/** The instruments of one paginator. */
export interface SearchInstruments {
  /** `search.query.duration` (s) `{paginator, kind, depth}`: the card's metric (P95 latency). */
  readonly duration: Histogram;
  /** `search.query.timeouts` `{paginator, part}`. */
  readonly timeouts: Counter;
  /** `search.query.degraded` `{paginator, part}`: pages answered without facets or with an estimate. */
  readonly degraded: Counter;
  /** `search.cursor.rejected` `{paginator, reason}`. */
  readonly cursorRejected: Counter;
  /** `search.index.lag` (ms) `{paginator}`: how far the index is behind its source of truth. */
  readonly indexLag: Gauge;
}

/** Bucket bounds (s) of the duration histogram: 1 ms to 10 s, dense where search latencies live. */
export const DURATION_BUCKETS_S: readonly number[] = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/** The instruments of the search module on `metrics`. */
export function searchInstruments(metrics: Metrics): SearchInstruments {
  return {
    duration: metrics.histogram('search.query.duration', {
      description: 'search page latency (page, total and facets), by kind and depth bucket',
      unit: 's',
      labelNames: ['paginator', 'kind', 'depth'],
      buckets: DURATION_BUCKETS_S,
    }),
    timeouts: metrics.counter('search.query.timeouts', {
      description: 'search queries or parts that ran out of their time budget',
      unit: '{query}',
      labelNames: ['paginator', 'part'],
    }),
    degraded: metrics.counter('search.query.degraded', {
      description: 'pages returned without facets or with an estimated total to meet the budget',
      unit: '{query}',
      labelNames: ['paginator', 'part'],
    }),
    cursorRejected: metrics.counter('search.cursor.rejected', {
      description: 'cursors refused: malformed, bad signature, unknown key, expired or mismatched',
      unit: '{cursor}',
      labelNames: ['paginator', 'reason'],
    }),
    indexLag: metrics.gauge('search.index.lag', {
      description: 'newest change in the source of truth minus newest change the index has applied',
      unit: 'ms',
      labelNames: ['paginator'],
    }),
  };
}

/** The kind label: any query with search text is `fulltext`. */
export type QueryKind = 'offset' | 'keyset' | 'fulltext';

/** The depth label of a query `depth` rows deep: `0`, `1-999`, `1k-10k`, `10k-100k`, `100k+`. */
export function depthBucket(depth: number): string {
  if (!(depth > 0)) return '0';
  if (depth < 1_000) return '1-999';
  if (depth < 10_000) return '1k-10k';
  if (depth < 100_000) return '10k-100k';
  return '100k+';
}
