/**
 * Filter and full-text cases of the SearchSource contract. Each case's expectation comes from the
 * reference (filterRows, or a predicate over the rows' words) and must be non-empty and not everything,
 * so no case passes vacuously.
 */
import assert from 'node:assert/strict';
import type { FilterCondition } from '../../search/index.js';
import type { WithSource } from './search-source.js';
import { type ContractRow, filterRows, keysOf, sortRows, textWords } from './search-source-data.js';
import { checkWalks, everything, type QueryParts, term } from './search-source-walk.js';
import type { ContractTestApi } from './test-api.js';

const S1 = '2026-01-01T00:00:00.000001Z';

/** Filter cases: a label and the conditions (ANDed). */
const FILTERS: readonly [string, readonly FilterCondition[]][] = [
  ['eq string', [{ field: 'status', op: 'eq', value: 'open' }]],
  ['eq number', [{ field: 'price', op: 'eq', value: 9.5 }]],
  ['eq integer', [{ field: 'qty', op: 'eq', value: 0 }]],
  ['eq boolean', [{ field: 'active', op: 'eq', value: false }]],
  ['eq timestamp to the µs', [{ field: 'created_at', op: 'eq', value: S1 }]],
  ['eq a string beyond the BMP', [{ field: 'name', op: 'eq', value: 'x\u{1F600}' }]],
  ['eq the empty string (not null)', [{ field: 'name', op: 'eq', value: '' }]],
  ['eq null (number)', [{ field: 'price', op: 'eq', value: null }]],
  ['eq null (string)', [{ field: 'tag', op: 'eq', value: null }]],
  ['eq null (timestamp)', [{ field: 'deleted_at', op: 'eq', value: null }]],
  ['in strings', [{ field: 'status', op: 'in', values: ['open', 'closed'] }]],
  ['in integers', [{ field: 'qty', op: 'in', values: [0, 4] }]],
  ['in with null matches nulls too', [{ field: 'tag', op: 'in', values: ['a%', null] }]],
  ['in numbers with null', [{ field: 'price', op: 'in', values: [10, null] }]],
  ['in timestamps', [{ field: 'created_at', op: 'in', values: ['2026-01-01T00:00:00.000000Z', S1] }]],
  ['in code points', [{ field: 'name', op: 'in', values: ['x\uFFFF', 'xz', 'x\u{1F600}'] }]],
  ['gt number (nulls never match)', [{ field: 'price', op: 'gt', value: 9.5 }]],
  ['gte number', [{ field: 'price', op: 'gte', value: 9.5 }]],
  ['lt number, negatives', [{ field: 'price', op: 'lt', value: 0 }]],
  ['lte integer', [{ field: 'qty', op: 'lte', value: 1 }]],
  ['gt timestamp by one µs', [{ field: 'created_at', op: 'gt', value: S1 }]],
  ['lt timestamp under a ms', [{ field: 'created_at', op: 'lt', value: '2026-01-01T00:00:00.001000Z' }]],
  [
    'timestamp range gte..lt',
    [
      { field: 'created_at', op: 'gte', value: '2026-01-01T00:00:00.000001Z' },
      { field: 'created_at', op: 'lt', value: '2026-03-01T12:00:00.123457Z' },
    ],
  ],
  ['lte nullable timestamp', [{ field: 'deleted_at', op: 'lte', value: '2026-01-01T00:00:00.000002Z' }]],
  ['gt string by code point', [{ field: 'name', op: 'gt', value: 'x\uFFFF' }]],
  ['lt string by code point', [{ field: 'name', op: 'lt', value: 'x\uE000' }]],
  [
    'integer key range',
    [
      { field: 'id', op: 'gte', value: -5 },
      { field: 'id', op: 'lt', value: 10 },
    ],
  ],
  ['prefix with % is literal', [{ field: 'name', op: 'prefix', value: 'a%' }]],
  ['prefix with _ is literal', [{ field: 'name', op: 'prefix', value: 'a_' }]],
  ['prefix with \\ is literal', [{ field: 'name', op: 'prefix', value: 'a\\' }]],
  ['prefix is case-sensitive', [{ field: 'name', op: 'prefix', value: 'X' }]],
  ['prefix beyond the BMP', [{ field: 'tag', op: 'prefix', value: 'x\u{1F600}' }]],
  ['prefix over several', [{ field: 'name', op: 'prefix', value: 'x' }]],
  [
    'several operators together',
    [
      { field: 'status', op: 'in', values: ['open', 'draft'] },
      { field: 'price', op: 'gte', value: 0 },
      { field: 'active', op: 'eq', value: true },
    ],
  ],
];

/** Registers the filter cases. */
export function filterCases(t: ContractTestApi, withSource: WithSource): void {
  t.it(
    'each filter operator selects exactly the reference rows',
    withSource('items', async (source, rows) => {
      const sort = [term('id')];
      for (const [label, filters] of FILTERS) {
        const expected = sortRows(filterRows(rows, filters), sort);
        assert.ok(expected.length > 0 && expected.length < rows.length, `case ${label} is not vacuous`);
        const { rows: got } = await everything(source, { sort, filters, total: 'exact' });
        assert.deepEqual(
          got.map((r) => r.keys),
          expected.map((r) => keysOf(r, sort)),
          `filter: ${label}`,
        );
      }
    }),
  );

  t.it(
    'filters on the text key: prefix and ranges by code point',
    withSource('codes', async (source, rows) => {
      const sort = [term('code')];
      const cases: FilterCondition[][] = [
        [{ field: 'code', op: 'prefix', value: 'b' }],
        [{ field: 'code', op: 'gt', value: 'x\uFFFF' }],
        [{ field: 'code', op: 'lte', value: '\uFFFF' }],
        [{ field: 'code', op: 'in', values: ['\u{1F600}', 'B', 'nope'] }],
      ];
      for (const filters of cases) {
        const expected = sortRows(filterRows(rows, filters), sort);
        assert.ok(expected.length > 0 && expected.length < rows.length);
        const { rows: got } = await everything(source, { sort, filters });
        assert.deepEqual(
          got.map((r) => r.keys),
          expected.map((r) => keysOf(r, sort)),
          JSON.stringify(filters),
        );
      }
    }),
  );
}

const hasWord = (row: ContractRow, word: string) => textWords(row).some((f) => f.includes(word));
const hasPhrase = (row: ContractRow, words: readonly string[]) =>
  textWords(row).some((f) => f.some((_, i) => words.every((w, j) => f[i + j] === w)));

/** Text cases: the query and the reference predicate (web-search syntax, English stop words). */
export const TEXT_CASES: readonly [string, (row: ContractRow) => boolean][] = [
  ['apple', (r) => hasWord(r, 'apple')],
  ['APPLE', (r) => hasWord(r, 'apple')],
  ['red apple', (r) => hasWord(r, 'red') && hasWord(r, 'apple')],
  ['"red apple"', (r) => hasPhrase(r, ['red', 'apple'])],
  ['apple -pie', (r) => hasWord(r, 'apple') && !hasWord(r, 'pie')],
  ['-apple', (r) => !hasWord(r, 'apple')],
  ['cherry OR banana', (r) => hasWord(r, 'cherry') || hasWord(r, 'banana')],
  ['green tart OR juice', (r) => (hasWord(r, 'green') && hasWord(r, 'tart')) || hasWord(r, 'juice')],
  ['the apple', (r) => hasWord(r, 'apple')],
  ['note', (r) => hasWord(r, 'note')],
];

/** Registers the text cases (match sets; relevance is in relevanceCases). */
export function textCases(t: ContractTestApi, withSource: WithSource): void {
  t.it(
    'text queries match the reference set (words ANDed, phrases, -exclusions, OR, stop words, any case)',
    withSource('items', async (source, rows) => {
      const sort = [term('id')];
      for (const [text, matches] of TEXT_CASES) {
        const expected = sortRows(rows.filter(matches), sort);
        assert.ok(expected.length > 0 && expected.length < rows.length, `case ${text} is not vacuous`);
        const { rows: got } = await everything(source, { sort, text });
        assert.deepEqual(
          got.map((r) => r.keys),
          expected.map((r) => keysOf(r, sort)),
          `text: ${text}`,
        );
      }
    }),
  );

  t.it(
    'text with filters under a column sort: walks both ways see the reference rows',
    withSource('items', async (source, rows) => {
      const parts: QueryParts = {
        sort: [term('created_at', 'desc'), term('id', 'desc')],
        filters: [{ field: 'status', op: 'in', values: ['open', 'closed'] }],
        text: 'apple OR cherry',
      };
      const expected = sortRows(
        filterRows(rows, parts.filters ?? []).filter((r) => hasWord(r, 'apple') || hasWord(r, 'cherry')),
        parts.sort,
      );
      assert.ok(expected.length > 5);
      await checkWalks(source, parts, expected, [2, 5]);
    }),
  );
}
