/**
 * JSON:API-style query strings to a page request: `sort=-createdAt`, `filter[status]=open`,
 * `filter[price][gte]=10`, `filter[tag][in]=a,b`, `q=` (or `search=`), `facets=status,tag`,
 * `page[size]=20`, `page[after]=...`, `page[before]=...`, `page[number]=3`, `total=exact`.
 *
 * Rules (deliberate): a parameter given twice is refused (`sort=a&sort=b` has no right answer);
 * parameters outside these families are ignored (they belong to the app), but a malformed `page[...]`
 * or `filter[...]` is refused; values stay strings and are parsed per field type by the paginator,
 * except `null`, which means null (with `options.fields`, only for nullable fields). `in` lists are
 * split on commas, so their values cannot contain one (JSON callers pass arrays instead).
 */
import { InvalidQueryError } from './errors.js';
import type { CursorPageInput, FieldMap, OffsetPageInput, TotalMode } from './types.js';

/** Options of {@link parseQueryString}. */
export interface QueryStringOptions {
  /** The paginator's fields: with them, `null` means null only for nullable fields (else it is the string). */
  readonly fields?: FieldMap;
  /** Longest query string accepted, in characters (default 8192). */
  readonly maxLength?: number;
}

/** What {@link parseQueryString} returns: pass it to `cursorPage` or `offsetPage` (`page` set → offset). */
export type QueryStringRequest = CursorPageInput & OffsetPageInput;

const MAX_PARAMS = 256;
const MAX_FACETS = 32;
const FILTER_NAME = /^filter\[([^[\]]{1,64})\](?:\[([^[\]]{1,16})\])?$/;
const PAGE_NAME = /^page\[([^[\]]*)\]$/;
const SAFE = /^[A-Za-z0-9_]{1,64}$/;
const TOTALS: readonly TotalMode[] = ['exact', 'estimated', 'none'];

interface Draft {
  sort?: string;
  search?: string;
  facets?: readonly string[];
  total?: TotalMode;
  size?: number;
  number?: number;
  after?: string;
  before?: string;
  filter?: Record<string, unknown>;
}

function toParams(params: URLSearchParams | string, maxLength: number): URLSearchParams {
  if (typeof params === 'string') {
    if (params.length > maxLength)
      throw new InvalidQueryError('query', `longer than ${maxLength} characters`);
    return new URLSearchParams(params.startsWith('?') ? params.slice(1) : params);
  }
  if (!(params instanceof URLSearchParams)) {
    throw new InvalidQueryError('query', 'must be a URLSearchParams or a string');
  }
  return params;
}

function positive(value: string, parameter: string, maxDigits: number): number {
  if (!new RegExp(`^[1-9]\\d{0,${maxDigits - 1}}$`).test(value)) {
    throw new InvalidQueryError(parameter, 'must be a positive integer');
  }
  return Number(value);
}

function filterValue(name: string, value: string, fields: FieldMap | undefined): string | null {
  if (value !== 'null') return value;
  if (fields === undefined) return null;
  const spec = Object.hasOwn(fields, name) ? fields[name] : undefined;
  return spec?.nullable === true ? null : value;
}

function addFilter(draft: Draft, key: string, value: string, fields: FieldMap | undefined): void {
  const match = FILTER_NAME.exec(key);
  if (match === null) throw new InvalidQueryError('filter', 'use filter[field] or filter[field][operator]');
  const [, name = '', op] = match;
  const parameter = `filter.${SAFE.test(name) ? name : '?'}`;
  const filter = draft.filter ?? (Object.create(null) as Record<string, unknown>);
  draft.filter = filter;
  const existing = Object.hasOwn(filter, name) ? filter[name] : undefined;
  if (op === undefined) {
    if (existing !== undefined) throw new InvalidQueryError(parameter, 'given twice');
    filter[name] = filterValue(name, value, fields);
    return;
  }
  const ops: Record<string, unknown> =
    existing === undefined
      ? Object.create(null)
      : typeof existing === 'object' && existing !== null
        ? (existing as Record<string, unknown>)
        : Object.assign(Object.create(null), { eq: existing });
  if (Object.hasOwn(ops, op)) throw new InvalidQueryError(`${parameter}.${op}`, 'given twice');
  ops[op] =
    op === 'in'
      ? value.split(',').map((v) => filterValue(name, v, fields))
      : filterValue(name, value, fields);
  filter[name] = ops;
}

function addPage(draft: Draft, key: string, value: string): void {
  const part = PAGE_NAME.exec(key)?.[1];
  switch (part) {
    case 'size':
      draft.size = positive(value, 'page.size', 9);
      return;
    case 'number':
      draft.number = positive(value, 'page.number', 15);
      return;
    case 'after':
    case 'before':
      if (value.length === 0) throw new InvalidQueryError(`page.${part}`, 'must not be empty');
      draft[part] = value;
      return;
    default:
      throw new InvalidQueryError('page', 'use page[size], page[number], page[after] or page[before]');
  }
}

function addTop(draft: Draft, key: string, value: string): void {
  switch (key) {
    case 'sort':
      if (value.length === 0 || value.length > 512)
        throw new InvalidQueryError('sort', 'must be 1..512 characters');
      draft.sort = value;
      return;
    case 'q':
    case 'search':
      if (draft.search !== undefined) throw new InvalidQueryError(key, 'give either q or search, not both');
      draft.search = value;
      return;
    case 'facets': {
      const names = value === '' ? [] : value.split(',');
      if (names.length > MAX_FACETS || names.some((n) => n.length === 0)) {
        throw new InvalidQueryError('facets', `must be 0..${MAX_FACETS} comma-separated field names`);
      }
      draft.facets = names;
      return;
    }
    case 'total':
      if (!(TOTALS as readonly string[]).includes(value)) {
        throw new InvalidQueryError('total', "must be 'exact', 'estimated' or 'none'");
      }
      draft.total = value as TotalMode;
  }
}

function toRequest(draft: Draft): QueryStringRequest {
  if (draft.after !== undefined && draft.before !== undefined) {
    throw new InvalidQueryError('page.before', 'cannot be combined with page[after]');
  }
  const cursor = draft.after !== undefined || draft.before !== undefined;
  if (draft.number !== undefined && cursor) {
    throw new InvalidQueryError('page.number', 'cannot be combined with page[after] or page[before]');
  }
  const sizeKey = draft.before !== undefined ? 'last' : 'first';
  const out: Record<string, unknown> = {};
  if (draft.sort !== undefined) out.sort = draft.sort;
  if (draft.filter !== undefined) out.filter = draft.filter;
  if (draft.search !== undefined && draft.search.trim() !== '') out.search = draft.search;
  if (draft.facets !== undefined && draft.facets.length > 0) out.facets = draft.facets;
  if (draft.total !== undefined) out.total = draft.total;
  if (draft.after !== undefined) out.after = draft.after;
  if (draft.before !== undefined) out.before = draft.before;
  if (draft.number !== undefined) out.page = draft.number;
  if (draft.size !== undefined) {
    out.limit = draft.size;
    if (draft.number === undefined) out[sizeKey] = draft.size;
  }
  return Object.freeze(out) as QueryStringRequest;
}

/**
 * Parses a JSON:API-style query string into a page request. Every malformed parameter is an
 * `InvalidQueryError` naming it (`page.size`, `filter.price.gte`); field names, operators and values
 * are checked by the paginator against its allowlist.
 *
 * @example
 * ```ts nocheck
 * const request = parseQueryString(new URL(req.url, 'http://x').searchParams);
 * const page = request.page === undefined ? await paginator.cursorPage(request) : await paginator.offsetPage(request);
 * ```
 */
export function parseQueryString(
  params: URLSearchParams | string,
  options: QueryStringOptions = {},
): QueryStringRequest {
  const search = toParams(params, options.maxLength ?? 8192);
  const seen = new Set<string>();
  const draft: Draft = {};
  for (const [key, value] of search) {
    if (seen.size >= MAX_PARAMS) throw new InvalidQueryError('query', `more than ${MAX_PARAMS} parameters`);
    if (seen.has(key)) throw new InvalidQueryError(SAFE.test(key) ? key : 'query', 'given more than once');
    seen.add(key);
    if (key.startsWith('filter[') || key === 'filter') addFilter(draft, key, value, options.fields);
    else if (key.startsWith('page[') || key === 'page') addPage(draft, key, value);
    else addTop(draft, key, value);
  }
  return toRequest(draft);
}
