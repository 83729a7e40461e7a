/**
 * The SearchSource contract: what every search source (memory, PostgreSQL, yours) must answer for a
 * normalised `SourceQuery`, checked against a plain reference (search-source-data.ts) on fixed data: every
 * sort shape walked both ways from every position, offsets, each filter operator, totals, facets, full
 * text (as a match set: scores differ between engines) and the freshness shape.
 */
import assert from 'node:assert/strict';
import type { SourceSchema } from '../../search/index.js';
import { filterCases, textCases } from './search-source-cases.js';
import {
  CODE_SCHEMA,
  type ContractRow,
  codeRows,
  filterRows,
  ITEM_SCHEMA,
  itemRows,
  keysOf,
  sortRows,
} from './search-source-data.js';
import { aggregateCases, relevanceCases } from './search-source-more.js';
import {
  type ContractSource,
  checkEveryPosition,
  checkOffsets,
  checkWalks,
  everything,
  type QueryParts,
  sourceQuery,
  term,
  walkBackward,
  walkForward,
} from './search-source-walk.js';
import type { ContractFixture, ContractTestApi } from './test-api.js';

/** What the contract hands `setup`: the schema to bind and the rows to load. */
export interface SearchSourceSetupInput {
  /** Fields (names equal the row properties / columns, no `column` mapping), key and text weights. */
  readonly schema: SourceSchema;
  /** Rows as plain objects; timestamps as `YYYY-MM-DDTHH:MM:SS.ffffffZ` strings. */
  readonly rows: readonly ContractRow[];
}

/**
 * Options of {@link searchSourceContract}: `setup` builds a fresh source holding exactly `rows`, already
 * bound to `schema`, and returns it as `subject` (with a `close` that drops what setup made).
 */
export interface SearchSourceContractOptions {
  readonly name: string;
  setup(
    input: SearchSourceSetupInput,
  ): ContractFixture<ContractSource> | Promise<ContractFixture<ContractSource>>;
}

/** A test body run against a fresh source over one dataset. */
export type WithSource = (
  dataset: 'items' | 'codes',
  body: (source: ContractSource, rows: readonly ContractRow[]) => Promise<void>,
) => () => Promise<void>;

type SortCase = readonly ['items' | 'codes', string, QueryParts['sort']];

const SORTS: readonly SortCase[] = [
  ['items', 'id', [term('id')]],
  ['items', '-id', [term('id', 'desc')]],
  ['items', '-created_at,-id (µs ties)', [term('created_at', 'desc'), term('id', 'desc')]],
  ['items', 'status,qty,id', [term('status'), term('qty'), term('id')]],
  ['items', 'status,-created_at,id (mixed)', [term('status'), term('created_at', 'desc'), term('id')]],
  ['items', 'price nulls last,id', [term('price'), term('id')]],
  ['items', '-price nulls last,-id', [term('price', 'desc'), term('id', 'desc')]],
  ['items', 'price nulls first,id', [term('price', 'asc', 'first'), term('id')]],
  ['items', '-tag nulls first,name,-id', [term('tag', 'desc', 'first'), term('name'), term('id', 'desc')]],
  ['items', 'name,id (code points)', [term('name'), term('id')]],
  ['items', '-name,-id (code points)', [term('name', 'desc'), term('id', 'desc')]],
  ['items', 'active,-deleted_at nulls last,id', [term('active'), term('deleted_at', 'desc'), term('id')]],
  [
    'items',
    '-deleted_at nulls first,price,-id',
    [term('deleted_at', 'desc', 'first'), term('price'), term('id', 'desc')],
  ],
  ['codes', 'code (text key)', [term('code')]],
  ['codes', '-code (text key)', [term('code', 'desc')]],
  ['codes', 'label,-code', [term('label'), term('code', 'desc')]],
  ['codes', '-n,label,code', [term('n', 'desc'), term('label'), term('code')]],
];

const FILTERED: QueryParts = {
  sort: [term('status'), term('price', 'desc', 'first'), term('id')],
  filters: [
    { field: 'status', op: 'in', values: ['open', 'draft'] },
    { field: 'qty', op: 'gte', value: 1 },
  ],
};

/**
 * The SearchSource contract. It queries the source directly (no paginator), as the paginator would:
 * resolved sorts ending with the key, parsed filter values, `limit + 1` rows per page.
 *
 * @example
 * ```ts
 * import { describe, it } from 'vitest';
 * searchSourceContract({ describe, it }, {
 *   name: 'memory',
 *   setup: ({ schema, rows }) => {
 *     const subject = createMemorySource({ rows: [...rows] });
 *     subject.bind(schema);
 *     return { subject };
 *   },
 * });
 * ```
 */
export function searchSourceContract(t: ContractTestApi, options: SearchSourceContractOptions): void {
  const withSource: WithSource = (dataset, body) => async () => {
    const [schema, rows] = dataset === 'items' ? [ITEM_SCHEMA, itemRows()] : [CODE_SCHEMA, codeRows()];
    const fixture = await options.setup({ schema, rows });
    try {
      await body(fixture.subject, rows);
    } finally {
      await fixture.close?.();
    }
  };

  t.describe(`SearchSource contract: ${options.name}`, () => {
    for (const [dataset, label, sort] of SORTS) {
      t.it(
        `sort ${label}: one page, walks both ways, pages around every row, offsets`,
        withSource(dataset, async (source, rows) => {
          const expected = sortRows(rows, sort);
          const all = await everything(source, { sort });
          assert.deepEqual(
            all.rows.map((r) => r.keys),
            expected.map((r) => keysOf(r, sort)),
          );
          await checkWalks(source, { sort }, expected);
          await checkEveryPosition(source, { sort }, expected);
          await checkOffsets(source, { sort }, expected, 5);
        }),
      );
    }

    t.it(
      'a filtered sort: walks, pages around every row and offsets see only matching rows',
      withSource('items', async (source, rows) => {
        const expected = sortRows(filterRows(rows, FILTERED.filters ?? []), FILTERED.sort);
        assert.ok(expected.length > 10 && expected.length < rows.length);
        await checkWalks(source, FILTERED, expected, [1, 4]);
        await checkEveryPosition(source, FILTERED, expected, 3);
        await checkOffsets(source, FILTERED, expected, 3);
      }),
    );

    t.it(
      'a query matching nothing gives empty pages in both directions and at any offset',
      withSource('items', async (source) => {
        const parts: QueryParts = {
          sort: [term('id')],
          filters: [{ field: 'status', op: 'eq', value: 'nope' }],
        };
        assert.deepEqual(await walkForward(source, parts, 3), []);
        assert.deepEqual(await walkBackward(source, parts, 3), []);
        const { rows } = await source.query(sourceQuery(parts, { kind: 'offset', offset: 2, limit: 3 }));
        assert.deepEqual(rows, []);
      }),
    );

    filterCases(t, withSource);
    aggregateCases(t, withSource);
    textCases(t, withSource);
    relevanceCases(t, withSource);
  });
}
