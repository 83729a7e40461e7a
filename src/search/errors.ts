/**
 * Errors of the search module, all listed in {@link SEARCH_ERROR_CODES}. Every client mistake is a
 * {@link SearchInputError} subclass with the `parameter` at fault and an `httpStatus` of 400, so an API
 * can answer it without a mapping table; engine failures are the core `StoreError`.
 */
import { BackendPatternsError, type BackendPatternsErrorOptions } from '../core/errors.js';

/** Every code the search module raises. Core codes such as `ERR_INVALID_OPTION` and `ERR_STORE` come on top. */
export const SEARCH_ERROR_CODES = [
  'ERR_SEARCH_INVALID_QUERY',
  'ERR_SEARCH_PAGE_SIZE',
  'ERR_SEARCH_TOO_DEEP',
  'ERR_SEARCH_CURSOR_INVALID',
  'ERR_SEARCH_CURSOR_EXPIRED',
  'ERR_SEARCH_CURSOR_MISMATCH',
  'ERR_SEARCH_TIMEOUT',
] as const;

/** A code of {@link SEARCH_ERROR_CODES}. */
export type SearchErrorCode = (typeof SEARCH_ERROR_CODES)[number];

/** A request the client can fix: names the parameter (`filter.price.gte`, `sort`, `after`) at fault. */
export class SearchInputError<
  Code extends SearchErrorCode = SearchErrorCode,
> extends BackendPatternsError<Code> {
  /** The request parameter at fault, dotted (`filter.status`, `page.size`, `after`). */
  readonly parameter: string;
  /** Always 400: the request is wrong, not the server. */
  readonly httpStatus = 400;
  constructor(code: Code, parameter: string, message: string, options?: BackendPatternsErrorOptions) {
    super(code, `${parameter}: ${message}`, options);
    this.parameter = parameter;
  }
}

/** A sort, filter, facet, search text or page argument that is not allowed or does not parse. */
export class InvalidQueryError extends SearchInputError<'ERR_SEARCH_INVALID_QUERY'> {
  constructor(parameter: string, message: string) {
    super('ERR_SEARCH_INVALID_QUERY', parameter, message);
  }
}

/** A page size over `maxPageSize` with `pageSizePolicy: 'reject'` (JSON:API `max-size-exceeded`). */
export class PageSizeError extends SearchInputError<'ERR_SEARCH_PAGE_SIZE'> {
  /** The largest page size allowed. */
  readonly maxPageSize: number;
  constructor(parameter: string, maxPageSize: number) {
    super('ERR_SEARCH_PAGE_SIZE', parameter, `must be at most ${maxPageSize}`);
    this.maxPageSize = maxPageSize;
  }
}

/** An offset page deeper than `maxOffset`: page with cursors instead. */
export class TooDeepError extends SearchInputError<'ERR_SEARCH_TOO_DEEP'> {
  /** The deepest offset served. */
  readonly maxOffset: number;
  constructor(parameter: string, maxOffset: number) {
    super(
      'ERR_SEARCH_TOO_DEEP',
      parameter,
      `offset pages end at row ${maxOffset}; use cursor pages to go deeper`,
    );
    this.maxOffset = maxOffset;
  }
}

/** Why a cursor was refused; `reason` never echoes the cursor. */
export type CursorRejection = 'malformed' | 'signature' | 'version' | 'key' | 'values';

/** A cursor that is not one of ours: truncated, tampered, of an unknown version or key, or with bad values. */
export class InvalidCursorError extends SearchInputError<'ERR_SEARCH_CURSOR_INVALID'> {
  readonly reason: CursorRejection;
  constructor(parameter: string, reason: CursorRejection) {
    super('ERR_SEARCH_CURSOR_INVALID', parameter, `not a valid cursor (${reason})`);
    this.reason = reason;
  }
}

/** A cursor older than `cursorTtlMs`: start again from the first page. */
export class ExpiredCursorError extends SearchInputError<'ERR_SEARCH_CURSOR_EXPIRED'> {
  constructor(parameter: string) {
    super('ERR_SEARCH_CURSOR_EXPIRED', parameter, 'the cursor has expired; start from the first page');
  }
}

/** A genuine cursor made for another query (another sort, filter or search text). */
export class CursorMismatchError extends SearchInputError<'ERR_SEARCH_CURSOR_MISMATCH'> {
  constructor(parameter: string) {
    super(
      'ERR_SEARCH_CURSOR_MISMATCH',
      parameter,
      'the cursor belongs to a different sort, filter or search; start from the first page',
    );
  }
}

/** The query did not finish within its budget (PostgreSQL SQLSTATE 57014, or the paginator's deadline). */
export class SearchTimeoutError extends BackendPatternsError<'ERR_SEARCH_TIMEOUT'> {
  /** 503: the server gave up; the same request may succeed later. */
  readonly httpStatus = 503;
  /** Which part ran out of time. */
  readonly part: 'page' | 'total' | 'facets';
  /** The budget, ms. */
  readonly timeoutMs: number;
  constructor(part: 'page' | 'total' | 'facets', timeoutMs: number, options?: BackendPatternsErrorOptions) {
    super('ERR_SEARCH_TIMEOUT', `search ${part} query exceeded ${timeoutMs} ms`, options);
    this.part = part;
    this.timeoutMs = timeoutMs;
  }
}
