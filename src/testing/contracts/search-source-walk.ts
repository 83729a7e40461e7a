/**
 * Query building and page walking for the SearchSource contract: a `SourceQuery` with defaults, full
 * forward and backward keyset walks, and the checks of pages after and before every position.
 */
import assert from 'node:assert/strict';
import type {
  FieldValue,
  FilterCondition,
  SearchSource,
  SortTerm,
  SourcePageRequest,
  SourceQuery,
  SourceResult,
} from '../../search/index.js';
import { type ContractRow, keysOf } from './search-source-data.js';

/** A source under contract, over plain rows. */
export type ContractSource = SearchSource<Record<string, unknown>>;

/** A sort term: `term('price', 'desc', 'first')`. */
export const term = (
  field: string,
  direction: 'asc' | 'desc' = 'asc',
  nulls: 'first' | 'last' = 'last',
): SortTerm => ({ field, direction, nulls });

/** The parts of a query a case sets; the rest defaults (no filter, no text, no total, no facets). */
export interface QueryParts {
  readonly sort: readonly SortTerm[];
  readonly filters?: readonly FilterCondition[];
  readonly text?: string;
  readonly total?: SourceQuery['total'];
  readonly facets?: SourceQuery['facets'];
}

/** A whole `SourceQuery` from parts and a page. */
export function sourceQuery(parts: QueryParts, page: SourcePageRequest): SourceQuery {
  return {
    filters: parts.filters ?? [],
    text: parts.text,
    sort: parts.sort,
    page,
    total: parts.total ?? 'none',
    facets: parts.facets ?? [],
    timeoutMs: 10_000,
    signal: new AbortController().signal,
  };
}

/** Every row of a query, by one offset page large enough to hold them all. */
export const everything = (
  source: ContractSource,
  parts: QueryParts,
): Promise<SourceResult<Record<string, unknown>>> =>
  source.query(sourceQuery(parts, { kind: 'offset', offset: 0, limit: 1000 }));

const keyset = (after: readonly FieldValue[] | null, direction: 'forward' | 'backward', limit: number) =>
  ({ kind: 'keyset', after, direction, limit }) as const;

const MAX_PAGES = 1000;

/** Walks forward from the start with `limit`; returns every row's keys in order. */
export async function walkForward(
  source: ContractSource,
  parts: QueryParts,
  limit: number,
): Promise<FieldValue[][]> {
  const out: FieldValue[][] = [];
  let after: readonly FieldValue[] | null = null;
  for (let pages = 0; pages < MAX_PAGES; pages++) {
    const { rows } = await source.query(sourceQuery(parts, keyset(after, 'forward', limit)));
    assert.ok(rows.length <= limit + 1, `a page holds at most limit + 1 rows, got ${rows.length}`);
    const page = rows.slice(0, limit);
    out.push(...page.map((r) => [...r.keys]));
    const last = page.at(-1);
    if (rows.length <= limit || last === undefined) return out;
    after = last.keys;
  }
  assert.fail('the forward walk did not end');
}

/** Walks backward from the end with `limit` (the extra row of a backward page is its first). */
export async function walkBackward(
  source: ContractSource,
  parts: QueryParts,
  limit: number,
): Promise<FieldValue[][]> {
  const out: FieldValue[][] = [];
  let before: readonly FieldValue[] | null = null;
  for (let pages = 0; pages < MAX_PAGES; pages++) {
    const { rows } = await source.query(sourceQuery(parts, keyset(before, 'backward', limit)));
    assert.ok(rows.length <= limit + 1, `a page holds at most limit + 1 rows, got ${rows.length}`);
    const page = rows.length > limit ? rows.slice(1) : rows;
    out.unshift(...page.map((r) => [...r.keys]));
    const first = page[0];
    if (rows.length <= limit || first === undefined) return out;
    before = first.keys;
  }
  assert.fail('the backward walk did not end');
}

/** Full walks both ways with several limits equal the expected order. */
export async function checkWalks(
  source: ContractSource,
  parts: QueryParts,
  expected: readonly ContractRow[],
  limits: readonly number[] = [1, 3, 7],
): Promise<void> {
  const keys = expected.map((r) => keysOf(r, parts.sort));
  for (const limit of limits) {
    assert.deepEqual(await walkForward(source, parts, limit), keys, `forward walk, limit ${limit}`);
    assert.deepEqual(await walkBackward(source, parts, limit), keys, `backward walk, limit ${limit}`);
  }
}

/** From every row's position: the next `limit + 1` rows forward, the previous `limit + 1` backward. */
export async function checkEveryPosition(
  source: ContractSource,
  parts: QueryParts,
  expected: readonly ContractRow[],
  limit = 2,
): Promise<void> {
  const keys = expected.map((r) => keysOf(r, parts.sort));
  for (let i = 0; i < keys.length; i++) {
    const at = keys[i] as FieldValue[];
    const forward = await source.query(sourceQuery(parts, keyset(at, 'forward', limit)));
    assert.deepEqual(
      forward.rows.map((r) => r.keys),
      keys.slice(i + 1, i + 2 + limit),
      `forward after position ${i}`,
    );
    const backward = await source.query(sourceQuery(parts, keyset(at, 'backward', limit)));
    assert.deepEqual(
      backward.rows.map((r) => r.keys),
      keys.slice(Math.max(0, i - limit - 1), i),
      `backward before position ${i}`,
    );
  }
}

/** Offset pages from 0 past the end equal slices of the expected order. */
export async function checkOffsets(
  source: ContractSource,
  parts: QueryParts,
  expected: readonly ContractRow[],
  limit = 4,
): Promise<void> {
  const keys = expected.map((r) => keysOf(r, parts.sort));
  for (let offset = 0; offset <= keys.length + 1; offset++) {
    const { rows } = await source.query(sourceQuery(parts, { kind: 'offset', offset, limit }));
    assert.deepEqual(
      rows.map((r) => r.keys),
      keys.slice(offset, offset + limit + 1),
      `offset ${offset}, limit ${limit}`,
    );
  }
}
