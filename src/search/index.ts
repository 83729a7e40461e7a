/**
 * Search and pagination: a paginator with offset pages and keyset pages (signed, query-bound cursors,
 * both directions), filters and facets from a field allowlist, full-text search with relevance, a
 * timeout policy and a freshness watermark. The in-memory source is the default engine;
 * `backend-patterns/search/postgres` is the PostgreSQL one.
 *
 * @example
 * ```ts nocheck
 * import { createMemorySource, createPaginator, linkHeader, parseQueryString } from 'backend-patterns/search';
 * const paginator = createPaginator({
 *   source: createMemorySource({ rows }),
 *   fields: { id: { type: 'integer' }, createdAt: { type: 'timestamp' } },
 *   sorts: ['-createdAt'],
 *   cursorKeys: [{ id: 'k1', secret: process.env.CURSOR_SECRET }],
 * });
 * const page = await paginator.cursorPage(parseQueryString(url.searchParams));
 * res.setHeader('Link', linkHeader(page, { url: req.url }));
 * ```
 */
export { MAX_CURSOR_LENGTH } from './cursor.js';
export {
  CursorMismatchError,
  type CursorRejection,
  ExpiredCursorError,
  InvalidCursorError,
  InvalidQueryError,
  PageSizeError,
  SEARCH_ERROR_CODES,
  type SearchErrorCode,
  SearchInputError,
  SearchTimeoutError,
  TooDeepError,
} from './errors.js';
export { MAX_FILTER_STRING_LENGTH, MAX_IN_VALUES } from './filter-parse.js';
export { depthBucket } from './instruments.js';
export {
  type Connection,
  jsonApiLinks,
  type LinkOptions,
  linkHeader,
  type PageLinks,
  pageLinks,
  toConnection,
} from './links.js';
export {
  createMemorySource,
  ENGLISH_STOP_WORDS,
  type MemoryApplyResult,
  type MemoryChanges,
  type MemorySearchSource,
  type MemorySourceOptions,
  type MemoryTextOptions,
  type SourceWatermark,
} from './memory-source.js';
export { createPaginator } from './paginator.js';
export { parseQueryString, type QueryStringOptions, type QueryStringRequest } from './query-string.js';
export {
  type CursorPage,
  type CursorPageInput,
  type Edge,
  type FacetCounts,
  type FieldMap,
  type FieldSpec,
  type FieldType,
  type FieldValue,
  type FilterCondition,
  type FilterInput,
  type FilterOperatorName,
  type Freshness,
  type NullsPlacement,
  type OffsetPage,
  type OffsetPageInput,
  type PageResultBase,
  type Paginator,
  type PaginatorOptions,
  type QueryInput,
  RELEVANCE_FIELD,
  type SearchSource,
  type SortTerm,
  type SourceCapabilities,
  type SourcePageRequest,
  type SourceQuery,
  type SourceResult,
  type SourceRow,
  type SourceSchema,
  type TextWeights,
  type Total,
  type TotalMode,
} from './types.js';
