/**
 * Options and client shapes of the PostgreSQL source. The pool is typed structurally (a `pg` `Pool`
 * fits), so this module never imports `pg`. Every identifier that reaches SQL is checked against one
 * pattern here and always written quoted, so no name can carry SQL.
 */
import type { Clock } from '../core/clock.js';
import { InvalidOptionError } from '../core/errors.js';
import { defineOptions, opt, optionError } from '../core/options.js';

/** What a query answers with: rows as plain objects keyed by column name. */
export interface PgQueryResult {
  readonly rows: readonly Record<string, unknown>[];
}

/** One connection checked out of a pool (`pg` `PoolClient`). */
export interface PgPoolClient {
  query(text: string, values?: unknown[]): Promise<PgQueryResult>;
  /** Back to the pool; with an error (or `true`) the pool closes the connection instead. */
  release(err?: Error | boolean): void;
  on?(event: 'error', listener: (err: Error) => void): unknown;
  removeListener?(event: 'error', listener: (err: Error) => void): unknown;
}

/** A connection pool (`pg` `Pool`). */
export interface PgPool {
  connect(): Promise<PgPoolClient>;
  query(text: string, values?: unknown[]): Promise<PgQueryResult>;
}

/** Column, table and schema names: lower-case, unquoted-style, at most 63 bytes (PostgreSQL's limit). */
export const IDENTIFIER_PATTERN = /^[a-z_][a-z0-9_]{0,62}$/;
/** A text search configuration, optionally schema-qualified (`english`, `pg_catalog.simple`). */
export const TEXT_CONFIG_PATTERN = /^[a-z_][a-z0-9_]{0,62}(\.[a-z_][a-z0-9_]{0,62})?$/;

const IDENTIFIER_EXPECTED = '1..63 characters of [a-z0-9_], not starting with a digit';

/** Writes an identifier quoted; the pattern already forbids `"`, the doubling is a second fence. */
export const quoteIdent = (name: string): string => `"${name.replaceAll('"', '""')}"`;

/** True when `name` may be used as a column, table or schema name. */
export const isIdentifier = (name: unknown): name is string =>
  typeof name === 'string' && IDENTIFIER_PATTERN.test(name);

const identifier = () => opt.matching(IDENTIFIER_PATTERN, IDENTIFIER_EXPECTED);

/** Options of `createPostgresSource`. */
export interface PostgresSourceOptions {
  /** A `pg` `Pool` (yours: the source never ends it). */
  readonly pool: PgPool;
  /** The table (or view) searched. */
  readonly table: string;
  /** Its schema; default the connection's `search_path`. */
  readonly schema?: string;
  /**
   * The columns each returned row carries. Default every column of the table except the tsvector
   * column, read once from the catalog at the first query.
   */
  readonly columns?: readonly string[];
  /** Text search configuration of `websearch_to_tsquery`; default `english`. */
  readonly textConfig?: string;
  /** The stored generated tsvector column made by `migrateSearchIndexes`; default `search_tsv`. */
  readonly tsvectorColumn?: string;
  /** A `timestamptz` column holding each row's last change: reported as the freshness watermark. */
  readonly updatedAtColumn?: string;
  /**
   * Extra time after the budget before the client gives up on a server that does not answer (network,
   * a hung backend) and destroys the connection. Default 1000 ms.
   */
  readonly deadlineGraceMs?: number;
  readonly clock?: Clock;
}

export const parseSourceOptions = defineOptions('createPostgresSource', {
  pool: opt.port<PgPool>(['connect', 'query'], 'required'),
  table: opt.matching(IDENTIFIER_PATTERN, IDENTIFIER_EXPECTED, { required: true }),
  schema: identifier(),
  columns: opt.list(opt.matching(IDENTIFIER_PATTERN, IDENTIFIER_EXPECTED, { required: true }), {
    minItems: 1,
    maxItems: 1600,
  }),
  textConfig: opt.matching(TEXT_CONFIG_PATTERN, 'a text search configuration name ([a-z0-9_], schema.name)', {
    default: 'english',
  }),
  tsvectorColumn: opt.matching(IDENTIFIER_PATTERN, IDENTIFIER_EXPECTED, { default: 'search_tsv' }),
  updatedAtColumn: identifier(),
  deadlineGraceMs: opt.duration({ default: 1000, min: 1, max: 60_000 }),
  clock: opt.clock(),
});

/** The parsed options of the source. */
export type ParsedSourceOptions = ReturnType<typeof parseSourceOptions>;

/** `"schema"."table"` or `"table"`. */
export const relationName = (table: string, schema: string | undefined): string =>
  schema === undefined ? quoteIdent(table) : `${quoteIdent(schema)}.${quoteIdent(table)}`;

/** The text search configuration as a SQL literal (DDL cannot take parameters); checked by pattern. */
export function textConfigLiteral(config: string, owner: string): string {
  if (!TEXT_CONFIG_PATTERN.test(config))
    throw optionError(owner, 'textConfig', 'a text search configuration name');
  return `'${config}'::regconfig`;
}

/** Throws the option error of a field whose column name is not an identifier. */
export function checkColumn(owner: string, field: string, column: unknown): string {
  if (!isIdentifier(column)) {
    throw new InvalidOptionError(
      `${owner}: the column of field \`${field}\` must be ${IDENTIFIER_EXPECTED} (set \`column\` in the field spec)`,
    );
  }
  return column;
}
