/**
 * Call-time checks of a page request shared by both page kinds: the request's keys, the sort (looked
 * up among the allowed ones, never parsed), the search text, facets, total mode and page sizes. Every
 * refusal is a `SearchInputError` subclass naming the parameter.
 */
import { InvalidQueryError, PageSizeError } from './errors.js';
import { stringProblem } from './field-values.js';
import { isPlainRecord, parseFilters } from './filter-parse.js';
import type { ResolvedPaginatorOptions } from './paginator-options.js';
import type { ResolvedSort } from './sort.js';
import type {
  FacetCounts,
  FilterCondition,
  Freshness,
  SourcePageRequest,
  SourceQuery,
  SourceResult,
  Total,
  TotalMode,
} from './types.js';

/** A request's query part, checked and normalised. */
export interface ResolvedQuery {
  readonly sort: ResolvedSort;
  readonly filters: readonly FilterCondition[];
  readonly text: string | undefined;
  readonly facets: readonly { readonly field: string; readonly limit: number }[];
  readonly total: TotalMode;
}

const COMMON_KEYS = ['sort', 'filter', 'search', 'facets', 'total'];
/** Keys `cursorPage` reads (`limit` only as an alias equal to `first`/`last`, as query strings give it). */
export const CURSOR_KEYS: ReadonlySet<string> = new Set([
  ...COMMON_KEYS,
  'first',
  'after',
  'last',
  'before',
  'limit',
]);
/** Keys `offsetPage` reads (`first` only as an alias equal to `limit`). */
export const OFFSET_KEYS: ReadonlySet<string> = new Set([...COMMON_KEYS, 'page', 'limit', 'first']);
const ALL_KEYS: ReadonlySet<string> = new Set([...CURSOR_KEYS, ...OFFSET_KEYS]);
const TOTALS: readonly TotalMode[] = ['exact', 'estimated', 'none'];

/** The request as a record of known keys (unknown keys are refused: a typo is not a default). */
export function requestRecord(input: unknown): Record<string, unknown> {
  if (input === undefined) return {};
  if (!isPlainRecord(input)) throw new InvalidQueryError('request', 'must be an object');
  for (const key of Object.keys(input)) {
    if (!ALL_KEYS.has(key))
      throw new InvalidQueryError(/^[A-Za-z]{1,32}$/.test(key) ? key : 'request', 'unknown parameter');
  }
  return input;
}

function resolveText(o: ResolvedPaginatorOptions<unknown>, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new InvalidQueryError('search', 'must be a string');
  const text = value.trim();
  if (text === '') return undefined;
  if (!o.searchable) throw new InvalidQueryError('search', 'this list has no full-text search');
  const problem = stringProblem(text, o.maxTextLength) ?? textComplexityProblem(text);
  if (problem !== undefined) throw new InvalidQueryError('search', problem);
  return text;
}

/** Most words, `OR` alternatives, quoted phrases and `-` exclusions in one search text. */
export const TEXT_LIMITS = Object.freeze({ words: 32, alternatives: 4, phrases: 4, exclusions: 4 });

/**
 * Bounds the work one search text can ask for: every alternative, phrase and exclusion is another pass
 * over the index (an in-process engine runs them on the event loop), so 64 `OR`s in 256 characters
 * would block the process for seconds.
 */
function textComplexityProblem(text: string): string | undefined {
  const chunks = text.split(/\s+/u).filter((c) => c !== '');
  const count = (test: (chunk: string) => boolean) => chunks.filter(test).length;
  const figures = {
    words: chunks.length,
    alternatives: count((c) => c === 'OR') + 1,
    phrases: Math.floor((text.match(/"/gu)?.length ?? 0) / 2),
    exclusions: count((c) => c.startsWith('-')),
  };
  for (const [name, limit] of Object.entries(TEXT_LIMITS) as [keyof typeof TEXT_LIMITS, number][]) {
    if (figures[name] > limit) return `has more than ${limit} ${name}`;
  }
  return undefined;
}

function resolveSortInput(o: ResolvedPaginatorOptions<unknown>, value: unknown, text: string | undefined) {
  if (value === undefined) return text === undefined ? o.defaultPlainSort : o.defaultSort;
  const sort = typeof value === 'string' && value.length <= 512 ? o.sorts.get(value) : undefined;
  if (sort === undefined) {
    const allowed = [...new Set([...o.sorts.values()].map((s) => s.spec))].join(' | ');
    throw new InvalidQueryError('sort', `must be one of: ${allowed}`);
  }
  if (sort.relevance && text === undefined)
    throw new InvalidQueryError('sort', '`relevance` needs search text');
  return sort;
}

function resolveFacets(o: ResolvedPaginatorOptions<unknown>, value: unknown) {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.length > o.fields.size) {
    throw new InvalidQueryError('facets', `must be a list of at most ${o.fields.size} field names`);
  }
  const seen = new Set<string>();
  return value.map((name: unknown, i) => {
    const field = typeof name === 'string' ? o.fields.get(name) : undefined;
    if (field === undefined || !field.facet) throw new InvalidQueryError(`facets.${i}`, 'not a facet field');
    if (seen.has(field.name)) throw new InvalidQueryError(`facets.${i}`, 'given twice');
    seen.add(field.name);
    return Object.freeze({ field: field.name, limit: o.facetLimit });
  });
}

/** Checks the query part of a request. */
export function resolveQuery(
  o: ResolvedPaginatorOptions<unknown>,
  input: Record<string, unknown>,
  kind: 'offset' | 'keyset',
): ResolvedQuery {
  const text = resolveText(o, input.search);
  const sort = resolveSortInput(o, input.sort, text);
  const filters = parseFilters(input.filter, o.fields, o.maxFilters);
  const facets = resolveFacets(o, input.facets);
  let total: TotalMode = o.defaultTotal ?? (kind === 'offset' ? 'exact' : 'none');
  if (input.total !== undefined) {
    if (!(TOTALS as readonly unknown[]).includes(input.total)) {
      throw new InvalidQueryError('total', "must be 'exact', 'estimated' or 'none'");
    }
    total = input.total as TotalMode;
  }
  return { sort, filters, text, facets, total };
}

/** A page size: a safe integer in 1..maxPageSize (over it: clamped or `PageSizeError`, per policy). */
export function pageSize(o: ResolvedPaginatorOptions<unknown>, value: unknown, parameter: string): number {
  if (value === undefined) return o.defaultPageSize;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new InvalidQueryError(parameter, 'must be an integer of at least 1');
  }
  if (value <= o.maxPageSize) return value;
  if (o.pageSizePolicy === 'clamp') return o.maxPageSize;
  throw new PageSizeError(parameter, o.maxPageSize);
}

/** Refuses `value` of `key` unless absent or equal to `expected` (the aliases of a query-string size). */
export function sameOrAbsent(value: unknown, expected: unknown, key: string, instead: string): void {
  if (value !== undefined && value !== expected) throw new InvalidQueryError(key, `use \`${instead}\` here`);
}

/** Refuses keys of the other page kind (a cursor given to an offset page is a mistake, not a default). */
export function checkKind(
  record: Record<string, unknown>,
  allowed: ReadonlySet<string>,
  method: string,
): void {
  for (const key of Object.keys(record)) {
    if (!allowed.has(key) && record[key] !== undefined) {
      throw new InvalidQueryError(key, `is not a parameter of ${method}`);
    }
  }
}

/** The source query of `q` for `page` (the runner adds the budget and the signal). */
export function sourceQuery(
  q: ResolvedQuery,
  page: SourcePageRequest,
): Omit<SourceQuery, 'signal' | 'timeoutMs'> {
  return { filters: q.filters, text: q.text, sort: q.sort.terms, page, total: q.total, facets: q.facets };
}

/** The parts both page kinds return. */
export interface PageParts {
  readonly total?: Total;
  readonly facets?: readonly FacetCounts[];
  readonly freshness: Freshness;
  readonly degraded: readonly ('total' | 'facets')[];
  readonly sort: string;
}

/** Total (when asked, or an estimate replacing it), facets (when asked), freshness, degraded parts, sort. */
export function pageParts(
  q: ResolvedQuery,
  result: SourceResult<unknown>,
  degraded: readonly ('total' | 'facets')[],
): PageParts {
  const parts: { -readonly [K in keyof PageParts]: PageParts[K] } = {
    freshness: result.freshness,
    degraded: Object.freeze([...degraded]),
    sort: q.sort.spec,
  };
  if (result.total !== undefined && q.total !== 'none') parts.total = result.total;
  if (result.facets !== undefined && q.facets.length > 0) parts.facets = result.facets;
  return parts;
}
