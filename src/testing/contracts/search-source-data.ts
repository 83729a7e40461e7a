/**
 * Data and ground truth of the SearchSource contract: two fixed datasets (an integer key and a text
 * key) built to hit every ordering edge, and a plain reference implementation (copy the rows, filter,
 * sort with an independent code-point comparator) that every case's expectation comes from.
 */
import type { FieldMap, FieldValue, FilterCondition, SortTerm, SourceSchema } from '../../search/index.js';
import { seededRandom } from './differential.js';

/** A contract row: field name to value (timestamps as `YYYY-MM-DDTHH:MM:SS.ffffffZ`). */
export type ContractRow = Readonly<Record<string, FieldValue>>;

const WEIGHTS = { A: 1, B: 0.4, C: 0.2, D: 0.1 } as const;

const ITEM_FIELDS: FieldMap = {
  id: { type: 'integer', filter: ['eq', 'in', 'range'] },
  name: { type: 'string', filter: ['eq', 'in', 'prefix', 'range'] },
  title: { type: 'string', text: 'A', filter: ['eq', 'prefix'] },
  body: { type: 'string', nullable: true, text: 'C' },
  status: { type: 'string', filter: ['eq', 'in'], facet: true },
  price: { type: 'number', nullable: true, filter: ['eq', 'in', 'range'], facet: true },
  qty: { type: 'integer', filter: ['eq', 'in', 'range'], facet: true },
  active: { type: 'boolean', filter: ['eq'], facet: true },
  created_at: { type: 'timestamp', filter: ['eq', 'in', 'range'] },
  deleted_at: { type: 'timestamp', nullable: true, filter: ['eq', 'range'] },
  tag: { type: 'string', nullable: true, filter: ['eq', 'in', 'prefix'], facet: true },
};

/** The integer-key dataset's schema: every field type, nullable columns, two text fields. */
export const ITEM_SCHEMA: SourceSchema = { fields: ITEM_FIELDS, key: 'id', textWeights: WEIGHTS };

/** The text-key dataset's schema. */
export const CODE_SCHEMA: SourceSchema = {
  fields: {
    code: { type: 'string', filter: ['eq', 'in', 'prefix', 'range'] },
    label: { type: 'string', filter: ['eq'], facet: true },
    n: { type: 'integer', filter: ['range'] },
  },
  key: 'code',
  textWeights: WEIGHTS,
};

/**
 * Strings that order differently by code point than by UTF-16 unit (U+E000 and U+FFFF sort before
 * U+1F600 by code point, after it by unit), plus case, accents and the LIKE metacharacters.
 */
const NAMES = [
  'x\uFFFF',
  'x\u{1F600}',
  'x\uE000',
  'xz',
  'x',
  'X',
  'apple',
  'Apple',
  'é',
  'e',
  'a%b',
  'a_b',
  'a\\b',
  'ab',
  'a',
  '',
] as const;

/** Timestamps that differ only in microseconds, or only beyond milliseconds. */
const STAMPS = [
  '2026-01-01T00:00:00.000000Z',
  '2026-01-01T00:00:00.000001Z',
  '2026-01-01T00:00:00.000002Z',
  '2026-01-01T00:00:00.001000Z',
  '2026-03-01T12:00:00.123456Z',
  '2026-03-01T12:00:00.123457Z',
  '1999-12-31T23:59:59.999999Z',
  '2030-06-15T08:30:00.500000Z',
] as const;

/** Text words whose English stems all differ, so PostgreSQL (stemming) and memory match alike. */
const WORDS = ['apple', 'banana', 'cherry', 'red', 'green', 'blue', 'pie', 'tart', 'juice', 'fresh'] as const;

/** The integer-key rows: 90 rows, many ties on every sort column, nulls in every nullable one. */
export function itemRows(): ContractRow[] {
  const random = seededRandom(16);
  const words = (n: number) => Array.from({ length: n }, () => random.pick(WORDS)).join(' ');
  const rows: ContractRow[] = [];
  for (let i = 0; i < 90; i++) {
    rows.push({
      // Keys are not in insertion order, and some are negative.
      id: ((i * 37) % 90) - 20,
      name: NAMES[i % NAMES.length] as string,
      title: words(random.int(1, 3)),
      // Bodies start with a word outside WORDS so no phrase spans title and body.
      body: random.int(0, 4) === 0 ? null : `note ${words(random.int(1, 4))}`,
      status: random.pick(['open', 'closed', 'draft']),
      price: random.int(0, 3) === 0 ? null : random.pick([0, 9.5, 10, 99.99, -1.25, 1e6]),
      qty: random.int(0, 4),
      active: random.int(0, 1) === 1,
      created_at: random.pick(STAMPS),
      deleted_at: random.int(0, 2) === 0 ? random.pick(STAMPS) : null,
      tag: random.int(0, 3) === 0 ? null : random.pick(['a%', 'a_', 'a\\', 'ab', 'b', 'x\u{1F600}']),
    });
  }
  return rows;
}

/** The text-key rows: keys that need code point order, labels with ties. */
export function codeRows(): ContractRow[] {
  const codes = [
    ...NAMES.filter((n) => n !== ''),
    'B',
    'b',
    'ba',
    'b\u{10FFFF}',
    '\u{1F600}',
    '\uFFFF',
    'zz',
  ];
  return codes.map((code, i) => ({
    code,
    label: ['k', 'm', 'k\uFFFF', 'k\u{1F600}'][i % 4] as string,
    n: i % 5,
  }));
}

const SURROGATE = /[\uD800-\uDFFF]/;

/** An independent code point comparison (through `codePointAt`, not the source's fix-up trick). */
export function compareByCodePoint(a: string, b: string): number {
  // Without surrogates, UTF-16 units are code points (the quick path keeps 50k-row truths fast).
  if (!SURROGATE.test(a) && !SURROGATE.test(b)) return a < b ? -1 : a > b ? 1 : 0;
  const x = Array.from(a, (c) => c.codePointAt(0) ?? 0);
  const y = Array.from(b, (c) => c.codePointAt(0) ?? 0);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i] !== y[i]) return (x[i] as number) - (y[i] as number);
  }
  return x.length - y.length;
}

function compareValues(a: FieldValue, b: FieldValue): number {
  if (typeof a === 'string' && typeof b === 'string') return compareByCodePoint(a, b);
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  return (a as number) - (b as number);
}

/** Sorts a copy of `rows` by `sort` (key last), nulls per term. */
export function sortRows(rows: readonly ContractRow[], sort: readonly SortTerm[]): ContractRow[] {
  return [...rows].sort((r1, r2) => {
    for (const term of sort) {
      const a = r1[term.field] ?? null;
      const b = r2[term.field] ?? null;
      if (a === null && b === null) continue;
      if (a === null || b === null) return (a === null) === (term.nulls === 'first') ? -1 : 1;
      const c = compareValues(a, b);
      if (c !== 0) return term.direction === 'asc' ? c : -c;
    }
    return 0;
  });
}

/** The row's `keys` for `sort`. */
export const keysOf = (row: ContractRow, sort: readonly SortTerm[]): FieldValue[] =>
  sort.map((t) => row[t.field] ?? null);

/** The reference meaning of one filter condition. */
function holds(row: ContractRow, f: FilterCondition): boolean {
  const v = row[f.field] ?? null;
  switch (f.op) {
    case 'eq':
      return f.value === null ? v === null : v !== null && compareValues(v, f.value) === 0;
    case 'in':
      return f.values.some((w) => (w === null ? v === null : v !== null && compareValues(v, w) === 0));
    case 'prefix':
      return typeof v === 'string' && v.slice(0, f.value.length) === f.value;
    default: {
      if (v === null) return false;
      const c = compareValues(v, f.value);
      return f.op === 'gt' ? c > 0 : f.op === 'gte' ? c >= 0 : f.op === 'lt' ? c < 0 : c <= 0;
    }
  }
}

/** The rows that pass every filter. */
export const filterRows = (
  rows: readonly ContractRow[],
  filters: readonly FilterCondition[],
): ContractRow[] => rows.filter((row) => filters.every((f) => holds(row, f)));

/** The reference facet: counts desc, then value asc with null last, top `limit`. */
export function facetOf(rows: readonly ContractRow[], field: string, limit: number) {
  const counts = new Map<FieldValue, number>();
  for (const row of rows) counts.set(row[field] ?? null, (counts.get(row[field] ?? null) ?? 0) + 1);
  return [...counts]
    .sort(([a, x], [b, y]) => y - x || (a === null ? 1 : b === null ? -1 : compareValues(a, b)))
    .slice(0, limit)
    .map(([value, count]) => ({ value, count }));
}

/** Words of a row's text fields (lower case, split on anything but letters and digits), per field. */
export const textWords = (row: ContractRow): string[][] =>
  ['title', 'body'].map((f) =>
    String(row[f] ?? '')
      .toLowerCase()
      .split(/[^a-z0-9]+/)
      .filter(Boolean),
  );
