/**
 * The PostgreSQL source's view of a paginator's schema: each field's quoted column reference, type and
 * nullability, fixed once at `bind`. The SQL builder only ever reads names from here.
 */
import { InvalidArgumentError, InvalidOptionError } from '../core/errors.js';
import { checkColumn, type ParsedSourceOptions, quoteIdent, relationName } from './postgres-options.js';
import { type FieldType, RELEVANCE_FIELD, type SourceSchema } from './types.js';

/** One sortable or filterable thing: a column, or the relevance score. */
export interface BoundColumn {
  readonly field: string;
  readonly type: FieldType | 'relevance';
  readonly nullable: boolean;
  /** `t."column"`; empty for relevance (the builder supplies the rank expression). */
  readonly ref: string;
}

/** Everything the SQL builder needs about the table. */
export interface BoundTable {
  /** `"schema"."table"`. */
  readonly relation: string;
  readonly columns: ReadonlyMap<string, BoundColumn>;
  /** `t."search_tsv"`. */
  readonly tsvector: string;
  readonly textConfig: string;
  /** ts_rank's weights array, in its `{D, C, B, A}` order. */
  readonly rankWeights: readonly number[];
  /** `t."updated_at"` when freshness is read. */
  readonly updatedAt: string | undefined;
}

const OWNER = 'createPostgresSource';

/** Column reference with the table alias every statement uses. */
export const columnRef = (column: string): string => `t.${quoteIdent(column)}`;

/** Checks the paginator's fields against the table options and fixes the mapping. */
export function bindTable(o: ParsedSourceOptions, schema: SourceSchema): BoundTable {
  const columns = new Map<string, BoundColumn>();
  for (const [field, spec] of Object.entries(schema.fields)) {
    const column = checkColumn(OWNER, field, spec.column ?? field);
    columns.set(field, { field, type: spec.type, nullable: spec.nullable === true, ref: columnRef(column) });
  }
  const key = columns.get(schema.key);
  if (key === undefined || key.nullable || (key.type !== 'string' && key.type !== 'integer')) {
    throw new InvalidOptionError(
      `${OWNER}: the key \`${schema.key}\` must be a non-null string or integer field`,
    );
  }
  columns.set(RELEVANCE_FIELD, { field: RELEVANCE_FIELD, type: 'relevance', nullable: false, ref: '' });
  const w = schema.textWeights;
  return {
    relation: relationName(o.table, o.schema),
    columns,
    tsvector: columnRef(o.tsvectorColumn),
    textConfig: o.textConfig,
    rankWeights: [w.D, w.C, w.B, w.A],
    updatedAt: o.updatedAtColumn === undefined ? undefined : columnRef(o.updatedAtColumn),
  };
}

/** The bound column of `field`; the paginator only sends declared fields, so a miss is a wiring bug. */
export function boundColumn(table: BoundTable, field: string): BoundColumn {
  const column = table.columns.get(field);
  if (column === undefined) throw new InvalidArgumentError(`postgres source: unknown field \`${field}\``);
  return column;
}
