/**
 * The indexes a paginator needs on PostgreSQL: one btree per allowed sort whose column order,
 * directions and NULLS placement are exactly the sort's (text columns `COLLATE "C"`, the key last), so
 * every keyset seek and its backward read is an index range scan; the stored generated tsvector column
 * and its GIN index when fields have text weights; an index on the freshness column. Statements are
 * idempotent (`IF NOT EXISTS`, names derived from the definition).
 */
import { createHash } from 'node:crypto';
import { InvalidOptionError } from '../core/errors.js';
import { defineOptions, opt } from '../core/options.js';
import {
  checkColumn,
  IDENTIFIER_PATTERN,
  type PgPool,
  quoteIdent,
  relationName,
  TEXT_CONFIG_PATTERN,
  textConfigLiteral,
} from './postgres-options.js';
import { flipSort, nullsClause } from './postgres-sql.js';
import { resolveSort } from './sort.js';
import { type FieldMap, RELEVANCE_FIELD, type SortTerm } from './types.js';

/** Options of {@link searchIndexStatements} and {@link migrateSearchIndexes}. */
export interface SearchIndexOptions {
  readonly table: string;
  readonly schema?: string;
  /** The paginator's fields. */
  readonly fields: FieldMap;
  /** The paginator's key field (default `id`). */
  readonly key?: string;
  /** The paginator's sorts, as configured (`'-createdAt'`) or resolved (`SortTerm[]`, key last). */
  readonly sorts: readonly (string | readonly SortTerm[])[];
  /** Default `english`; must be the source's `textConfig`. */
  readonly textConfig?: string;
  /** Default `search_tsv`; must be the source's `tsvectorColumn`. */
  readonly tsvectorColumn?: string;
  readonly updatedAtColumn?: string;
  /** `CREATE INDEX CONCURRENTLY` (no write lock; cannot run inside a transaction). Default false. */
  readonly concurrently?: boolean;
}

const OWNER = 'searchIndexStatements';
const IDENT = '1..63 characters of [a-z0-9_], not starting with a digit';

const parseOptions = defineOptions(OWNER, {
  table: opt.matching(IDENTIFIER_PATTERN, IDENT, { required: true }),
  schema: opt.matching(IDENTIFIER_PATTERN, IDENT),
  fields: opt.custom(
    (v, p, o): FieldMap => {
      if (typeof v !== 'object' || v === null || Array.isArray(v))
        throw new InvalidOptionError(`${o}: \`${p}\` must be a field map`);
      return v as FieldMap;
    },
    { required: true },
  ),
  key: opt.string({ default: 'id', maxLength: 128 }),
  sorts: opt.list(
    opt.custom(
      (v, p, o): string | readonly SortTerm[] => {
        if (typeof v === 'string' || Array.isArray(v)) return v as string | readonly SortTerm[];
        throw new InvalidOptionError(`${o}: \`${p}\` must be a sort string or a SortTerm array`);
      },
      { required: true },
    ),
    { required: true, minItems: 1, maxItems: 100 },
  ),
  textConfig: opt.matching(TEXT_CONFIG_PATTERN, 'a text search configuration name', { default: 'english' }),
  tsvectorColumn: opt.matching(IDENTIFIER_PATTERN, IDENT, { default: 'search_tsv' }),
  updatedAtColumn: opt.matching(IDENTIFIER_PATTERN, IDENT),
  concurrently: opt.boolean({ default: false }),
});

const indexName = (table: string, kind: string, definition: string): string =>
  `${table.slice(0, 40)}_${kind}_${createHash('sha256').update(definition).digest('hex').slice(0, 10)}`;

function resolveTerms(
  sort: string | readonly SortTerm[],
  fields: FieldMap,
  key: string,
): readonly SortTerm[] {
  if (typeof sort !== 'string') return sort;
  const nullable = new Map(
    Object.entries(fields).map(([name, spec]) => [
      name,
      { nullable: spec.nullable === true, nulls: spec.nulls ?? 'last' },
    ]),
  );
  const resolved = resolveSort(sort, nullable, key);
  if (typeof resolved === 'string') throw new InvalidOptionError(`${OWNER}: sort \`${sort}\` ${resolved}`);
  return resolved.terms;
}

function sortIndexColumn(term: SortTerm, fields: FieldMap): string {
  const spec = fields[term.field];
  if (spec === undefined)
    throw new InvalidOptionError(`${OWNER}: sort names \`${term.field}\`, which is not a field`);
  const column = quoteIdent(checkColumn(OWNER, term.field, spec.column ?? term.field));
  const collate = spec.type === 'string' ? ' COLLATE "C"' : '';
  return `${column}${collate} ${term.direction === 'asc' ? 'ASC' : 'DESC'}${nullsClause(term, spec.nullable === true)}`;
}

function textStatements(o: ReturnType<typeof parseOptions>, relation: string, create: string): string[] {
  const parts = Object.entries(o.fields)
    .filter(([, spec]) => spec.text !== undefined)
    .map(([field, spec]) => {
      const column = quoteIdent(checkColumn(OWNER, field, spec.column ?? field));
      return `setweight(to_tsvector(${textConfigLiteral(o.textConfig, OWNER)}, coalesce(${column}, '')), '${spec.text}')`;
    });
  if (parts.length === 0) return [];
  const tsv = quoteIdent(o.tsvectorColumn);
  const expression = parts.join(' || ');
  return [
    `ALTER TABLE ${relation} ADD COLUMN IF NOT EXISTS ${tsv} tsvector GENERATED ALWAYS AS (${expression}) STORED`,
    `${create} ${quoteIdent(indexName(o.table, 'tsv', expression))} ON ${relation} USING gin (${tsv})`,
  ];
}

/**
 * The DDL for a paginator's indexes, in the order to run it. Sorts starting with, or containing,
 * relevance get no index (the score is computed per matching row).
 *
 * @example
 * ```ts nocheck
 * for (const sql of searchIndexStatements({ table: 'articles', fields, key: 'id', sorts: ['-createdAt', 'title'] })) console.log(sql);
 * ```
 */
export function searchIndexStatements(options: SearchIndexOptions): string[] {
  const o = parseOptions(options);
  const relation = relationName(o.table, o.schema);
  const create = `CREATE INDEX${o.concurrently ? ' CONCURRENTLY' : ''} IF NOT EXISTS`;
  const seen = new Set<string>();
  const statements: string[] = [];
  for (const sort of o.sorts) {
    const terms = resolveTerms(sort, o.fields, o.key);
    if (terms.some((t) => t.field === RELEVANCE_FIELD)) continue;
    const columns = terms.map((t) => sortIndexColumn(t, o.fields)).join(', ');
    if (seen.has(columns)) continue;
    // An index read backwards serves the fully reversed sort too (`-a,b` and `a,-b`).
    seen.add(columns).add(
      flipSort(terms)
        .map((t) => sortIndexColumn(t, o.fields))
        .join(', '),
    );
    statements.push(
      `${create} ${quoteIdent(indexName(o.table, 'sort', columns))} ON ${relation} (${columns})`,
    );
  }
  statements.push(...textStatements(o, relation, create));
  if (o.updatedAtColumn !== undefined) {
    const column = quoteIdent(o.updatedAtColumn);
    statements.push(`${create} ${quoteIdent(indexName(o.table, 'upd', column))} ON ${relation} (${column})`);
  }
  return statements;
}

/** Runs {@link searchIndexStatements} one by one on `pool` (outside any transaction) and returns them. */
export async function migrateSearchIndexes(
  pool: Pick<PgPool, 'query'>,
  options: SearchIndexOptions,
): Promise<string[]> {
  const statements = searchIndexStatements(options);
  for (const sql of statements) await pool.query(sql);
  return statements;
}
