/**
 * `createPaginator`: offset and keyset pages over one `SearchSource`. The paginator is the only place
 * client input is parsed; it resolves the sort (key appended), signs and verifies cursors bound to the
 * query, applies the page-size and offset limits and the timeout policy, and maps source rows to pages
 * with one cursor per edge (Relay).
 */
import { createCursorCodec } from './cursor.js';
import { InvalidQueryError, TooDeepError } from './errors.js';
import { searchInstruments } from './instruments.js';
import {
  checkKind,
  OFFSET_KEYS,
  pageParts,
  pageSize,
  requestRecord,
  resolveQuery,
  sameOrAbsent,
  sourceQuery,
} from './paginator-input.js';
import { cursorPage, type PageContext } from './paginator-keyset.js';
import { parsePaginatorOptions } from './paginator-options.js';
import { runQuery } from './paginator-run.js';
import type { OffsetPage, Paginator, PaginatorOptions } from './types.js';

function pageNumber(value: unknown): number {
  if (value === undefined) return 1;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new InvalidQueryError('page', 'must be an integer of at least 1');
  }
  return value;
}

async function offsetPage<Row>(c: PageContext<Row>, input: unknown): Promise<OffsetPage<Row>> {
  const o = c.options;
  const record = requestRecord(input);
  checkKind(record, OFFSET_KEYS, 'offsetPage');
  if (record.first !== undefined && record.limit === undefined) {
    throw new InvalidQueryError('first', 'offset pages take `limit`');
  }
  sameOrAbsent(record.first, record.limit, 'first', 'limit');
  const q = resolveQuery(o, record, 'offset');
  const page = pageNumber(record.page);
  const limit = pageSize(o, record.limit, 'limit');
  const offset = (page - 1) * limit;
  if (offset + limit > o.maxOffset) throw new TooDeepError('page', o.maxOffset);
  const labels = { kind: q.text === undefined ? 'offset' : 'fulltext', depth: offset } as const;
  const { result, degraded } = await runQuery(
    c.run,
    sourceQuery(q, { kind: 'offset', offset, limit }),
    labels,
  );
  const rows = result.rows.slice(0, limit);
  const parts = pageParts(q, result, degraded);
  const total = parts.total;
  return Object.freeze({
    kind: 'offset',
    items: Object.freeze(rows.map((r) => r.row)),
    page,
    limit,
    hasNextPage: result.rows.length > limit,
    ...(total?.exact === true ? { pageCount: Math.ceil(total.value / limit) } : {}),
    ...parts,
  });
}

/**
 * Creates a paginator over `options.source`: `cursorPage` (keyset, Relay-style, signed cursors bound
 * to the sort, filters and search text) and `offsetPage` (page numbers, up to `maxOffset`). Throws
 * `InvalidOptionError` for bad options; page calls throw `SearchInputError` subclasses for bad input
 * and `SearchTimeoutError` when the budget runs out.
 *
 * @example
 * ```ts nocheck
 * const paginator = createPaginator({
 *   source: createMemorySource({ rows }),
 *   fields: { id: { type: 'integer' }, createdAt: { type: 'timestamp' }, status: { type: 'string', filter: ['eq', 'in'] } },
 *   sorts: ['-createdAt'],
 *   cursorKeys: [{ id: '2026-01', secret: process.env.CURSOR_SECRET }],
 * });
 * const page = await paginator.cursorPage({ first: 20, filter: { status: 'open' } });
 * const next = await paginator.cursorPage({ first: 20, filter: { status: 'open' }, after: page.pageInfo.endCursor });
 * ```
 */
export function createPaginator<Row>(options: PaginatorOptions<Row>): Paginator<Row> {
  const resolved = parsePaginatorOptions(options);
  const instruments = searchInstruments(resolved.metrics);
  const c: PageContext<Row> = {
    options: resolved,
    instruments,
    codec: createCursorCodec({
      keys: resolved.cursorKeys,
      ttlMs: resolved.cursorTtlMs,
      clock: resolved.clock,
    }),
    run: {
      source: resolved.source,
      clock: resolved.clock,
      timeoutMs: resolved.timeoutMs,
      onTimeout: resolved.onTimeout,
      instruments,
      name: resolved.name,
    },
  };
  return Object.freeze({
    cursorPage: (input?: Parameters<Paginator<Row>['cursorPage']>[0]) => cursorPage(c, input),
    offsetPage: (input?: Parameters<Paginator<Row>['offsetPage']>[0]) => offsetPage(c, input),
  });
}
