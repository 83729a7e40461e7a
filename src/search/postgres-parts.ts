/**
 * The statements besides the page: exact and estimated totals, facet counts, the freshness watermark
 * and the catalog read of a table's columns, plus the readers of their answers.
 */
import { StoreError } from '../core/errors.js';
import { boundColumn } from './postgres-schema.js';
import {
  keyExpression,
  type SqlContext,
  type Statement,
  sortExpression,
  whereClause,
  whereConditions,
} from './postgres-sql.js';
import type { FieldValue, SourceQuery } from './types.js';

/** `count(*)` over the query's filters and text. */
export function countStatement(ctx: SqlContext, query: SourceQuery): Statement {
  const where = whereClause(whereConditions(ctx, query));
  return {
    sql: `SELECT count(*)::float8 AS n FROM ${ctx.table.relation} AS t${where}`,
    values: ctx.params.values,
  };
}

/** The planner's row estimate of the same filtered set (no execution). */
export function estimateStatement(ctx: SqlContext, query: SourceQuery): Statement {
  const where = whereClause(whereConditions(ctx, query));
  return {
    sql: `EXPLAIN (FORMAT JSON) SELECT 1 FROM ${ctx.table.relation} AS t${where}`,
    values: ctx.params.values,
  };
}

/** Top `limit` values of `field` by count, ties by value in code point order, null counted as a value. */
export function facetStatement(ctx: SqlContext, query: SourceQuery, field: string, limit: number): Statement {
  const column = boundColumn(ctx.table, field);
  const where = whereClause(whereConditions(ctx, query));
  const sql =
    `SELECT ${keyExpression(ctx, column)} AS v, count(*)::float8 AS n FROM ${ctx.table.relation} AS t${where}` +
    ` GROUP BY ${column.ref} ORDER BY n DESC, ${sortExpression(ctx, column)} ASC NULLS LAST LIMIT ${ctx.params.add(limit)}`;
  return { sql, values: ctx.params.values };
}

/** The newest `updatedAtColumn` value, epoch ms. */
export function freshnessStatement(ctx: SqlContext, updatedAt: string): Statement {
  return {
    sql: `SELECT floor(extract(epoch FROM max(${updatedAt})) * 1000)::float8 AS ms FROM ${ctx.table.relation} AS t`,
    values: [],
  };
}

/** The table's columns in order (the default select list). */
export function columnsStatement(relation: string): Statement {
  return {
    sql: 'SELECT attname FROM pg_catalog.pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum',
    values: [relation],
  };
}

/** A value read back from PostgreSQL as a `FieldValue`. */
export function fieldValue(value: unknown, what: string): FieldValue {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  throw new StoreError(`postgres source: ${what} read back as ${typeof value}, not a search value`);
}

/** A count or estimate read back as a non-negative number. */
export function countValue(value: unknown, what: string): number {
  const n = typeof value === 'string' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) {
    throw new StoreError(`postgres source: ${what} is not a count`);
  }
  return Math.round(n);
}

/** `Plan Rows` of an `EXPLAIN (FORMAT JSON)` answer (pg parses the json column; text is parsed here). */
export function planRows(rows: readonly Record<string, unknown>[]): number {
  const raw = rows[0]?.['QUERY PLAN'];
  const doc: unknown = typeof raw === 'string' ? JSON.parse(raw) : raw;
  const plan = Array.isArray(doc)
    ? (doc[0] as { Plan?: { 'Plan Rows'?: unknown } } | undefined)?.Plan
    : undefined;
  return countValue(plan?.['Plan Rows'], 'the planner estimate');
}
