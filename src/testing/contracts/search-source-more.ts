/**
 * Totals, facets, freshness and relevance cases of the SearchSource contract.
 */
import assert from 'node:assert/strict';
import type { FieldValue, FilterCondition, Freshness, SourceResult } from '../../search/index.js';
import { RELEVANCE_FIELD } from '../../search/index.js';
import type { WithSource } from './search-source.js';
import { TEXT_CASES } from './search-source-cases.js';
import { facetOf, filterRows, keysOf, sortRows } from './search-source-data.js';
import {
  everything,
  type QueryParts,
  sourceQuery,
  term,
  walkBackward,
  walkForward,
} from './search-source-walk.js';
import type { ContractTestApi } from './test-api.js';

const FACET_FILTERS: readonly FilterCondition[] = [{ field: 'qty', op: 'gte', value: 1 }];

function checkFreshness(freshness: Freshness): void {
  assert.ok(freshness.consistency === 'strong' || freshness.consistency === 'eventual');
  for (const v of [freshness.sourceNewestMs, freshness.indexedThroughMs, freshness.lagMs]) {
    assert.ok(
      v === null || (typeof v === 'number' && Number.isFinite(v)),
      'freshness values are numbers or null',
    );
  }
  if (freshness.consistency === 'strong') assert.equal(freshness.lagMs, 0);
  if (freshness.lagMs !== null) assert.ok(freshness.lagMs >= 0);
}

function checkTotal(result: SourceResult<unknown>, expected: number, mode: 'exact' | 'estimated'): void {
  const total = result.total;
  assert.ok(total !== undefined, `a ${mode} total is returned`);
  if (mode === 'exact' || total.exact) assert.deepEqual(total, { value: expected, exact: true });
  else assert.ok(Number.isFinite(total.value) && total.value >= 0, 'an estimate is a count');
}

/** Registers totals, facets and freshness cases. */
export function aggregateCases(t: ContractTestApi, withSource: WithSource): void {
  t.it(
    'totals: exact counts the filtered set whatever the page, estimated is a sane count, none is absent',
    withSource('items', async (source, rows) => {
      const sort = [term('created_at', 'desc'), term('id', 'desc')];
      const expected = sortRows(filterRows(rows, FACET_FILTERS), sort);
      const second = keysOf(expected[3] ?? {}, sort);
      for (const page of [
        { kind: 'offset', offset: 0, limit: 5 },
        { kind: 'offset', offset: 20, limit: 5 },
        { kind: 'keyset', after: second, direction: 'forward', limit: 5 },
        { kind: 'keyset', after: second, direction: 'backward', limit: 2 },
      ] as const) {
        const exact = await source.query(sourceQuery({ sort, filters: FACET_FILTERS, total: 'exact' }, page));
        checkTotal(exact, expected.length, 'exact');
        const estimated = await source.query(
          sourceQuery({ sort, filters: FACET_FILTERS, total: 'estimated' }, page),
        );
        checkTotal(estimated, expected.length, 'estimated');
        const none = await source.query(sourceQuery({ sort, filters: FACET_FILTERS }, page));
        assert.equal(none.total, undefined);
        assert.deepEqual(none.degraded, []);
        checkFreshness(none.freshness);
      }
      const all = await everything(source, { sort, total: 'exact' });
      checkTotal(all, rows.length, 'exact');
    }),
  );

  t.it(
    'facets: counts desc then value asc (null last), top limit, null a value, the same filters as the page',
    withSource('items', async (source, rows) => {
      const facets = [
        { field: 'status', limit: 10 },
        { field: 'price', limit: 10 },
        { field: 'tag', limit: 3 },
        { field: 'active', limit: 1 },
        { field: 'qty', limit: 10 },
      ];
      const sort = [term('id')];
      for (const filters of [[], FACET_FILTERS]) {
        const matching = filterRows(rows, filters);
        const page = { kind: 'keyset', after: [5], direction: 'forward', limit: 2 } as const;
        const result = await source.query(sourceQuery({ sort, filters, facets }, page));
        assert.deepEqual(
          result.facets,
          facets.map((f) => ({ field: f.field, values: facetOf(matching, f.field, f.limit) })),
        );
        assert.ok(
          result.facets?.some((f) => f.values.some((v) => v.value === null)),
          'a null bucket is counted',
        );
      }
    }),
  );

  t.it(
    'facets and totals follow the search text',
    withSource('items', async (source, rows) => {
      const [text, matches] = TEXT_CASES[2] as (typeof TEXT_CASES)[number];
      const matching = rows.filter(matches);
      const facets = [{ field: 'status', limit: 10 }];
      const result = await everything(source, { sort: [term('id')], text, facets, total: 'exact' });
      checkTotal(result, matching.length, 'exact');
      assert.deepEqual(result.facets, [{ field: 'status', values: facetOf(matching, 'status', 10) }]);
    }),
  );
}

const relevanceSort = [term(RELEVANCE_FIELD, 'desc'), term('id')];

/** Registers the relevance cases: scores differ by engine, so only their order and consistency are checked. */
export function relevanceCases(t: ContractTestApi, withSource: WithSource): void {
  t.it(
    'relevance: the match set ordered by score desc then key, and keyset walks through it both ways',
    withSource('items', async (source, rows) => {
      for (const [text, matches] of [0, 6, 3].map((i) => TEXT_CASES[i] as (typeof TEXT_CASES)[number])) {
        const parts: QueryParts = { sort: relevanceSort, text };
        const expectedIds = rows
          .filter(matches)
          .map((r) => r.id)
          .sort((a, b) => (a as number) - (b as number));
        const { rows: page } = await everything(source, parts);
        const keys = page.map((r) => r.keys);
        assert.deepEqual(
          keys.map((k) => k[1]).sort((a, b) => (a as number) - (b as number)),
          expectedIds,
          `the match set of ${text}`,
        );
        checkRelevanceOrder(keys);
        assert.deepEqual(await walkForward(source, parts, 2), keys, `forward walk through ${text}`);
        assert.deepEqual(await walkBackward(source, parts, 3), keys, `backward walk through ${text}`);
      }
    }),
  );
}

function checkRelevanceOrder(keys: readonly (readonly FieldValue[])[]): void {
  for (let i = 1; i < keys.length; i++) {
    const [s0, id0] = keys[i - 1] as [number, number];
    const [s1, id1] = keys[i] as [number, number];
    assert.ok(typeof s1 === 'number' && Number.isFinite(s1), 'a score is a finite number');
    assert.ok(s0 > s1 || (s0 === s1 && id0 < id1), `row ${i}: score desc, then key asc`);
  }
}
