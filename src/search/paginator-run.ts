/**
 * Runs one source query under the paginator's own deadline and timeout policy, and records the
 * metrics. The deadline is the budget plus a grace period measured on the injected clock; when it
 * passes, the query's signal aborts and the caller gets `SearchTimeoutError('page')` even if the source
 * ignores the signal and never answers (the race is lost by the source, not by the caller).
 */
import type { Clock } from '../core/clock.js';
import { StoreError } from '../core/errors.js';
import { SearchTimeoutError } from './errors.js';
import { depthBucket, type QueryKind, type SearchInstruments } from './instruments.js';
import type { SearchSource, SourceQuery, SourceResult, TotalMode } from './types.js';

/** Time a source gets past its budget to answer before the paginator gives up on it. */
export const DEADLINE_GRACE_MS = 1_000;

type Part = 'total' | 'facets';

/** What the runner needs from the paginator. */
export interface RunContext<Row> {
  readonly source: SearchSource<Row>;
  readonly clock: Clock;
  readonly timeoutMs: number;
  readonly onTimeout: 'degrade' | 'fail';
  readonly instruments: SearchInstruments;
  readonly name: string;
}

/** A source result with every degraded part (the source's and the paginator's retry). */
export interface RunResult<Row> {
  readonly result: SourceResult<Row>;
  readonly degraded: readonly Part[];
}

const never = new Promise<never>(() => {});

async function attempt<Row>(ctx: RunContext<Row>, query: Omit<SourceQuery, 'signal' | 'timeoutMs'>) {
  const abort = new AbortController();
  const stopTimer = new AbortController();
  const deadline = ctx.clock.sleep(ctx.timeoutMs + DEADLINE_GRACE_MS, stopTimer.signal).then(
    () => {
      const error = new SearchTimeoutError('page', ctx.timeoutMs);
      abort.abort(error);
      throw error;
    },
    () => never,
  );
  const answer = Promise.resolve().then(() =>
    ctx.source.query({ ...query, timeoutMs: ctx.timeoutMs, signal: abort.signal }),
  );
  try {
    return checkResult(await Promise.race([answer, deadline]));
  } finally {
    stopTimer.abort();
  }
}

function checkResult<Row>(result: SourceResult<Row>): SourceResult<Row> {
  if (
    typeof result !== 'object' ||
    result === null ||
    !Array.isArray(result.rows) ||
    !Array.isArray(result.degraded) ||
    typeof result.freshness !== 'object' ||
    result.freshness === null
  ) {
    throw new StoreError('search source returned no { rows, freshness, degraded }');
  }
  return result;
}

/** The total to ask for on a retry without the expensive parts: exact becomes an estimate when the source has one. */
const cheaperTotal = (total: TotalMode, estimated: boolean): TotalMode =>
  total === 'exact' && estimated ? 'estimated' : 'none';

async function withRetry<Row>(
  ctx: RunContext<Row>,
  query: Omit<SourceQuery, 'signal' | 'timeoutMs'>,
): Promise<RunResult<Row>> {
  try {
    const result = await attempt(ctx, query);
    return { result, degraded: result.degraded };
  } catch (error) {
    const droppable = query.facets.length > 0 || query.total !== 'none';
    if (!(error instanceof SearchTimeoutError) || error.part === 'page' || !droppable) throw error;
    ctx.instruments.timeouts.add(1, { paginator: ctx.name, part: error.part });
    if (ctx.onTimeout === 'fail') throw error;
    // A source that does not degrade by itself threw for a secondary part: retry once without it.
    const total = cheaperTotal(query.total, ctx.source.capabilities.estimatedTotal);
    const result = await attempt(ctx, { ...query, facets: [], total });
    const degraded = new Set<Part>(result.degraded);
    if (query.facets.length > 0) degraded.add('facets');
    if (query.total !== 'none') degraded.add('total');
    return { result, degraded: [...degraded] };
  }
}

/**
 * Runs `query`, applying the timeout policy: with `fail`, a degraded answer becomes a thrown
 * `SearchTimeoutError`; with `degrade`, it is returned and counted. Records `search.query.duration`
 * for every query that reached the source, failed ones included (a P95 without the slow failures lies).
 */
export async function runQuery<Row>(
  ctx: RunContext<Row>,
  query: Omit<SourceQuery, 'signal' | 'timeoutMs'>,
  labels: { readonly kind: QueryKind; readonly depth: number },
): Promise<RunResult<Row>> {
  const startMs = ctx.clock.now();
  const metricLabels = { paginator: ctx.name, kind: labels.kind, depth: depthBucket(labels.depth) };
  try {
    const run = await withRetry(ctx, query);
    for (const part of run.result.degraded) ctx.instruments.timeouts.add(1, { paginator: ctx.name, part });
    const first = run.degraded[0];
    if (first !== undefined && ctx.onTimeout === 'fail') throw new SearchTimeoutError(first, ctx.timeoutMs);
    for (const part of run.degraded) ctx.instruments.degraded.add(1, { paginator: ctx.name, part });
    const lagMs = run.result.freshness.lagMs;
    if (typeof lagMs === 'number') ctx.instruments.indexLag.set(lagMs, { paginator: ctx.name });
    return run;
  } catch (error) {
    if (error instanceof SearchTimeoutError && error.part === 'page') {
      ctx.instruments.timeouts.add(1, { paginator: ctx.name, part: 'page' });
    }
    throw error;
  } finally {
    ctx.instruments.duration.record(Math.max(0, ctx.clock.now() - startMs) / 1000, metricLabels);
  }
}
