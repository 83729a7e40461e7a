/**
 * Keyset (cursor) pages: `first`/`after` forward, `last`/`before` backward, one signed cursor per edge.
 * hasPreviousPage on a forward page read after a cursor is true without a query (a row was there when
 * the cursor was made; it may have been deleted since), and hasNextPage mirrors it on backward pages.
 */
import { StoreError } from '../core/errors.js';
import type { CursorCodec, CursorPayload, CursorTermType } from './cursor.js';
import { queryHash } from './cursor.js';
import { CursorMismatchError, ExpiredCursorError, InvalidCursorError, InvalidQueryError } from './errors.js';
import { isValueOfType } from './field-values.js';
import type { SearchInstruments } from './instruments.js';
import {
  CURSOR_KEYS,
  checkKind,
  pageParts,
  pageSize,
  type ResolvedQuery,
  requestRecord,
  resolveQuery,
  sameOrAbsent,
  sourceQuery,
} from './paginator-input.js';
import type { ResolvedPaginatorOptions } from './paginator-options.js';
import { type RunContext, runQuery } from './paginator-run.js';
import { type CursorPage, RELEVANCE_FIELD, type SortTerm, type SourceRow } from './types.js';

/** Everything a page call needs. */
export interface PageContext<Row> {
  readonly options: ResolvedPaginatorOptions<Row>;
  readonly instruments: SearchInstruments;
  readonly codec: CursorCodec;
  readonly run: RunContext<Row>;
}

interface KeysetRequest {
  readonly size: number;
  readonly backward: boolean;
  readonly cursor: CursorPayload | undefined;
}

function termTypes(o: ResolvedPaginatorOptions<unknown>, terms: readonly SortTerm[]): CursorTermType[] {
  return terms.map((t) => {
    if (t.field === RELEVANCE_FIELD) return { type: 'relevance', nullable: false };
    const field = o.fields.get(t.field);
    if (field === undefined) throw new StoreError(`sort term \`${t.field}\` is not a field`);
    return { type: field.type, nullable: field.nullable };
  });
}

function rejectionReason(error: unknown): string | undefined {
  if (error instanceof InvalidCursorError) return error.reason;
  if (error instanceof ExpiredCursorError) return 'expired';
  if (error instanceof CursorMismatchError) return 'mismatch';
  return undefined;
}

function checkCombination(input: Record<string, unknown>): void {
  const { first, last, after, before } = input;
  const refuse = (parameter: string, message: string) => {
    throw new InvalidQueryError(parameter, message);
  };
  if (after !== undefined && before !== undefined) refuse('before', 'cannot be combined with `after`');
  if (first !== undefined && last !== undefined) refuse('last', 'cannot be combined with `first`');
  if (first !== undefined && before !== undefined)
    refuse('first', 'goes with `after`; use `last` with `before`');
  if (last !== undefined && after !== undefined)
    refuse('last', 'goes with `before`; use `first` with `after`');
}

function keysetRequest<Row>(
  c: PageContext<Row>,
  input: Record<string, unknown>,
  types: readonly CursorTermType[],
  hash: string,
): KeysetRequest {
  checkCombination(input);
  const backward = input.last !== undefined || input.before !== undefined;
  const sizeKey = backward ? 'last' : 'first';
  const size = pageSize(c.options, input[sizeKey], sizeKey);
  sameOrAbsent(input.limit, input[sizeKey], 'limit', sizeKey);
  const parameter = backward ? 'before' : 'after';
  const raw = input[parameter];
  if (raw === undefined) return { size, backward, cursor: undefined };
  try {
    return { size, backward, cursor: c.codec.decode(raw, parameter, hash, types) };
  } catch (error) {
    const reason = rejectionReason(error);
    if (reason !== undefined) c.instruments.cursorRejected.add(1, { paginator: c.options.name, reason });
    throw error;
  }
}

function checkKeys(
  rows: readonly SourceRow<unknown>[],
  types: readonly CursorTermType[],
  limit: number,
): void {
  if (rows.length > limit + 1) {
    throw new StoreError(`search source returned ${rows.length} rows for limit ${limit}`);
  }
  for (const { keys } of rows) {
    const ok =
      Array.isArray(keys) &&
      keys.length === types.length &&
      types.every((t, i) => {
        const v = keys[i];
        return v === null ? t.nullable : v !== undefined && isValueOfType(v, t.type);
      });
    if (!ok) throw new StoreError('search source returned row keys that do not match the sort');
  }
}

/** Depth of the first edge: rows before it (approximate for walks that started at the end). */
function startDepth(r: KeysetRequest, returned: number): number {
  if (r.cursor === undefined) return 0;
  return r.backward ? Math.max(0, r.cursor.n - returned) : r.cursor.n + 1;
}

/** One keyset page. */
export async function cursorPage<Row>(c: PageContext<Row>, input: unknown): Promise<CursorPage<Row>> {
  const record = requestRecord(input);
  checkKind(record, CURSOR_KEYS, 'cursorPage');
  const q: ResolvedQuery = resolveQuery(c.options, record, 'keyset');
  const hash = queryHash(q.sort.terms, q.filters, q.text, c.options.name);
  const types = termTypes(c.options, q.sort.terms);
  const r = keysetRequest(c, record, types, hash);
  const page = {
    kind: 'keyset',
    after: r.cursor?.s ?? null,
    direction: r.backward ? 'backward' : 'forward',
    limit: r.size,
  } as const;
  const labels = { kind: q.text === undefined ? 'keyset' : 'fulltext', depth: r.cursor?.n ?? 0 } as const;
  const { result, degraded } = await runQuery(c.run, sourceQuery(q, page), labels);
  checkKeys(result.rows, types, r.size);
  const hasMore = result.rows.length > r.size;
  const rows = r.backward
    ? result.rows.slice(hasMore ? result.rows.length - r.size : 0)
    : result.rows.slice(0, r.size);
  const depth = startDepth(r, rows.length);
  const edges = rows.map((row, i) =>
    Object.freeze({
      cursor: c.codec.encode({ s: row.keys, d: r.backward ? 'b' : 'a', q: hash, n: depth + i }),
      node: row.row,
    }),
  );
  const continued = r.cursor !== undefined;
  return Object.freeze({
    kind: 'keyset',
    items: Object.freeze(rows.map((row) => row.row)),
    edges: Object.freeze(edges),
    pageInfo: Object.freeze({
      hasNextPage: r.backward ? continued : hasMore,
      hasPreviousPage: r.backward ? hasMore : continued,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges[edges.length - 1]?.cursor ?? null,
    }),
    ...pageParts(q, result, degraded),
  });
}
