import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, InvalidOptionError, StoreError } from '../../src/core/errors.js';
import { createManualClock } from '../../src/core/manual-clock.js';
import { createMemorySource, type MemorySourceOptions } from '../../src/search/memory-source.js';
import type { FieldValue, SourceQuery, SourceSchema } from '../../src/search/types.js';
import {
  type ContractRow,
  ITEM_SCHEMA,
  itemRows,
  keysOf,
  sortRows,
} from '../../src/testing/contracts/search-source-data.js';
import {
  checkEveryPosition,
  checkWalks,
  sourceQuery,
  term,
  walkForward,
} from '../../src/testing/contracts/search-source-walk.js';

type Row = Record<string, unknown>;

const bound = (options: MemorySourceOptions<Row> = {}, schema: SourceSchema = ITEM_SCHEMA) => {
  const source = createMemorySource<Row>(options);
  source.bind(schema);
  return source;
};

const SORT = [term('created_at', 'desc'), term('id', 'desc')];
const all = (sort = SORT, extra: Partial<SourceQuery> = {}): SourceQuery => ({
  ...sourceQuery({ sort }, { kind: 'offset', offset: 0, limit: 10_000 }),
  ...extra,
});
const ids = async (source: ReturnType<typeof bound>, query: SourceQuery) =>
  (await source.query(query)).rows.map((r) => r.row.id);

const row = (id: number, extra: Partial<ContractRow> = {}): ContractRow => ({
  id,
  name: `n${id}`,
  title: 'apple',
  body: null,
  status: 'open',
  price: 1,
  qty: 1,
  active: true,
  created_at: '2026-01-01T00:00:00.000000Z',
  deleted_at: null,
  tag: null,
  ...extra,
});

describe('memory source: apply (the change feed)', () => {
  it('upserts move rows across positions of already built sorts, deletes remove them', async () => {
    const rows = itemRows();
    const source = bound({ rows });
    const sorts = [SORT, [term('price', 'asc', 'first'), term('id')], [term('name'), term('id', 'desc')]];
    for (const sort of sorts) await source.query(all(sort)); // builds the sorted arrays first
    const truth = new Map(rows.map((r) => [r.id, r]));
    const moved = [rows[0], rows[10], rows[20]].map((r) => ({
      ...r,
      created_at: '2031-01-01T00:00:00.000001Z',
      price: null,
      name: 'x\u{1F600}',
    })) as ContractRow[];
    const added = [row(500, { created_at: '1999-12-31T23:59:59.999999Z', price: -5 })];
    const deleted = [rows[5]?.id, rows[6]?.id, 12_345] as number[];
    const result = source.apply({ upsert: [...moved, ...added], delete: deleted });
    expect(result).toEqual({ upserted: 4, deleted: 2 });
    for (const r of [...moved, ...added]) truth.set(r.id, r);
    for (const id of deleted) truth.delete(id);
    expect(source.size).toBe(truth.size);
    for (const sort of sorts) {
      const expected = sortRows([...truth.values()], sort).map((r) => keysOf(r, sort));
      expect(await walkForward(source, { sort }, 7)).toEqual(expected);
    }
  });

  it('the text index follows upserts and deletes', async () => {
    const source = bound({ rows: [row(1, { title: 'red apple' }), row(2, { title: 'green pie' })] });
    const text = (t: string) => ids(source, { ...all(), text: t });
    expect(await text('apple')).toEqual([1]);
    source.apply({ upsert: [row(1, { title: 'blue juice' }), row(3, { body: 'apple' })] });
    expect(await text('apple')).toEqual([3]);
    expect(await text('juice')).toEqual([1]);
    source.apply({ delete: [3] });
    expect(await text('apple')).toEqual([]);
    for (let i = 0; i < 200; i++) source.apply({ upsert: [row(10 + i, { title: `w${i} pie` })] });
    source.apply({ delete: Array.from({ length: 150 }, (_, i) => 10 + i) }); // enough to start a vacuum
    expect((await text('pie')).sort((a, b) => Number(a) - Number(b))).toEqual([
      2,
      ...Array.from({ length: 50 }, (_, i) => 160 + i),
    ]);
    await source.close?.();
  });

  it('rare text matches under a column sort are sorted per query and page like the rest', async () => {
    const rows = itemRows().map((r, i) => ({ ...r, title: i % 30 === 7 ? 'rare apple' : 'common' }));
    const source = bound({ rows });
    const parts = { sort: [term('status'), term('created_at', 'desc'), term('id')], text: 'rare' };
    const expected = sortRows(
      rows.filter((r) => r.title === 'rare apple'),
      parts.sort,
    );
    expect(expected.length).toBeLessThan(rows.length / 16); // the sorted-matches path, not a scan
    await checkWalks(source, parts, expected, [1, 2]);
    await checkEveryPosition(source, parts, expected, 1);
    source.apply({ upsert: [{ ...(rows[0] as ContractRow), title: 'rare', status: 'zzz' }] });
    const after = sortRows(
      [...expected, { ...(rows[0] as ContractRow), title: 'rare', status: 'zzz' }],
      parts.sort,
    );
    await checkWalks(source, parts, after, [2]);
  });

  it('sorted arrays past the cap are dropped and rebuilt correctly after applies', async () => {
    const rows = itemRows();
    const source = bound({ rows });
    const first = [term('price', 'desc', 'first'), term('id')];
    await source.query(all(first));
    // 40 distinct sorts (over the cap of 32) push the first one out.
    const dir = (bit: number) => (bit ? 'asc' : 'desc');
    for (let i = 0; i < 40; i++) {
      await source.query(
        all([
          term('qty', dir(i & 1)),
          term('price', dir(i & 2), i & 4 ? 'first' : 'last'),
          term('name', dir(i & 8)),
          term('created_at', dir(i & 16)),
          term('id', dir(i & 32)),
        ]),
      );
    }
    const moved: ContractRow = { ...(rows[3] as ContractRow), price: 1e9 };
    source.apply({ upsert: [moved] });
    const truth = rows.map((r) => (r.id === moved.id ? moved : r));
    expect((await source.query(all(first))).rows.map((r) => r.keys)).toEqual(
      sortRows(truth, first).map((r) => keysOf(r, first)),
    );
  });

  it('a bad batch applies nothing, even its good rows', async () => {
    const source = bound({ rows: [row(1), row(2)] });
    const before = await source.query(all());
    const bad: readonly [string, Parameters<typeof source.apply>[0]][] = [
      ['a missing key', { upsert: [row(3), { ...row(4), id: undefined }] }],
      ['a key of the wrong type', { upsert: [row(3), row(4, { id: '4' })] }],
      ['a fractional integer key', { upsert: [row(3), row(4, { id: 4.5 })] }],
      ['a key twice in one batch', { upsert: [row(3), row(3)] }],
      ['an upserted key also deleted', { upsert: [row(3)], delete: [3] }],
      ['a non-string in a text field', { upsert: [row(3), row(4, { title: 42 })] }],
      [
        'a timestamp that does not parse',
        { upsert: [row(3), row(4, { created_at: '2026-02-30T00:00:00Z' })] },
      ],
      [
        'more than 6 fraction digits',
        { upsert: [row(3), row(4, { created_at: '2026-01-01T00:00:00.1234567Z' })] },
      ],
      ['a local time', { upsert: [row(4, { created_at: '2026-01-01T00:00:00' })] }],
      ['null in a non-nullable field', { upsert: [row(3), row(4, { status: null })] }],
      ['a NaN number', { upsert: [row(4, { price: Number.NaN })] }],
      ['a lone surrogate', { upsert: [row(4, { name: 'x\uD800' })] }],
      ['a boolean of the wrong type', { upsert: [row(4, { active: 'yes' })] }],
      ['a delete key of the wrong type', { upsert: [row(3)], delete: ['1'] }],
      ['a row that is not an object', { upsert: [row(3), 'row' as unknown as Row] }],
      ['upsert not an array', { upsert: row(3) as unknown as Row[] }],
    ];
    for (const [label, changes] of bad) {
      expect(() => source.apply(changes), label).toThrow(InvalidArgumentError);
    }
    expect(source.size).toBe(2);
    expect(await source.query(all())).toEqual(before);
  });

  it('the error names the row and property, never the value', () => {
    const source = bound({ rows: [] });
    expect(() =>
      source.apply({ upsert: [row(1), row(2, { title: { secret: 's3cret' } as unknown as FieldValue })] }),
    ).toThrow(/`upsert\[1\]\.title` must be a string/);
    try {
      source.apply({ upsert: [row(2, { created_at: 's3cret' })] });
    } catch (error) {
      expect(String(error)).not.toContain('s3cret');
    }
  });

  it('timestamps from Date, ISO with offsets and epoch ms are held to the µs', async () => {
    const source = bound({ rows: [] });
    source.apply({
      upsert: [
        row(1, { created_at: new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 678)) as unknown as FieldValue }),
        row(2, { created_at: '2026-01-02T05:04:05.678901+02:00' }),
        row(3, { created_at: Date.UTC(2026, 0, 2, 3, 4, 5, 678) + 0.002 }),
        row(4, { created_at: '0099-01-01T00:00:00Z' }),
      ],
    });
    const { rows } = await source.query(all([term('created_at'), term('id')]));
    expect(rows.map((r) => r.keys)).toEqual([
      ['0099-01-01T00:00:00.000000Z', 4],
      ['2026-01-02T03:04:05.678000Z', 1],
      ['2026-01-02T03:04:05.678002Z', 3],
      ['2026-01-02T03:04:05.678901Z', 2],
    ]);
    const after = await source.query(
      sourceQuery(
        { sort: [term('created_at'), term('id')] },
        {
          kind: 'keyset',
          after: ['2026-01-02T03:04:05.678000Z', 1],
          direction: 'forward',
          limit: 1,
        },
      ),
    );
    expect(after.rows.map((r) => r.row.id)).toEqual([3, 2]);
  });
});

describe('memory source: freshness', () => {
  it('without a watermark it is the source of truth: strong, lag 0, newest updatedAt applied', async () => {
    const source = bound({ rows: [row(1, { updated_at: 1000 } as never)], updatedAtField: 'updated_at' });
    expect((await source.query(all())).freshness).toEqual({
      consistency: 'strong',
      sourceNewestMs: 1000,
      indexedThroughMs: 1000,
      lagMs: 0,
    });
    expect((await bound().query(all())).freshness).toEqual({
      consistency: 'strong',
      sourceNewestMs: null,
      indexedThroughMs: null,
      lagMs: 0,
    });
  });

  it('with a watermark: eventual, lag = source newest - applied, the watermark cached per refresh', async () => {
    const clock = createManualClock(50_000);
    let sourceNewest: number | null = 5_000;
    let calls = 0;
    const source = bound({
      rows: [row(1, { updated_at: '1970-01-01T00:00:02.000000Z' } as never)],
      updatedAtField: 'updated_at',
      clock,
      watermarkRefreshMs: 1000,
      sourceWatermark: async () => {
        calls += 1;
        return sourceNewest;
      },
    });
    const freshness = async () => (await source.query(all())).freshness;
    expect(await freshness()).toEqual({
      consistency: 'eventual',
      sourceNewestMs: 5000,
      indexedThroughMs: 2000,
      lagMs: 3000,
    });
    sourceNewest = 9000;
    source.apply({ upsert: [row(2, { updated_at: 4000 } as never)] });
    expect(await freshness()).toMatchObject({ sourceNewestMs: 5000, indexedThroughMs: 4000, lagMs: 1000 });
    expect(calls).toBe(1);
    clock.advance(1000);
    expect(await freshness()).toMatchObject({ sourceNewestMs: 9000, lagMs: 5000 });
    expect(calls).toBe(2);
    source.apply({ delete: [2], indexedThroughMs: 9500 }); // the feed is ahead of the source: lag 0
    expect(await freshness()).toMatchObject({ indexedThroughMs: 9500, lagMs: 0 });
    clock.advance(1000);
    sourceNewest = null;
    expect(await freshness()).toMatchObject({ sourceNewestMs: null, lagMs: null });
  });

  it('a failing or non-numeric watermark reads as unknown, the query still answers', async () => {
    const clock = createManualClock(0);
    let mode: 'throw' | 'nan' | 'ok' = 'throw';
    const source = bound({
      rows: [row(1)],
      clock,
      watermarkRefreshMs: 0,
      sourceWatermark: () => {
        if (mode === 'throw') throw new Error('db down');
        return mode === 'nan' ? Number.NaN : 10;
      },
    });
    const result = await source.query(all());
    expect(result.rows).toHaveLength(1);
    expect(result.freshness).toMatchObject({ consistency: 'eventual', sourceNewestMs: null, lagMs: null });
    mode = 'nan';
    expect((await source.query(all())).freshness.sourceNewestMs).toBeNull();
    mode = 'ok';
    expect((await source.query(all())).freshness.sourceNewestMs).toBe(10);
  });
});

describe('memory source: lifecycle, options and schema', () => {
  it('query and apply before bind, and anything after close, are StoreErrors', async () => {
    const source = createMemorySource<Row>({ rows: [row(1)] });
    await expect(source.query(all())).rejects.toThrow(StoreError);
    expect(() => source.apply({ upsert: [row(2)] })).toThrow(StoreError);
    expect(source.size).toBe(0);
    source.bind(ITEM_SCHEMA);
    expect(source.size).toBe(1);
    await source.close?.();
    await expect(source.query(all())).rejects.toThrow(/after close/);
    expect(() => source.apply({})).toThrow(StoreError);
    expect(() => source.bind(ITEM_SCHEMA)).toThrow(StoreError);
  });

  it('binds once', () => {
    const source = bound();
    expect(() => source.bind(ITEM_SCHEMA)).toThrow(InvalidOptionError);
  });

  it('bad initial rows fail the bind with an InvalidOptionError naming the row', () => {
    const source = createMemorySource<Row>({ rows: [row(1), row(1)] });
    expect(() => source.bind(ITEM_SCHEMA)).toThrow(/`rows\[1\]` repeats a key/);
    const fresh = createMemorySource<Row>({ rows: [row(1), { ...row(2), qty: 1.5 }] });
    expect(() => fresh.bind(ITEM_SCHEMA)).toThrow(InvalidOptionError);
    // A failed bind leaves the source unbound, so it can be bound again with fixed data.
    expect(fresh.size).toBe(0);
  });

  it('a schema it cannot serve is refused at bind', () => {
    const weights = ITEM_SCHEMA.textWeights;
    const cases: SourceSchema[] = [
      { fields: { id: { type: 'integer' } }, key: 'nope', textWeights: weights },
      { fields: { id: { type: 'boolean' } }, key: 'id', textWeights: weights },
      { fields: { id: { type: 'integer', nullable: true } }, key: 'id', textWeights: weights },
      {
        fields: { id: { type: 'integer' }, n: { type: 'number', text: 'A' } },
        key: 'id',
        textWeights: weights,
      },
    ];
    for (const schema of cases) expect(() => createMemorySource().bind(schema)).toThrow(InvalidOptionError);
  });

  it('options are checked at construction', () => {
    const bad: unknown[] = [
      { rows: 'x' },
      { watermarkRefreshMs: -1 },
      { sourceWatermark: 5 },
      { updatedAtField: '' },
      { textOptions: { fuzzy: -1 } },
      { textOptions: { stopWords: [''] } },
      { textOptions: { bogus: true } },
      { rowz: [] },
    ];
    for (const options of bad) {
      expect(() => createMemorySource(options as MemorySourceOptions<Row>)).toThrow(InvalidOptionError);
    }
  });

  it('maps fields to other properties with `column`', async () => {
    const schema: SourceSchema = {
      fields: {
        id: { type: 'string', column: 'sku' },
        title: { type: 'string', column: 'label', text: 'A' },
      },
      key: 'id',
      textWeights: ITEM_SCHEMA.textWeights,
    };
    const source = bound(
      {
        rows: [
          { sku: 'b', label: 'red apple' },
          { sku: 'a', label: 'apple' },
        ],
      },
      schema,
    );
    const { rows } = await source.query({ ...all([term('id')]), text: 'apple' });
    expect(rows.map((r) => r.keys)).toEqual([['a'], ['b']]);
  });

  it('search text without text fields, or _relevance without text, is an InvalidArgumentError', async () => {
    const schema: SourceSchema = {
      fields: { id: { type: 'integer' } },
      key: 'id',
      textWeights: ITEM_SCHEMA.textWeights,
    };
    const source = bound({ rows: [{ id: 1 }] }, schema);
    await expect(source.query({ ...all([term('id')]), text: 'x' })).rejects.toThrow(InvalidArgumentError);
    await expect(bound().query(all([term('_relevance', 'desc'), term('id')]))).rejects.toThrow(
      InvalidArgumentError,
    );
  });

  it('an aborted signal is a page timeout', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(bound().query({ ...all(), signal: controller.signal })).rejects.toMatchObject({
      code: 'ERR_SEARCH_TIMEOUT',
      part: 'page',
    });
  });
});

describe('memory source: hostile text', () => {
  it('odd query syntax never throws and means what websearch_to_tsquery would', async () => {
    const source = bound({
      rows: [
        row(1, { title: 'red apple pie' }),
        row(2, { title: 'apple' }),
        row(3, { title: 'cat in the hat' }),
      ],
    });
    const text = async (t: string) =>
      (await ids(source, { ...all([term('id')]), text: t })).sort((a, b) => Number(a) - Number(b));
    expect(await text('"red apple')).toEqual([1]); // an unclosed quote runs to the end
    expect(await text('-')).toEqual([]);
    expect(await text('apple - pie')).toEqual([2]); // `- pie` is `!pie` in PostgreSQL too
    expect(await text('OR')).toEqual([]);
    expect(await text('apple OR OR')).toEqual([1, 2]);
    expect(await text('OR apple')).toEqual([1, 2]);
    expect(await text('the')).toEqual([]); // only stop words: nothing, as PostgreSQL
    expect(await text('"cat on a hat"')).toEqual([3]); // stop words hold positions
    expect(await text('"hat cat"')).toEqual([]);
    expect(await text('-"red apple"')).toEqual([2, 3]);
    expect(await text('apple -"apple pie"')).toEqual([2]);
    expect(await text('🍎 ,.;!? %_\\ \u0000')).toEqual([]);
    expect(await text(`${'apple '.repeat(200)}`)).toEqual([1, 2]);
  });

  it('prefix and fuzzy matching are opt-in', async () => {
    const rows = [row(1, { title: 'application' }), row(2, { title: 'aple' })];
    const plain = bound({ rows });
    expect(await ids(plain, { ...all([term('id')]), text: 'apple' })).toEqual([]);
    const loose = bound({ rows, textOptions: { prefix: true, fuzzy: 1, stopWords: [] } });
    expect(await ids(loose, { ...all([term('id')]), text: 'appl' })).toContain(1); // prefix
    expect(await ids(loose, { ...all([term('id')]), text: 'apple' })).toContain(2); // one edit away
  });
});
