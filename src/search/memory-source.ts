/**
 * The in-memory search source: rows held in the process, sorted arrays per sort kept up to date
 * incrementally, full text on minisearch. It is the default source of a paginator, and an index fed by
 * a change feed when the rows live elsewhere (`apply` plus a `sourceWatermark` for the lag).
 */
import type { Clock } from '../core/clock.js';
import { InvalidArgumentError, InvalidOptionError, StoreError } from '../core/errors.js';
import { defineOptions, opt, optionError } from '../core/options.js';
import { SearchTimeoutError } from './errors.js';
import { createFreshness, type SourceWatermark } from './memory-freshness.js';
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
import type { SearchSource, SourceQuery, SourceResult, SourceSchema } from './types.js';

export type { SourceWatermark } from './memory-freshness.js';
export { ENGLISH_STOP_WORDS, type MemoryTextOptions } from './memory-text.js';

/** Options of {@link createMemorySource}. */
export interface MemorySourceOptions<Row> {
  /** The initial rows, checked against the schema when the paginator binds the source. */
  readonly rows?: readonly Row[];
  /**
   * The row property holding when the row last changed (a Date, ISO 8601 string or epoch ms). With it,
   * `freshness.indexedThroughMs` is the newest one applied; every row must then have it.
   */
  readonly updatedAtField?: string;
  /**
   * The source of truth's newest change (epoch ms, or null), when the rows live elsewhere and reach this
   * source through `apply`: results then say `consistency: 'eventual'` with the lag. A throwing or
   * non-numeric watermark reads as unknown (null). Without it the source is strongly consistent.
   */
  readonly sourceWatermark?: SourceWatermark;
  /** How long a watermark reading is reused. Default 1000 ms; 0 reads it on every query. */
  readonly watermarkRefreshMs?: number;
  readonly clock?: Clock;
  readonly textOptions?: MemoryTextOptions;
}

/** One batch of the change feed. */
export interface MemoryChanges<Row> {
  /** Rows to insert or replace (by key). */
  readonly upsert?: readonly Row[];
  /** Keys of rows to remove; an unknown key is skipped. */
  readonly delete?: readonly KeyValue[];
  /** The feed position (epoch ms) this batch brings the index up to, when it is newer than its rows. */
  readonly indexedThroughMs?: number;
}

/** What one `apply` changed. */
export interface MemoryApplyResult {
  readonly upserted: number;
  readonly deleted: number;
}

/** A {@link SearchSource} over rows in memory, with its change feed. */
export interface MemorySearchSource<Row> extends SearchSource<Row> {
  readonly kind: 'memory';
  /**
   * Applies a batch incrementally (no reindex): upserts replace by key, deletes remove by key. The
   * whole batch is checked first (`InvalidArgumentError`: a row not matching the schema, a key twice);
   * a bad batch changes nothing. Throws `StoreError` before `bind` or after `close`.
   */
  apply(changes: MemoryChanges<Row>): MemoryApplyResult;
  /** Number of rows held (0 before `bind`). */
  readonly size: number;
}

const stopWordsSpec = opt.custom<readonly string[]>((value, path, owner) => {
  if (!Array.isArray(value)) throw optionError(owner, path, 'an array of words', value);
  return value.map((w: unknown, i) => {
    if (typeof w !== 'string' || w.length === 0 || w.length > 64) {
      throw optionError(owner, `${path}[${i}]`, 'a word of 1..64 characters', w);
    }
    return w.toLowerCase();
  });
});

const parseOptions = defineOptions('createMemorySource', {
  rows: opt.custom<readonly unknown[]>((value, path, owner) => {
    if (!Array.isArray(value)) throw optionError(owner, path, 'an array of rows', value);
    return value;
  }),
  updatedAtField: opt.string({ maxLength: 128 }),
  sourceWatermark: opt.fn<SourceWatermark>(),
  watermarkRefreshMs: opt.duration({ default: 1000, min: 0 }),
  clock: opt.clock(),
  textOptions: opt.shape({
    prefix: opt.boolean(),
    fuzzy: opt.number({ min: 0, max: 10 }),
    stopWords: stopWordsSpec,
  }),
});

interface BoundState<Row> {
  readonly schema: MemorySchema;
  readonly records: Map<KeyValue, MemoryRecord<Row>>;
  readonly views: SortedViews<Row>;
  readonly text: TextIndex<Row> | undefined;
}

const MAX_SORTED_VIEWS = 32;

/**
 * Creates an in-memory source. Pass it to `createPaginator`, which binds it to the fields; then feed it
 * with `apply` when the rows change.
 *
 * @example
 * ```ts
 * const source = createMemorySource({ rows: products, updatedAtField: 'updatedAt' });
 * const paginator = createPaginator({ source, fields, sorts: ['-createdAt'], cursorKeys });
 * source.apply({ upsert: [changedProduct], delete: [deletedId] });
 * ```
 */
export function createMemorySource<Row = Record<string, unknown>>(
  options: MemorySourceOptions<Row> = {},
): MemorySearchSource<Row> {
  const o = parseOptions(options);
  const initialRows = (o.rows ?? []) as readonly Row[];
  const freshness = createFreshness(o.sourceWatermark, o.watermarkRefreshMs, o.clock);
  let state: BoundState<Row> | undefined;
  let closed = false;

  const bound = (what: string): BoundState<Row> => {
    if (closed) throw new StoreError(`memory search source: ${what} after close`);
    if (state === undefined) {
      throw new StoreError(
        `memory search source: ${what} before bind (pass the source to createPaginator first)`,
      );
    }
    return state;
  };

  const commit = (s: BoundState<Row>, batch: CheckedBatch<Row>): MemoryApplyResult => {
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
  };

  const check = (s: BoundState<Row>, upsert: readonly Row[], remove: readonly unknown[], names: Names) => {
    try {
      return checkBatch(s.schema, upsert, remove, names, o.updatedAtField);
    } catch (error) {
      if (!(error instanceof RowProblem)) throw error;
      return error;
    }
  };

  return {
    kind: 'memory',
    capabilities: { text: true, estimatedTotal: false, maxOffset: null },
    get size() {
      return state?.records.size ?? 0;
    },
    bind(schema: SourceSchema) {
      if (closed) throw new StoreError('memory search source: bind after close');
      if (state !== undefined) {
        throw new InvalidOptionError(
          'createMemorySource: the source is already bound (one source per paginator)',
        );
      }
      const next = bindState<Row>(schema, o.textOptions ?? {});
      const batch = check(next, initialRows, [], { upsert: 'rows', delete: 'rows' });
      if (batch instanceof RowProblem) throw new InvalidOptionError(`createMemorySource: ${batch.message}`);
      commit(next, batch);
      state = next;
    },
    apply(changes) {
      const s = bound('apply');
      const { upsert, remove, throughMs } = readChanges(changes);
      const batch = check(s, upsert as readonly Row[], remove, { upsert: 'upsert', delete: 'delete' });
      if (batch instanceof RowProblem)
        throw new InvalidArgumentError(`MemorySearchSource.apply: ${batch.message}`);
      const result = commit(s, batch);
      if (throughMs !== undefined) freshness.applied(throughMs);
      return result;
    },
    async query(query: SourceQuery): Promise<SourceResult<Row>> {
      const s = bound('query');
      if (query.signal.aborted)
        throw new SearchTimeoutError('page', query.timeoutMs, { cause: query.signal.reason });
      const matches = query.text === undefined ? undefined : matchText(s, query.text);
      const ctx = { schema: s.schema, views: s.views, records: s.records, matches };
      const rows = readPage(ctx, query);
      const aggregates = readAggregates(ctx, query);
      return { rows, ...aggregates, freshness: await freshness.read(), degraded: [] };
    },
    async close() {
      closed = true;
      const s = state;
      state = undefined;
      await s?.text?.settle();
    },
  };
}

type Names = { readonly upsert: string; readonly delete: string };

function bindState<Row>(schema: SourceSchema, textOptions: MemoryTextOptions): BoundState<Row> {
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
  return { schema: compiled, records, views, text };
}

function matchText<Row>(s: BoundState<Row>, text: string): Map<KeyValue, number> {
  if (s.text === undefined) throw new InvalidArgumentError('search text needs a field with a `text` weight');
  return s.text.match(text, (key) => s.records.get(key));
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
