/**
 * SQL pieces of the PostgreSQL source: parameters, column and key expressions, filters and full text.
 * Every value goes through {@link Params} as `$n`; names come from the bound table (checked and quoted),
 * so no input ever becomes SQL text.
 */
import { InvalidArgumentError } from '../core/errors.js';
import { type BoundColumn, type BoundTable, boundColumn } from './postgres-schema.js';
import type { FieldValue, FilterCondition, SortTerm, SourceQuery } from './types.js';

/** A statement ready for `client.query(sql, values)`. */
export interface Statement {
  readonly sql: string;
  readonly values: unknown[];
}

/** The parameters of one statement. */
export class Params {
  readonly values: unknown[] = [];
  /** Adds a value and returns its placeholder. */
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/** Per-statement state: the parameters and, with search text, the match and rank expressions. */
export interface SqlContext {
  readonly table: BoundTable;
  readonly params: Params;
  /** `tsv @@ query`, when the query has text. */
  readonly match: string | undefined;
  /** The relevance expression (adds the weights parameter on first use, so unused it costs nothing). */
  rank(): string;
}

/** A context for one statement of `query`. */
export function sqlContext(table: BoundTable, text: string | undefined): SqlContext {
  const params = new Params();
  if (text === undefined) {
    return {
      table,
      params,
      match: undefined,
      rank: () => {
        throw new InvalidArgumentError('postgres source: the relevance sort needs search text');
      },
    };
  }
  const tsquery = `websearch_to_tsquery(${params.add(table.textConfig)}::regconfig, ${params.add(text)})`;
  let rank: string | undefined;
  return {
    table,
    params,
    match: `${table.tsvector} @@ ${tsquery}`,
    rank: () => {
      // ts_rank is float4; float8 of it is exact, so a cursor holds the very value compared again.
      rank ??= `ts_rank(${params.add(table.rankWeights)}::float4[], ${table.tsvector}, ${tsquery})::float8`;
      return rank;
    },
  };
}

/** The expression a term sorts and compares by: text columns in code point order (`COLLATE "C"`). */
export function sortExpression(ctx: SqlContext, column: BoundColumn): string {
  if (column.type === 'relevance') return ctx.rank();
  return column.type === 'string' ? `${column.ref} COLLATE "C"` : column.ref;
}

/** The expression a key is read by, at full precision (µs timestamps as text, numbers as float8). */
export function keyExpression(ctx: SqlContext, column: BoundColumn): string {
  switch (column.type) {
    case 'relevance':
      return ctx.rank();
    case 'timestamp':
      return `to_char(${column.ref} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
    case 'number':
    case 'integer':
      return `${column.ref}::float8`;
    default:
      return column.ref;
  }
}

/** A value placeholder typed for comparison with `column`. */
export function valueParam(ctx: SqlContext, column: BoundColumn, value: FieldValue): string {
  const p = ctx.params.add(value);
  if (column.type === 'timestamp') return `${p}::timestamptz`;
  if (column.type === 'relevance') return `${p}::float8`;
  // Untyped: PostgreSQL types it from the column, so integer, numeric and real columns keep their index.
  return p;
}

const ARRAY_TYPES: Readonly<Record<string, string>> = { timestamp: '::timestamptz[]' };

/** `LIKE` treats `%`, `_` and the escape `\` specially; a prefix matches them literally. */
export const escapeLike = (value: string): string => value.replace(/[\\%_]/g, (c) => `\\${c}`);

const COMPARISONS = { gt: '>', gte: '>=', lt: '<', lte: '<=' } as const;

function filterSql(ctx: SqlContext, f: FilterCondition): string {
  const column = boundColumn(ctx.table, f.field);
  const expr = sortExpression(ctx, column);
  switch (f.op) {
    case 'eq':
      return f.value === null ? `${column.ref} IS NULL` : `${expr} = ${valueParam(ctx, column, f.value)}`;
    case 'in': {
      const present = f.values.filter((v) => v !== null);
      const parts: string[] = [];
      if (present.length > 0) {
        parts.push(`${expr} = ANY(${ctx.params.add(present)}${ARRAY_TYPES[column.type] ?? ''})`);
      }
      if (present.length < f.values.length) parts.push(`${column.ref} IS NULL`);
      return parts.length === 0 ? 'false' : `(${parts.join(' OR ')})`;
    }
    case 'prefix':
      return `${column.ref} COLLATE "C" LIKE ${ctx.params.add(`${escapeLike(f.value)}%`)}`;
    default:
      return `${expr} ${COMPARISONS[f.op]} ${valueParam(ctx, column, f.value)}`;
  }
}

/** The query's conditions (filters, then the text match), ANDed by the caller. */
export function whereConditions(ctx: SqlContext, query: Pick<SourceQuery, 'filters'>): string[] {
  const conditions = query.filters.map((f) => filterSql(ctx, f));
  if (ctx.match !== undefined) conditions.push(ctx.match);
  return conditions;
}

/** `WHERE a AND b`, or nothing. */
export const whereClause = (conditions: readonly string[]): string =>
  conditions.length === 0 ? '' : ` WHERE ${conditions.join(' AND ')}`;

/**
 * One ORDER BY item. The NULLS clause is written only for nullable columns: on a column without nulls it
 * changes no order, but `DESC NULLS LAST` could not use an ordinary `DESC` index (and ours are built
 * the same way, by `nullsClause` in the migration helper).
 */
export const orderItem = (expr: string, term: SortTerm, nullable: boolean): string =>
  `${expr} ${term.direction === 'asc' ? 'ASC' : 'DESC'}${nullsClause(term, nullable)}`;

/** ` NULLS FIRST` / ` NULLS LAST` for a nullable column, nothing for one without nulls. */
export const nullsClause = (term: SortTerm, nullable: boolean): string =>
  nullable ? ` NULLS ${term.nulls === 'first' ? 'FIRST' : 'LAST'}` : '';

/** The sort read backwards: every direction and nulls placement flipped. */
export const flipSort = (sort: readonly SortTerm[]): SortTerm[] =>
  sort.map((t) => ({
    field: t.field,
    direction: t.direction === 'asc' ? 'desc' : 'asc',
    nulls: t.nulls === 'first' ? 'last' : 'first',
  }));
