import { describe, expect, it } from 'vitest';
import { createMemorySource } from '../../src/search/memory-source.js';
import type { FieldValue, SortTerm } from '../../src/search/types.js';
import { seededRandom } from '../../src/testing/contracts/differential.js';
import {
  type ContractRow,
  filterRows,
  ITEM_SCHEMA,
  keysOf,
  sortRows,
} from '../../src/testing/contracts/search-source-data.js';
import { sourceQuery, term, walkForward } from '../../src/testing/contracts/search-source-walk.js';

const random = seededRandom(50_000);
const WORDS = ['apple', 'banana', 'cherry', 'red', 'green', 'pie'];
const stamp = () =>
  `2026-0${random.int(1, 3)}-1${random.int(0, 9)}T0${random.int(0, 9)}:00:00.00000${random.int(0, 9)}Z`;

function randomRow(id: number): ContractRow {
  return {
    id,
    name: random.pick(['a', 'b', 'x\uFFFF', 'x\u{1F600}', 'é']),
    title: `${random.pick(WORDS)} ${random.pick(WORDS)}`,
    body: random.int(0, 1) === 0 ? null : random.pick(WORDS),
    status: random.pick(['open', 'closed', 'draft']),
    price: random.int(0, 4) === 0 ? null : random.int(0, 500) / 4,
    qty: random.int(0, 9),
    active: random.int(0, 1) === 1,
    created_at: stamp(),
    deleted_at: random.int(0, 3) === 0 ? stamp() : null,
    tag: random.int(0, 2) === 0 ? null : random.pick(['a', 'b', 'c']),
  };
}

const SORTS: readonly (readonly SortTerm[])[] = [
  [term('created_at', 'desc'), term('id', 'desc')],
  [term('price', 'asc', 'first'), term('id')],
  [term('status'), term('name', 'desc'), term('id')],
];

type Source = ReturnType<typeof createMemorySource<ContractRow>>;

async function checkAround(source: Source, truth: readonly ContractRow[], sort: readonly SortTerm[]) {
  const keys = truth.map((r) => keysOf(r, sort));
  for (let n = 0; n < 20; n++) {
    const i = random.int(0, keys.length - 1);
    const at = keys[i] as FieldValue[];
    const forward = await source.query(
      sourceQuery({ sort }, { kind: 'keyset', after: at, direction: 'forward', limit: 20 }),
    );
    expect(forward.rows.map((r) => r.keys)).toEqual(keys.slice(i + 1, i + 22));
    const backward = await source.query(
      sourceQuery({ sort }, { kind: 'keyset', after: at, direction: 'backward', limit: 20 }),
    );
    expect(backward.rows.map((r) => r.keys)).toEqual(keys.slice(Math.max(0, i - 21), i));
  }
}

describe('memory source: 50k rows under 1k random applies', () => {
  it('pages stay equal to the ground truth', async () => {
    const truth = new Map<number, ContractRow>();
    for (let id = 0; id < 50_000; id++) truth.set(id, randomRow(id));
    const source = createMemorySource<ContractRow>({ rows: [...truth.values()] });
    source.bind(ITEM_SCHEMA);
    for (const sort of SORTS)
      await source.query(sourceQuery({ sort }, { kind: 'offset', offset: 0, limit: 1 }));
    let nextId = 50_000;
    for (let step = 1; step <= 1000; step++) {
      const upsert: ContractRow[] = [];
      const remove: number[] = [];
      const touched = new Set<number>();
      for (let k = random.int(1, 5); k > 0; k--) {
        const kind = random.int(0, 9);
        const id = kind < 2 ? nextId++ : random.int(0, nextId - 1);
        if (touched.has(id)) continue;
        touched.add(id);
        if (kind === 9) remove.push(id);
        else upsert.push(randomRow(id));
      }
      source.apply({ upsert, delete: remove });
      for (const r of upsert) truth.set(r.id as number, r);
      for (const id of remove) truth.delete(id);
      if (step % 250 === 0) {
        expect(source.size).toBe(truth.size);
        for (const sort of SORTS) await checkAround(source, sortRows([...truth.values()], sort), sort);
      }
    }
    const filters = [{ field: 'status', op: 'eq', value: 'open' } as const];
    const sort = SORTS[0] as readonly SortTerm[];
    const expected = sortRows(filterRows([...truth.values()], filters), sort).map((r) => keysOf(r, sort));
    const offset = await source.query(
      sourceQuery({ sort, filters }, { kind: 'offset', offset: 9000, limit: 50 }),
    );
    expect(offset.rows.map((r) => r.keys)).toEqual(expected.slice(9000, 9051));
    expect(await walkForward(source, { sort, filters }, 100)).toEqual(expected);
    const text = await source.query(
      sourceQuery({ sort, text: 'cherry pie', total: 'exact' }, { kind: 'offset', offset: 0, limit: 10 }),
    );
    const words = (r: ContractRow) => `${r.title} ${r.body ?? ''}`.split(' ');
    const matching = [...truth.values()].filter(
      (r) => words(r).includes('cherry') && words(r).includes('pie'),
    );
    expect(text.total).toEqual({ value: matching.length, exact: true });
    await source.close?.();
  }, 120_000);
});
