/**
 * The order of a resolved sort over memory records, as one comparator, and the sorted arrays the memory
 * source keeps per sort: built on first use, then kept sorted by binary-search insert and remove as
 * `apply` changes rows, so a page is a binary search for the cursor and a short scan.
 */
import { InvalidArgumentError } from '../core/errors.js';
import type { KeyValue, MemoryRecord, MemorySchema } from './memory-rows.js';
import { compareStored, parseTimestamp, type StoredValue } from './memory-values.js';
import { type FieldValue, RELEVANCE_FIELD, type SortTerm } from './types.js';

/** Relevance scores of one text query, by key. */
export type Scores = ReadonlyMap<KeyValue, number>;

/** How a query orders records: a total order (the sort ends with the unique key). */
export interface RecordOrder<Row> {
  readonly sort: readonly SortTerm[];
  /** Negative when `a` comes first. */
  compare(a: MemoryRecord<Row>, b: MemoryRecord<Row>): number;
  /** Negative when `record` comes before the position named by `values` (stored form, one per term). */
  compareTo(record: MemoryRecord<Row>, values: readonly StoredValue[]): number;
  /** The record's value of each term, as a source returns them in `keys`. */
  keys(record: MemoryRecord<Row>): FieldValue[];
}

function compareTerm(term: SortTerm, x: StoredValue, y: StoredValue): number {
  if (x === null || y === null) {
    if (x === y) return 0;
    // Nulls are placed by `nulls` alone, whatever the direction.
    return (x === null) === (term.nulls === 'first') ? -1 : 1;
  }
  const c = compareStored(x, y);
  return term.direction === 'asc' ? c : -c;
}

/** Builds the order of `sort`; `scores` is required when the sort names `_relevance`. */
export function recordOrder<Row>(
  schema: MemorySchema,
  sort: readonly SortTerm[],
  scores: Scores | undefined,
): RecordOrder<Row> {
  const read = sort.map((term): ((r: MemoryRecord<Row>) => StoredValue) => {
    if (term.field === RELEVANCE_FIELD) {
      if (scores === undefined) {
        throw new InvalidArgumentError(`sort \`${RELEVANCE_FIELD}\` needs search text`);
      }
      return (r) => scores.get(r.key) ?? 0;
    }
    const field = schema.fields.get(term.field);
    if (field === undefined) {
      throw new InvalidArgumentError(`sort field \`${term.field}\` is not a declared field`);
    }
    const { index } = field;
    return (r) => r.values[index] ?? null;
  });
  const n = sort.length;
  return {
    sort,
    compare(a, b) {
      for (let i = 0; i < n; i++) {
        const get = read[i] as (r: MemoryRecord<Row>) => StoredValue;
        const c = compareTerm(sort[i] as SortTerm, get(a), get(b));
        if (c !== 0) return c;
      }
      return 0;
    },
    compareTo(record, values) {
      for (let i = 0; i < n; i++) {
        const get = read[i] as (r: MemoryRecord<Row>) => StoredValue;
        const c = compareTerm(sort[i] as SortTerm, get(record), values[i] ?? null);
        if (c !== 0) return c;
      }
      return 0;
    },
    keys: (record) => read.map((get) => get(record)),
  };
}

/** Turns cursor values (as `keys` returned them) into stored values; timestamps are re-canonicalised. */
export function cursorValues(
  schema: MemorySchema,
  sort: readonly SortTerm[],
  after: readonly FieldValue[],
): StoredValue[] {
  if (after.length !== sort.length) {
    throw new InvalidArgumentError(
      `the cursor has ${after.length} values for a sort of ${sort.length} terms`,
    );
  }
  return sort.map((term, i) => {
    const value = after[i] ?? null;
    if (value === null || schema.fields.get(term.field)?.type !== 'timestamp') return value;
    const stamp = parseTimestamp(value);
    if (stamp === undefined) throw new InvalidArgumentError(`cursor value ${i} is not a timestamp`);
    return stamp;
  });
}

/** First index in `sorted` whose record is not before `values` (`strict`: is after them). */
export function searchPosition<Row>(
  sorted: readonly MemoryRecord<Row>[],
  order: RecordOrder<Row>,
  values: readonly StoredValue[],
  strict: boolean,
): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const c = order.compareTo(sorted[mid] as MemoryRecord<Row>, values);
    if (c < 0 || (strict && c === 0)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function insertionPoint<Row>(
  sorted: readonly MemoryRecord<Row>[],
  order: RecordOrder<Row>,
  record: MemoryRecord<Row>,
): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (order.compare(sorted[mid] as MemoryRecord<Row>, record) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** One sort's records, kept in order. */
interface SortedView<Row> {
  readonly order: RecordOrder<Row>;
  readonly records: MemoryRecord<Row>[];
}

/** The sorted arrays of every sort queried so far (relevance sorts excluded: scores are per query). */
export class SortedViews<Row> {
  private readonly views = new Map<string, SortedView<Row>>();

  constructor(
    private readonly schema: MemorySchema,
    private readonly all: () => Iterable<MemoryRecord<Row>>,
    private readonly maxViews: number,
  ) {}

  /** The records of `sort` in order, building the array on first use. */
  get(sort: readonly SortTerm[]): { order: RecordOrder<Row>; records: readonly MemoryRecord<Row>[] } {
    const id = JSON.stringify(sort.map((t) => [t.field, t.direction, t.nulls]));
    const cached = this.views.get(id);
    if (cached !== undefined) return cached;
    const order = recordOrder<Row>(this.schema, sort, undefined);
    const view = { order, records: [...this.all()].sort(order.compare) };
    // A paginator allows a handful of sorts; the cap only bounds a caller that invents them.
    if (this.views.size >= this.maxViews) {
      const oldest = this.views.keys().next();
      if (oldest.done !== true) this.views.delete(oldest.value);
    }
    this.views.set(id, view);
    return view;
  }

  /** Moves `previous` (if any) out of and `next` (if any) into every array. */
  update(previous: MemoryRecord<Row> | undefined, next: MemoryRecord<Row> | undefined): void {
    for (const { order, records } of this.views.values()) {
      if (previous !== undefined) {
        const at = insertionPoint(records, order, previous);
        if (records[at] === previous) records.splice(at, 1);
      }
      if (next !== undefined) records.splice(insertionPoint(records, order, next), 0, next);
    }
  }

  /** Drops every array (they are rebuilt on demand). */
  clear(): void {
    this.views.clear();
  }
}
