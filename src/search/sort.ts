/**
 * Sorts in JSON:API syntax (`-createdAt,title`: a leading `-` is descending; `relevance` is the
 * full-text score, always descending) resolved to {@link SortTerm} lists ending with the unique key.
 * Only the paginator's configured sorts are ever parsed; a client's `sort` is looked up, never parsed.
 */
import { type NullsPlacement, RELEVANCE_FIELD, type SortTerm } from './types.js';

/** The client-facing token of the relevance sort. */
export const RELEVANCE_TOKEN = 'relevance';

/** Most terms one sort may have (the key included): deeper sorts make keyset SQL branches explode. */
export const MAX_SORT_TERMS = 8;

/** What sort parsing needs to know about a field. */
export interface SortableField {
  readonly nullable: boolean;
  /** Where its nulls sort (default `last`). */
  readonly nulls?: NullsPlacement;
}

/** A sort resolved against the fields. */
export interface ResolvedSort {
  /** Canonical JSON:API form with the key appended (`-createdAt,-id`). */
  readonly spec: string;
  readonly terms: readonly SortTerm[];
  /** True when a term is the relevance score (needs search text). */
  readonly relevance: boolean;
}

/** One term of a configured sort, or a message. */
function parseTerm(raw: string, fields: ReadonlyMap<string, SortableField>): SortTerm | string {
  const descending = raw.startsWith('-');
  const name = descending ? raw.slice(1) : raw;
  if (name === RELEVANCE_TOKEN) {
    if (descending) return '`relevance` is always descending; write it without `-`';
    return { field: RELEVANCE_FIELD, direction: 'desc', nulls: 'last' };
  }
  const field = fields.get(name);
  if (field === undefined) return `names \`${name}\`, which is not a declared field`;
  // Nulls go where the field says in both directions (explicit NULLS FIRST/LAST in SQL); backward
  // reads flip them.
  return { field: name, direction: descending ? 'desc' : 'asc', nulls: field.nulls ?? 'last' };
}

/** Parses and resolves one configured sort; returns a message on failure. */
export function resolveSort(
  spec: string,
  fields: ReadonlyMap<string, SortableField>,
  key: string,
): ResolvedSort | string {
  if (spec.length === 0) return 'must not be empty';
  const terms: SortTerm[] = [];
  for (const raw of spec.split(',')) {
    if (terms.some((t) => t.field === key)) return `must end with the key \`${key}\` (nothing may follow it)`;
    const term = parseTerm(raw, fields);
    if (typeof term === 'string') return term;
    if (terms.some((t) => t.field === term.field)) return `names \`${raw.replace(/^-/, '')}\` twice`;
    terms.push(term);
  }
  const last = terms[terms.length - 1];
  // Appending the key in the last term's direction keeps `-createdAt` one row-value comparison in SQL.
  if (last !== undefined && last.field !== key) {
    terms.push({ field: key, direction: last.direction, nulls: 'last' });
  }
  if (terms.length > MAX_SORT_TERMS) return `must have at most ${MAX_SORT_TERMS} terms, the key included`;
  return Object.freeze({
    spec: formatSort(terms),
    terms: Object.freeze(terms.map((t) => Object.freeze(t))),
    relevance: terms.some((t) => t.field === RELEVANCE_FIELD),
  });
}

/** A resolved sort back in JSON:API syntax. */
export function formatSort(terms: readonly SortTerm[]): string {
  return terms
    .map((t) =>
      t.field === RELEVANCE_FIELD ? RELEVANCE_TOKEN : `${t.direction === 'desc' ? '-' : ''}${t.field}`,
    )
    .join(',');
}
