/**
 * Filters and facets of the memory source, with PostgreSQL's meaning: a comparison never matches a
 * null (only `eq null` does, as `IS NULL`; an `in` list holding null also matches nulls), prefixes are
 * case-sensitive and literal (no wildcard characters), strings compare by code point.
 */
import { InvalidArgumentError } from '../core/errors.js';
import { type MemoryField, type MemoryRecord, type MemorySchema, storedValue } from './memory-rows.js';
import { compareStored, type StoredValue } from './memory-values.js';
import type { FacetCounts, FilterCondition } from './types.js';

/** A compiled filter: true when the record matches. */
export type RecordPredicate<Row> = (record: MemoryRecord<Row>) => boolean;

function field(schema: MemorySchema, name: string): MemoryField {
  const found = schema.fields.get(name);
  if (found === undefined) throw new InvalidArgumentError(`filter field \`${name}\` is not a declared field`);
  return found;
}

function operand(f: MemoryField, value: unknown, what: string): string | number | boolean {
  const stored = storedValue(f.type, value);
  if (stored === undefined || stored === null) {
    throw new InvalidArgumentError(`${what} of \`${f.name}\` is not a ${f.type} value`);
  }
  return stored;
}

const RANGE_TESTS = {
  gt: (c: number) => c > 0,
  gte: (c: number) => c >= 0,
  lt: (c: number) => c < 0,
  lte: (c: number) => c <= 0,
} as const;

function compileCondition<Row>(schema: MemorySchema, condition: FilterCondition): RecordPredicate<Row> {
  const f = field(schema, condition.field);
  const { name, index } = f;
  switch (condition.op) {
    case 'eq': {
      if (condition.value === null) return (r) => r.values[index] === null;
      const v = operand(f, condition.value, 'eq');
      return (r) => r.values[index] === v;
    }
    case 'in': {
      const matchesNull = condition.values.includes(null);
      const set = new Set<StoredValue>(
        condition.values.filter((v) => v !== null).map((v) => operand(f, v, 'in')),
      );
      return (r) => {
        const v = r.values[index] ?? null;
        return v === null ? matchesNull : set.has(v);
      };
    }
    case 'prefix': {
      if (f.type !== 'string') throw new InvalidArgumentError(`prefix of \`${name}\` needs a string field`);
      const p = operand(f, condition.value, 'prefix') as string;
      return (r) => {
        const v = r.values[index];
        return typeof v === 'string' && v.startsWith(p);
      };
    }
    default: {
      const v = operand(f, condition.value, condition.op);
      const test = RANGE_TESTS[condition.op];
      return (r) => {
        const x = r.values[index] ?? null;
        return x !== null && test(compareStored(x, v));
      };
    }
  }
}

/** The conjunction of `filters` and, when given, membership in the text matches. */
export function compilePredicate<Row>(
  schema: MemorySchema,
  filters: readonly FilterCondition[],
  textMatches: ReadonlyMap<unknown, number> | undefined,
): RecordPredicate<Row> {
  const tests = filters.map((c) => compileCondition<Row>(schema, c));
  if (textMatches !== undefined) tests.unshift((r) => textMatches.has(r.key));
  if (tests.length === 0) return () => true;
  return (r) => {
    for (const test of tests) if (!test(r)) return false;
    return true;
  };
}

/** Counts `records` and tallies each facet field's values (null included). */
export function countAndFacet<Row>(
  schema: MemorySchema,
  records: Iterable<MemoryRecord<Row>>,
  facets: readonly { readonly field: string; readonly limit: number }[],
): { count: number; facets: FacetCounts[] } {
  const indexes = facets.map((f) => field(schema, f.field).index);
  const tallies = indexes.map(() => new Map<StoredValue, number>());
  let count = 0;
  for (const record of records) {
    count += 1;
    for (let i = 0; i < indexes.length; i++) {
      const tally = tallies[i] as Map<StoredValue, number>;
      const v = record.values[indexes[i] as number] ?? null;
      tally.set(v, (tally.get(v) ?? 0) + 1);
    }
  }
  const out = facets.map((facet, i) => {
    const entries = [...(tallies[i] as Map<StoredValue, number>)].sort(
      ([va, ca], [vb, cb]) =>
        cb - ca || (va === null ? (vb === null ? 0 : 1) : vb === null ? -1 : compareStored(va, vb)),
    );
    return {
      field: facet.field,
      values: entries.slice(0, facet.limit).map(([value, n]) => ({ value, count: n })),
    };
  });
  return { count, facets: out };
}
