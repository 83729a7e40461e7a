/**
 * Types of the search module: the field allowlist a paginator is built from, the normalised query a
 * paginator hands to a source, and the `SearchSource` port every source (memory, PostgreSQL, and later
 * an Elasticsearch or Algolia adapter) implements. See docs/search.md for the semantics.
 */
import type { Clock } from '../core/clock.js';
import type { Metrics } from '../core/metrics.js';

// ---------------------------------------------------------------------------------------------------
// Fields

/**
 * The type of a field, which fixes how its filter values are parsed and how it sorts:
 * - `string`: compared by Unicode code point (PostgreSQL: `COLLATE "C"`), so both sources agree.
 * - `number`: a finite double (PostgreSQL `double precision`, `real` or `numeric` read as float8).
 * - `integer`: a safe integer (PostgreSQL `integer`/`bigint` within ±2^53).
 * - `boolean`.
 * - `timestamp`: an instant at microsecond precision; values travel as ISO 8601 strings in UTC with six
 *   fraction digits (`2026-12-01T18:49:36.123456Z`), never as a JS `Date` (which has milliseconds only).
 */
export type FieldType = 'string' | 'number' | 'integer' | 'boolean' | 'timestamp';

/** Filter operators a field may allow. `range` covers `gt`, `gte`, `lt`, `lte`. */
export type FilterOperatorName = 'eq' | 'in' | 'range' | 'prefix';

/** One allowlisted field. Anything not declared cannot be sorted on, filtered, faceted or returned as a key. */
export interface FieldSpec {
  readonly type: FieldType;
  /** The column (PostgreSQL) or property (memory) name; default the field name. `[a-z_][a-z0-9_]{0,62}` for columns. */
  readonly column?: string;
  /** Whether the value may be null or missing. Default false. */
  readonly nullable?: boolean;
  /**
   * Where nulls go when sorting on this field, in both directions: `last` (default) or `first`. A
   * backward read flips it with the direction. Only for nullable fields.
   */
  readonly nulls?: NullsPlacement;
  /** Operators clients may filter with. Default none (not filterable). */
  readonly filter?: readonly FilterOperatorName[];
  /** Whether facet counts may be asked for this field. Default false. */
  readonly facet?: boolean;
  /**
   * Full-text weight: the field is searched by `search` text with this weight, `A` (highest) to `D`
   * (PostgreSQL `setweight` classes; both engines weigh the classes by the paginator's `textWeights`).
   * Only for `string` fields.
   */
  readonly text?: 'A' | 'B' | 'C' | 'D';
}

/** The fields of a paginator, by the name clients use. */
export type FieldMap = Readonly<Record<string, FieldSpec>>;

/** Relative weights of the four text classes, e.g. `{ A: 1, B: 0.4, C: 0.2, D: 0.1 }` (PostgreSQL's defaults). */
export interface TextWeights {
  readonly A: number;
  readonly B: number;
  readonly C: number;
  readonly D: number;
}

// ---------------------------------------------------------------------------------------------------
// Values, filters, sorts

/** A field value as it travels in filters, cursors and keys: timestamps are ISO strings (see {@link FieldType}). */
export type FieldValue = string | number | boolean | null;

/** One normalised filter condition (all conditions of a query are ANDed). */
export type FilterCondition =
  | { readonly field: string; readonly op: 'eq'; readonly value: FieldValue }
  | { readonly field: string; readonly op: 'in'; readonly values: readonly FieldValue[] }
  | {
      readonly field: string;
      readonly op: 'gt' | 'gte' | 'lt' | 'lte';
      readonly value: string | number;
    }
  | { readonly field: string; readonly op: 'prefix'; readonly value: string };

/** Where nulls go: `last` (the default, in both directions) or `first`. Backward pages flip it with the direction. */
export type NullsPlacement = 'first' | 'last';

/**
 * One term of a resolved sort. `field` is a declared field, or `_relevance` (the full-text score,
 * descending, only with search text). The last term of every resolved sort is the paginator's unique
 * `key` field, appended when the requested sort does not end with it.
 */
export interface SortTerm {
  readonly field: string;
  readonly direction: 'asc' | 'desc';
  readonly nulls: NullsPlacement;
}

/** The pseudo-field of the full-text score. */
export const RELEVANCE_FIELD = '_relevance';

// ---------------------------------------------------------------------------------------------------
// The port

/** How to page, as the source sees it. */
export type SourcePageRequest =
  | {
      readonly kind: 'offset';
      /** Rows to skip, 0..`maxOffset`. */
      readonly offset: number;
      /** Rows wanted; the source returns up to `limit + 1` so `hasMore` needs no count. */
      readonly limit: number;
    }
  | {
      readonly kind: 'keyset';
      /**
       * The sort-key values of the row to continue after (in `sort` order; one per term, `_relevance`
       * included), or null for the first page. Values are exactly what the source returned as `keys`.
       */
      readonly after: readonly FieldValue[] | null;
      /**
       * `forward` reads rows after `after` in `sort` order; `backward` reads rows before it (the source
       * reads in the reversed order and returns them reversed back, so rows are always in `sort` order).
       */
      readonly direction: 'forward' | 'backward';
      readonly limit: number;
    };

/** What kind of total to compute. `estimated` uses the engine's planner or index statistics. */
export type TotalMode = 'exact' | 'estimated' | 'none';

/** Everything a source needs to answer one page; built and validated by the paginator. */
export interface SourceQuery {
  /** Conditions on declared fields, ANDed; values already parsed to the field's type. */
  readonly filters: readonly FilterCondition[];
  /** Full-text query text (web-search syntax: words, "phrases", -exclusions, OR), or undefined. */
  readonly text: string | undefined;
  /** The resolved sort, ending with the unique key. */
  readonly sort: readonly SortTerm[];
  readonly page: SourcePageRequest;
  readonly total: TotalMode;
  /** Fields to count values of, each with the number of top values wanted. */
  readonly facets: readonly { readonly field: string; readonly limit: number }[];
  /**
   * Budget for the whole query in ms (page, total and facets): a source that can cancel (PostgreSQL
   * `statement_timeout`) does so and throws `SearchTimeoutError`; the paginator decides what to degrade.
   */
  readonly timeoutMs: number;
  /** Aborts the query (the paginator's own deadline). */
  readonly signal: AbortSignal;
}

/** One row as returned by a source, with the values of its sort terms. */
export interface SourceRow<Row> {
  readonly row: Row;
  /** The row's values for each term of `sort`, in order, at full precision (what a cursor stores). */
  readonly keys: readonly FieldValue[];
}

/** A total with how it was obtained. */
export interface Total {
  readonly value: number;
  readonly exact: boolean;
}

/** Counts of one facet field's top values, most frequent first (ties by value). */
export interface FacetCounts {
  readonly field: string;
  readonly values: readonly { readonly value: FieldValue; readonly count: number }[];
}

/**
 * How fresh the answering index is: the newest change the source of truth has vs the newest the index
 * has applied (both epoch ms, null when unknown). A strongly consistent source reports `lagMs: 0`.
 */
export interface Freshness {
  readonly consistency: 'strong' | 'eventual';
  readonly sourceNewestMs: number | null;
  readonly indexedThroughMs: number | null;
  /** `sourceNewestMs - indexedThroughMs` (never negative), or null when either is unknown. */
  readonly lagMs: number | null;
}

/** A source's answer. Facets and total may be missing when a part degraded (see `degraded`). */
export interface SourceResult<Row> {
  /** Up to `limit + 1` rows in `sort` order; the extra row only says there is more. */
  readonly rows: readonly SourceRow<Row>[];
  readonly total?: Total;
  readonly facets?: readonly FacetCounts[];
  readonly freshness: Freshness;
  /** Parts the source gave up on within the budget: `'total'` (replaced by an estimate or left out), `'facets'`. */
  readonly degraded: readonly ('total' | 'facets')[];
}

/** What a source can do, checked by the paginator at construction and at each query. */
export interface SourceCapabilities {
  /** Full-text search on `text` fields. */
  readonly text: boolean;
  /** Estimated totals cheaper than exact ones. */
  readonly estimatedTotal: boolean;
  /** Largest offset the engine serves (Elasticsearch: 10,000 by default), or null for none. */
  readonly maxOffset: number | null;
}

/**
 * The port of a search source: answers one normalised page query. The paginator owns validation,
 * cursors and limits; the source owns execution. Every value it receives was parsed against the field
 * allowlist, so a source never sees a field or operator it was not configured with.
 */
export interface SearchSource<Row = Record<string, unknown>> {
  /** Adapter name, e.g. `memory`, `postgres`. */
  readonly kind: string;
  readonly capabilities: SourceCapabilities;
  /** Called once by `createPaginator` with its fields and key, so the source can check its own mapping. */
  bind(schema: SourceSchema): void;
  /** Answers one page; throws `SearchTimeoutError` on its budget, `StoreError` on engine failure. */
  query(query: SourceQuery): Promise<SourceResult<Row>>;
  /** Releases what the source made itself (never a pool or client it was given). */
  close?(): Promise<void>;
}

/** The schema a paginator binds its source to. */
export interface SourceSchema {
  readonly fields: FieldMap;
  /** The unique, non-null tie-breaker field. */
  readonly key: string;
  readonly textWeights: TextWeights;
}

// ---------------------------------------------------------------------------------------------------
// The paginator

/** Options of `createPaginator`. */
export interface PaginatorOptions<Row> {
  readonly source: SearchSource<Row>;
  /** The allowlist. */
  readonly fields: FieldMap;
  /** The unique, non-null field that ends every sort (default `id`); `string` or `integer`. */
  readonly key?: string;
  /**
   * Allowed sorts in JSON:API syntax (`-createdAt,title`: a leading `-` is descending); the first is the
   * default. A requested sort must equal one of them (the key is appended to each when missing).
   * List `relevance` (the full-text score, descending; e.g. `relevance` or `relevance,-createdAt`) to
   * allow ranking; it needs a field with a `text` weight and search text in the request. Without search
   * text the default is the first sort without `relevance`.
   */
  readonly sorts: readonly string[];
  /** Default 20. */
  readonly defaultPageSize?: number;
  /** Default 100. */
  readonly maxPageSize?: number;
  /** Over `maxPageSize`: `reject` (default, `ERR_SEARCH_PAGE_SIZE`) or `clamp`. */
  readonly pageSizePolicy?: 'reject' | 'clamp';
  /** Deepest offset served by offset pages (default 10,000; deeper is `ERR_SEARCH_TOO_DEEP`). */
  readonly maxOffset?: number;
  /**
   * HMAC-SHA256 keys for cursors, newest first: `{ id, secret }` with secrets of at least 32 bytes. New
   * cursors are signed with the first; any listed key verifies (rotation).
   */
  readonly cursorKeys: readonly { readonly id: string; readonly secret: Uint8Array | string }[];
  /** Cursor lifetime; default none (cursors do not expire). */
  readonly cursorTtlMs?: number;
  /** Budget of one query, page + total + facets. Default 2000 ms. */
  readonly timeoutMs?: number;
  /**
   * On a timeout of the total or the facets: `degrade` (default) returns the page without them (an
   * estimated total where the source can still get one) and lists them in `degraded`; when the source
   * throws for them instead, the query is retried once without facets and with an estimated total.
   * `fail` throws `SearchTimeoutError`. A timeout of the page itself always throws.
   */
  readonly onTimeout?: 'degrade' | 'fail';
  /** Default `exact` for offset pages, `none` for keyset pages. */
  readonly defaultTotal?: TotalMode;
  /** Facet values returned per field. Default 10, at most 100. */
  readonly facetLimit?: number;
  /** Default PostgreSQL's `{ A: 1, B: 0.4, C: 0.2, D: 0.1 }`. */
  readonly textWeights?: Partial<TextWeights>;
  /** Max search text length in characters. Default 256. */
  readonly maxTextLength?: number;
  /** Max filter conditions per query. Default 20. */
  readonly maxFilters?: number;
  readonly metrics?: Metrics;
  readonly clock?: Clock;
  /** Label of this paginator's metrics, `[A-Za-z0-9._-]`. Default `default`. */
  readonly name?: string;
}

/** A filter as a client gives it: `{ status: 'open', price: { gte: 10 }, tag: { in: ['a', 'b'] } }`. */
export type FilterInput = Readonly<Record<string, unknown>>;

/** The parts every page request shares. */
export interface QueryInput {
  /** One of the allowed sorts (default the first). */
  readonly sort?: string;
  readonly filter?: FilterInput;
  /** Full-text search text. */
  readonly search?: string;
  /** Fields to facet. */
  readonly facets?: readonly string[];
  readonly total?: TotalMode;
}

/** A keyset (cursor) page request, Relay style: `first`/`after` forward, `last`/`before` backward. */
export interface CursorPageInput extends QueryInput {
  readonly first?: number;
  readonly after?: string;
  readonly last?: number;
  readonly before?: string;
}

/** An offset page request: 1-based `page` and `limit` (page size). */
export interface OffsetPageInput extends QueryInput {
  readonly page?: number;
  readonly limit?: number;
}

/** One returned row with its own cursor (Relay edges). */
export interface Edge<Row> {
  readonly cursor: string;
  readonly node: Row;
}

/** What both kinds of page return. */
export interface PageResultBase<Row> {
  readonly items: readonly Row[];
  readonly total?: Total;
  readonly facets?: readonly FacetCounts[];
  readonly freshness: Freshness;
  /** Parts dropped or estimated to answer within the budget. Empty normally. */
  readonly degraded: readonly ('total' | 'facets')[];
  /** The sort used, JSON:API syntax, with the key appended. */
  readonly sort: string;
}

/** A keyset page. Cursors are null on an empty page. */
export interface CursorPage<Row> extends PageResultBase<Row> {
  readonly kind: 'keyset';
  readonly edges: readonly Edge<Row>[];
  readonly pageInfo: {
    readonly hasNextPage: boolean;
    readonly hasPreviousPage: boolean;
    readonly startCursor: string | null;
    readonly endCursor: string | null;
  };
}

/** An offset page. */
export interface OffsetPage<Row> extends PageResultBase<Row> {
  readonly kind: 'offset';
  readonly page: number;
  readonly limit: number;
  readonly hasNextPage: boolean;
  /** Known when the total is exact. */
  readonly pageCount?: number;
}

/** A paginator over one source. */
export interface Paginator<Row> {
  /** A keyset page. Throws typed errors for bad input (see docs/search.md, Error codes). */
  cursorPage(input?: CursorPageInput): Promise<CursorPage<Row>>;
  /** An offset page. */
  offsetPage(input?: OffsetPageInput): Promise<OffsetPage<Row>>;
}
