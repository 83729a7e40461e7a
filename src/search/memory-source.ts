/**
 * The in-memory search source: rows held in the process, sorted arrays per sort kept up to date
 * incrementally, full text on minisearch. It is the default source of a paginator, and an index fed by
 * a change feed when the rows live elsewhere (`apply` plus a `sourceWatermark` for the lag).
 */
import type { Clock } from '../core/clock.js';
import { InvalidOptionError, StoreError } from '../core/errors.js';
import { defineOptions, opt, optionError } from '../core/options.js';
import { createFreshness, type SourceWatermark } from './memory-freshness.js';
import type { KeyValue } from './memory-rows.js';
import {
  applyChanges,
  type BoundState,
  bindState,
  type MemoryApplyResult,
  runQuery,
} from './memory-state.js';
import type { MemoryTextOptions } from './memory-text.js';
import type { SearchSource, SourceSchema } from './types.js';

export type { SourceWatermark } from './memory-freshness.js';
export type { MemoryApplyResult } from './memory-state.js';
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

/**
 * Creates an in-memory source. Pass it to `createPaginator`, which binds it to the fields; then feed it
 * with `apply` when the rows change.
 *
 * @example
 * ```ts
 * const source = createMemorySource({ rows: [{ id: 1, title: 'Red fox', updatedAt: '2026-12-01T10:00:00Z' }], updatedAtField: 'updatedAt' });
 * const paginator = createPaginator({
 *   source,
 *   fields: { id: { type: 'integer' }, title: { type: 'string', text: 'A' } },
 *   sorts: ['id'],
 *   cursorKeys: [{ id: 'k1', secret: 'a secret of at least 32 bytes!!!' }],
 * });
 * source.apply({ upsert: [{ id: 2, title: 'Blue whale', updatedAt: '2026-12-01T10:05:00Z' }], delete: [1] });
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
      state = bindState<Row>(schema, initialRows, o.textOptions ?? {}, o.updatedAtField, freshness);
    },
    apply(changes) {
      return applyChanges(bound('apply'), changes, o.updatedAtField, freshness);
    },
    async query(query) {
      return runQuery(bound('query'), query, freshness, o.clock);
    },
    async close() {
      closed = true;
      const s = state;
      state = undefined;
      await s?.text?.settle();
    },
  };
}
