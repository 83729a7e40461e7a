/**
 * One page of the memory source: pick the ordered records to scan (a kept sorted array, or the text
 * matches sorted for this query), find where the page starts (skip `offset` matches, or binary-search
 * the cursor), and scan forward or backward through the filter until `limit + 1` rows.
 */
import { compilePredicate, countAndFacet, type RecordPredicate } from './memory-filter.js';
import {
  cursorValues,
  type RecordOrder,
  recordOrder,
  type SortedViews,
  searchPosition,
} from './memory-order.js';
import type { KeyValue, MemoryRecord, MemorySchema } from './memory-rows.js';
import type { FacetCounts, SourceQuery, SourceRow, Total } from './types.js';
import { RELEVANCE_FIELD } from './types.js';

/** What a page read needs from the source. */
export interface PageContext<Row> {
  readonly schema: MemorySchema;
  readonly views: SortedViews<Row>;
  readonly records: ReadonlyMap<KeyValue, MemoryRecord<Row>>;
  /** Text matches with scores, or undefined without search text. */
  readonly matches: ReadonlyMap<KeyValue, number> | undefined;
}

// Below this share of all rows, sorting the text matches beats scanning a whole kept array.
const SORT_MATCHES_BELOW = 1 / 16;

function matchedRecords<Row>(ctx: PageContext<Row>, matches: ReadonlyMap<KeyValue, number>) {
  const out: MemoryRecord<Row>[] = [];
  for (const key of matches.keys()) {
    const record = ctx.records.get(key);
    if (record !== undefined) out.push(record);
  }
  return out;
}

function ordered<Row>(ctx: PageContext<Row>, query: SourceQuery) {
  const { matches } = ctx;
  const byRelevance = query.sort.some((t) => t.field === RELEVANCE_FIELD);
  if (matches !== undefined && (byRelevance || matches.size < ctx.records.size * SORT_MATCHES_BELOW)) {
    const order = recordOrder<Row>(ctx.schema, query.sort, matches);
    return { order, records: matchedRecords(ctx, matches).sort(order.compare) };
  }
  return ctx.views.get(query.sort);
}

function scan<Row>(
  records: readonly MemoryRecord<Row>[],
  from: number,
  step: 1 | -1,
  skip: number,
  take: number,
  keep: RecordPredicate<Row>,
): MemoryRecord<Row>[] {
  const out: MemoryRecord<Row>[] = [];
  let skipped = 0;
  for (let i = from; i >= 0 && i < records.length && out.length < take; i += step) {
    const record = records[i] as MemoryRecord<Row>;
    if (!keep(record)) continue;
    if (skipped < skip) skipped += 1;
    else out.push(record);
  }
  return out;
}

function pageRecords<Row>(
  ctx: PageContext<Row>,
  query: SourceQuery,
  order: RecordOrder<Row>,
  records: readonly MemoryRecord<Row>[],
  keep: RecordPredicate<Row>,
): MemoryRecord<Row>[] {
  const { page } = query;
  const take = page.limit + 1;
  if (page.kind === 'offset') return scan(records, 0, 1, page.offset, take, keep);
  const after = page.after === null ? null : cursorValues(ctx.schema, query.sort, page.after);
  if (page.direction === 'forward') {
    const from = after === null ? 0 : searchPosition(records, order, after, true);
    return scan(records, from, 1, 0, take, keep);
  }
  const end = after === null ? records.length : searchPosition(records, order, after, false);
  // Read backward from the cursor, then hand the rows back in sort order (the extra row comes first).
  return scan(records, end - 1, -1, 0, take, keep).reverse();
}

/** The page's rows with their keys. */
export function readPage<Row>(ctx: PageContext<Row>, query: SourceQuery): SourceRow<Row>[] {
  const keep = compilePredicate<Row>(ctx.schema, query.filters, ctx.matches);
  const { order, records } = ordered(ctx, query);
  return pageRecords(ctx, query, order, records, keep).map((r) => ({ row: r.row, keys: order.keys(r) }));
}

/** Total and facets over the filtered set (the page's filters and text). */
export function readAggregates<Row>(
  ctx: PageContext<Row>,
  query: SourceQuery,
): { total?: Total; facets?: FacetCounts[] } {
  if (query.total === 'none' && query.facets.length === 0) return {};
  const keep = compilePredicate<Row>(ctx.schema, query.filters, undefined);
  const candidates = ctx.matches === undefined ? ctx.records.values() : matchedRecords(ctx, ctx.matches);
  const { count, facets } = countAndFacet(ctx.schema, filtered(candidates, keep), query.facets);
  return {
    ...(query.total === 'none' ? {} : { total: { value: count, exact: true } }),
    ...(query.facets.length === 0 ? {} : { facets }),
  };
}

function* filtered<Row>(records: Iterable<MemoryRecord<Row>>, keep: RecordPredicate<Row>) {
  for (const record of records) if (keep(record)) yield record;
}
