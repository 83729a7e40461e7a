/**
 * The state of a bound memory source and the three things done to it: bind (compile the schema, load
 * the initial rows), apply a change-feed batch (checked whole, then committed record by record into the
 * map, every kept sorted array and the text index), and answer a query.
 */
import type { Clock } from '../core/clock.js';
import { InvalidArgumentError, InvalidOptionError } from '../core/errors.js';
import { SearchTimeoutError } from './errors.js';
import type { FreshnessTracker } from './memory-freshness.js';
import { SortedViews } from './memory-order.js';
import { readAggregates, readPage } from './memory-page.js';
import {
  type CheckedBatch,
  checkBatch,
  compileSchema,
  type KeyValue,
  type MemoryRecord,
  type MemorySchema,
  RowProblem,
} from './memory-rows.js';
import { createTextIndex, type MemoryTextOptions, type TextIndex } from './memory-text.js';
import type { SourceQuery, SourceResult, SourceSchema } from './types.js';

/** Everything a bound memory source holds. */
export interface BoundState<Row> {
  readonly schema: MemorySchema;
  readonly records: Map<KeyValue, MemoryRecord<Row>>;
  readonly views: SortedViews<Row>;
  readonly text: TextIndex<Row> | undefined;
}

/** What one `apply` changed. */
export interface MemoryApplyResult {
  readonly upserted: number;
  readonly deleted: number;
}

// A paginator allows a handful of sorts; the cap only bounds a caller that invents them.
const MAX_SORTED_VIEWS = 32;

function commit<Row>(s: BoundState<Row>, batch: CheckedBatch<Row>, freshness: FreshnessTracker) {
  let deleted = 0;
  for (const record of batch.upserts) {
    const previous = s.records.get(record.key);
    s.records.set(record.key, record);
    s.views.update(previous, record);
    s.text?.update(previous, record);
    freshness.applied(record.updatedAtMs);
  }
  for (const key of batch.deletes) {
    const previous = s.records.get(key);
    if (previous === undefined) continue;
    s.records.delete(key);
    s.views.update(previous, undefined);
    s.text?.update(previous, undefined);
    deleted += 1;
  }
  return { upserted: batch.upserts.length, deleted };
}

/** The checked batch, or the problem found in it (nothing is applied then). */
function check<Row>(
  s: BoundState<Row>,
  upsert: readonly Row[],
  remove: readonly unknown[],
  names: { readonly upsert: string; readonly delete: string },
  updatedAtField: string | undefined,
): CheckedBatch<Row> | RowProblem {
  try {
    return checkBatch(s.schema, upsert, remove, names, updatedAtField);
  } catch (error) {
    if (!(error instanceof RowProblem)) throw error;
    return error;
  }
}

/** Compiles `schema` and loads `rows`; a problem in either is an `InvalidOptionError` (of `createMemorySource`). */
export function bindState<Row>(
  schema: SourceSchema,
  rows: readonly Row[],
  textOptions: MemoryTextOptions,
  updatedAtField: string | undefined,
  freshness: FreshnessTracker,
): BoundState<Row> {
  let compiled: MemorySchema;
  try {
    compiled = compileSchema(schema);
  } catch (error) {
    if (error instanceof RowProblem) throw new InvalidOptionError(`createMemorySource: ${error.message}`);
    throw error;
  }
  const records = new Map<KeyValue, MemoryRecord<Row>>();
  const text =
    compiled.textFields.length === 0
      ? undefined
      : createTextIndex<Row>(compiled.textFields, schema.textWeights, textOptions);
  const views = new SortedViews<Row>(compiled, () => records.values(), MAX_SORTED_VIEWS);
  const state = { schema: compiled, records, views, text };
  const batch = check(state, rows, [], { upsert: 'rows', delete: 'rows' }, updatedAtField);
  if (batch instanceof RowProblem) throw new InvalidOptionError(`createMemorySource: ${batch.message}`);
  commit(state, batch, freshness);
  return state;
}

function readChanges(changes: unknown): {
  upsert: readonly unknown[];
  remove: readonly unknown[];
  throughMs?: number;
} {
  const fail = (m: string) => new InvalidArgumentError(`MemorySearchSource.apply: ${m}`);
  if (typeof changes !== 'object' || changes === null) throw fail('`changes` must be an object');
  const { upsert = [], delete: remove = [], indexedThroughMs } = changes as Record<string, unknown>;
  if (!Array.isArray(upsert)) throw fail('`upsert` must be an array of rows');
  if (!Array.isArray(remove)) throw fail('`delete` must be an array of keys');
  if (indexedThroughMs !== undefined && !Number.isFinite(indexedThroughMs)) {
    throw fail('`indexedThroughMs` must be a finite number (epoch ms)');
  }
  return {
    upsert,
    remove,
    ...(indexedThroughMs === undefined ? {} : { throughMs: indexedThroughMs as number }),
  };
}

/** Applies one change-feed batch, all or nothing (`InvalidArgumentError` on a bad one). */
export function applyChanges<Row>(
  s: BoundState<Row>,
  changes: unknown,
  updatedAtField: string | undefined,
  freshness: FreshnessTracker,
): MemoryApplyResult {
  const { upsert, remove, throughMs } = readChanges(changes);
  const names = { upsert: 'upsert', delete: 'delete' };
  const batch = check(s, upsert as readonly Row[], remove, names, updatedAtField);
  if (batch instanceof RowProblem)
    throw new InvalidArgumentError(`MemorySearchSource.apply: ${batch.message}`);
  const result = commit(s, batch, freshness);
  if (throughMs !== undefined) freshness.applied(throughMs);
  return result;
}

/** Answers one query. */
export async function runQuery<Row>(
  s: BoundState<Row>,
  query: SourceQuery,
  freshness: FreshnessTracker,
  clock: Clock,
): Promise<SourceResult<Row>> {
  if (query.signal.aborted) {
    throw new SearchTimeoutError('page', query.timeoutMs, { cause: query.signal.reason });
  }
  let matches: Map<KeyValue, number> | undefined;
  if (query.text !== undefined) {
    if (s.text === undefined)
      throw new InvalidArgumentError('search text needs a field with a `text` weight');
    // The engine runs on the event loop, so no timer can interrupt it: it checks the budget itself
    // between its passes over the index.
    const deadlineMs = clock.now() + query.timeoutMs;
    matches = s.text.match(
      query.text,
      (key) => s.records.get(key),
      () => {
        if (query.signal.aborted || clock.now() > deadlineMs)
          throw new SearchTimeoutError('page', query.timeoutMs);
      },
    );
  }
  // Page, total and facets are read in one synchronous stretch, so no `apply` falls between them:
  // the memory counterpart of PostgreSQL's single snapshot.
  const ctx = { schema: s.schema, views: s.views, records: s.records, matches };
  const rows = readPage(ctx, query);
  const aggregates = readAggregates(ctx, query);
  return { rows, ...aggregates, freshness: await freshness.read(), degraded: [] };
}
