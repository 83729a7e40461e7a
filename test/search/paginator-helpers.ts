/**
 * Shared fixtures of the paginator tests: a seeded product catalogue, the field allowlist, a ground
 * truth comparator with the design's ordering (code-point strings, nulls last in both directions), and
 * small scripted sources for the timeout tests (real `SearchSource` implementations, not client mocks).
 */

import {
  createMemorySource,
  createPaginator,
  type FieldMap,
  type FieldValue,
  type Paginator,
  type PaginatorOptions,
  type SearchSource,
  type SourceQuery,
  type SourceResult,
} from '../../src/search/index.js';
import { createManualClock, seededRandom } from '../../src/testing/index.js';

/** A row of the catalogue. */
export interface Product {
  readonly id: number;
  readonly title: string;
  readonly status: string;
  readonly price: number | null;
  readonly stock: number;
  readonly active: boolean;
  readonly createdAt: string;
  readonly tag: string | null;
}

export const KEYS = [
  { id: 'k2', secret: 'k2-secret-0123456789-0123456789-abcdef' },
  { id: 'k1', secret: 'k1-secret-0123456789-0123456789-abcdef' },
] as const;

export const FIELDS: FieldMap = {
  id: { type: 'integer', filter: ['eq', 'in', 'range'] },
  title: { type: 'string', filter: ['eq', 'prefix', 'range'], text: 'A' },
  status: { type: 'string', filter: ['eq', 'in'], facet: true },
  price: { type: 'number', nullable: true, filter: ['eq', 'in', 'range'] },
  stock: { type: 'integer', filter: ['range'] },
  active: { type: 'boolean', filter: ['eq'], facet: true },
  createdAt: { type: 'timestamp', filter: ['range', 'eq'] },
  tag: { type: 'string', nullable: true, filter: ['eq', 'in'], facet: true },
};

export const SORTS = [
  '-createdAt',
  'title',
  'price',
  '-price',
  'status,-price',
  '-tag,stock',
  'active,-createdAt',
  'relevance',
] as const;

const WORDS = ['red', 'blue', 'green', 'lamp', 'chair', 'table', 'émoji😀', 'Zed', 'apple', 'Äpfel'];
const STATUSES = ['open', 'closed', 'draft'];
const TAGS = ['a', 'b', 'c', null];

/** `count` products from `seed`: duplicates in every sort column, nulls in price and tag, µs timestamps. */
export function products(count: number, seed = 7): Product[] {
  const random = seededRandom(seed);
  const base = Date.UTC(2026, 0, 1);
  return Array.from({ length: count }, (_, i) => {
    const ms = base + random.int(0, 40) * 1000;
    const micros = String(random.int(0, 2)).padStart(3, '0');
    return {
      id: i + 1,
      title: `${random.pick(WORDS)} ${random.pick(WORDS)}`,
      status: random.pick(STATUSES),
      price: random.next() < 0.2 ? null : random.int(1, 30) / 2,
      stock: random.int(0, 5),
      active: random.next() < 0.5,
      createdAt: `${new Date(ms).toISOString().slice(0, 23)}${micros}Z`,
      tag: random.pick(TAGS),
    };
  });
}

const codePoints = (s: string) => Array.from(s, (c) => c.codePointAt(0) ?? 0);

function compareValues(a: FieldValue, b: FieldValue): number {
  if (typeof a === 'string' && typeof b === 'string') {
    const x = codePoints(a);
    const y = codePoints(b);
    for (let i = 0; i < Math.min(x.length, y.length); i++) {
      const d = (x[i] ?? 0) - (y[i] ?? 0);
      if (d !== 0) return d;
    }
    return x.length - y.length;
  }
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  return (a as number) - (b as number);
}

/** The rows of `rows` in the order of JSON:API sort `spec` (key `id` appended in the last direction). */
export function groundTruth(rows: readonly Product[], spec: string): Product[] {
  const terms = spec.split(',').map((t) => ({ field: t.replace(/^-/, ''), desc: t.startsWith('-') }));
  const last = terms[terms.length - 1];
  if (last !== undefined && last.field !== 'id') terms.push({ field: 'id', desc: last.desc });
  return [...rows].sort((a, b) => {
    for (const t of terms) {
      const x = (a as unknown as Record<string, FieldValue>)[t.field] ?? null;
      const y = (b as unknown as Record<string, FieldValue>)[t.field] ?? null;
      if (x === null && y === null) continue;
      if (x === null) return 1;
      if (y === null) return -1;
      const d = compareValues(x, y);
      if (d !== 0) return t.desc ? -d : d;
    }
    return 0;
  });
}

/** A paginator over a memory source holding `rows`, with a manual clock. */
export function memoryPaginator(rows: readonly Product[], extra: Partial<PaginatorOptions<Product>> = {}) {
  const clock = createManualClock(Date.UTC(2026, 5, 1));
  const source = createMemorySource<Product>({ rows, clock });
  const paginator: Paginator<Product> = createPaginator<Product>({
    source,
    fields: FIELDS,
    sorts: [...SORTS],
    cursorKeys: [...KEYS],
    clock,
    ...extra,
  });
  return { paginator, source, clock };
}

/** A source that answers with `answer` (or never, when it returns undefined), recording its queries. */
export function scriptedSource(
  answer: (query: SourceQuery, call: number) => Promise<SourceResult<Product>> | undefined,
  capabilities: Partial<SearchSource<Product>['capabilities']> = {},
): SearchSource<Product> & { readonly queries: SourceQuery[] } {
  const queries: SourceQuery[] = [];
  return {
    kind: 'scripted',
    capabilities: { text: true, estimatedTotal: true, maxOffset: null, ...capabilities },
    queries,
    bind() {},
    query(query) {
      queries.push(query);
      return answer(query, queries.length - 1) ?? new Promise(() => {});
    },
  };
}

/** A strongly consistent freshness. */
export const STRONG = {
  consistency: 'strong',
  sourceNewestMs: null,
  indexedThroughMs: null,
  lagMs: 0,
} as const;
