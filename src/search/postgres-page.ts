/**
 * The page statement: offset pages as one `ORDER BY ... LIMIT ... OFFSET`, keyset pages as a UNION ALL
 * of ordered, limited seeks (one per branch of the keyset predicate), re-ordered and limited on top.
 * Each branch is a plain index range (equalities, then one comparison or `IS [NOT] NULL`), never an
 * `OR` inside a branch: an `OR ... IS NULL` turns the index scan into a filter that costs like OFFSET.
 */
import { type BoundColumn, boundColumn } from './postgres-schema.js';
import {
  flipSort,
  keyExpression,
  orderItem,
  type SqlContext,
  type Statement,
  sortExpression,
  valueParam,
  whereClause,
  whereConditions,
} from './postgres-sql.js';
import type { FieldValue, SortTerm, SourceQuery } from './types.js';

/** Alias prefixes of the extra columns a page selects: keys as returned, and the raw sort values. */
export const KEY_ALIAS = '__bp_k';
const SORT_ALIAS = '__bp_s';

interface BoundTerm {
  readonly term: SortTerm;
  readonly column: BoundColumn;
  readonly value: FieldValue;
}

/**
 * Groups terms into runs compared together: consecutive terms of one direction whose columns and
 * values are non-null collapse into one row-value comparison `(a, b) > ($1, $2)`; a nullable term (or
 * a null value) stands alone.
 */
function runs(terms: readonly BoundTerm[]): BoundTerm[][] {
  const out: BoundTerm[][] = [];
  const single = (t: BoundTerm) => t.column.nullable || t.value === null;
  for (const t of terms) {
    const run = out[out.length - 1];
    const head = run?.[0];
    if (run && head && !single(t) && !single(head) && head.term.direction === t.term.direction) run.push(t);
    else out.push([t]);
  }
  return out;
}

function equality(ctx: SqlContext, t: BoundTerm): string {
  if (t.value === null) return `${t.column.ref} IS NULL`;
  return `${sortExpression(ctx, t.column)} = ${valueParam(ctx, t.column, t.value)}`;
}

/** The conditions of each branch: rows after the run's values, with every earlier run equal. */
export function keysetBranches(ctx: SqlContext, terms: readonly BoundTerm[]): string[][] {
  const branches: string[][] = [];
  const prefix: string[] = [];
  const all = runs(terms);
  for (const [index, run] of all.entries()) {
    const first = run[0];
    if (first === undefined) continue;
    const op = first.term.direction === 'asc' ? '>' : '<';
    if (run.length > 1) {
      const cols = run.map((t) => sortExpression(ctx, t.column)).join(', ');
      const vals = run.map((t) => valueParam(ctx, t.column, t.value)).join(', ');
      branches.push([...prefix, `(${cols}) ${op} (${vals})`]);
    } else if (first.value !== null) {
      branches.push([
        ...prefix,
        `${sortExpression(ctx, first.column)} ${op} ${valueParam(ctx, first.column, first.value)}`,
      ]);
      if (first.column.nullable && first.term.nulls === 'last')
        branches.push([...prefix, `${first.column.ref} IS NULL`]);
    } else if (first.term.nulls === 'first') {
      branches.push([...prefix, `${first.column.ref} IS NOT NULL`]);
    }
    // Placeholders must all be used, so the equalities exist only when a later run needs them.
    if (index < all.length - 1) prefix.push(...run.map((t) => equality(ctx, t)));
  }
  return branches;
}

/** The page statement and the sort it reads in (flipped for backward pages). */
export interface PageStatement extends Statement {
  readonly readSort: readonly SortTerm[];
  readonly backward: boolean;
}

function selectList(ctx: SqlContext, rowColumns: readonly string[], sort: readonly SortTerm[]): string {
  const extras = sort.flatMap((term, i) => {
    const column = boundColumn(ctx.table, term.field);
    return [
      `${keyExpression(ctx, column)} AS "${KEY_ALIAS}${i}"`,
      `${sortExpression(ctx, column)} AS "${SORT_ALIAS}${i}"`,
    ];
  });
  return [...rowColumns, ...extras].join(', ');
}

/** Builds the statement answering `query.page`, reading up to `limit + 1` rows. */
export function pageStatement(
  ctx: SqlContext,
  query: SourceQuery,
  rowColumns: readonly string[],
): PageStatement {
  const page = query.page;
  const backward = page.kind === 'keyset' && page.direction === 'backward';
  const sort = backward ? flipSort(query.sort) : [...query.sort];
  const select = selectList(ctx, rowColumns, sort);
  const order = sort
    .map((term) => {
      const column = boundColumn(ctx.table, term.field);
      return orderItem(sortExpression(ctx, column), term, column.nullable);
    })
    .join(', ');
  const where = whereConditions(ctx, query);
  const from = `FROM ${ctx.table.relation} AS t`;
  const limit = ctx.params.add(page.limit + 1);
  if (page.kind === 'offset') {
    const offset = ctx.params.add(page.offset);
    const sql = `SELECT ${select} ${from}${whereClause(where)} ORDER BY ${order} LIMIT ${limit} OFFSET ${offset}`;
    return { sql, values: ctx.params.values, readSort: sort, backward };
  }
  if (page.after === null) {
    const sql = `SELECT ${select} ${from}${whereClause(where)} ORDER BY ${order} LIMIT ${limit}`;
    return { sql, values: ctx.params.values, readSort: sort, backward };
  }
  const after = page.after;
  const terms = sort.map((term, i) => ({
    term,
    column: boundColumn(ctx.table, term.field),
    value: after[i] ?? null,
  }));
  const seeks = keysetBranches(ctx, terms).map(
    (branch) =>
      `SELECT ${select} ${from}${whereClause([...where, ...branch])} ORDER BY ${order} LIMIT ${limit}`,
  );
  // Unreachable with a non-null key (its branch always exists); no placeholders, so no typing errors.
  if (seeks.length === 0) return { sql: 'SELECT 1 WHERE false', values: [], readSort: sort, backward };
  if (seeks.length === 1) return { sql: seeks[0] ?? '', values: ctx.params.values, readSort: sort, backward };
  const outerOrder = sort
    .map((term, i) => {
      const column = boundColumn(ctx.table, term.field);
      const collate = column.type === 'string' ? ' COLLATE "C"' : '';
      return orderItem(`u."${SORT_ALIAS}${i}"${collate}`, term, column.nullable);
    })
    .join(', ');
  const sql = `SELECT * FROM (${seeks.map((s) => `(${s})`).join(' UNION ALL ')}) AS u ORDER BY ${outerOrder} LIMIT ${limit}`;
  return { sql, values: ctx.params.values, readSort: sort, backward };
}

/** True for the extra columns a page selects (stripped from returned rows). */
export const isExtraColumn = (name: string): boolean =>
  name.startsWith(KEY_ALIAS) || name.startsWith(SORT_ALIAS);
