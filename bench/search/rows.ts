/**
 * The result rows of the search bench, from the samples (bench/support/results.ts orientation: ratio > 1
 * means `ours` is better). Paging: per sort shape and depth, the keyset page against the offset page (both
 * ours), and each against raw SQL of its shape; the goal row puts the deepest keyset page against the
 * first. Full text: PostgreSQL against the memory source (both ours), and against raw SQL.
 */
import { type BenchRow, compare } from '../support/results.js';
import { type Samples, summary } from './measure.js';
import type { SortShape } from './raw.js';
import { SORTS } from './raw.js';

const depthLabel = (depth: number) =>
  depth === 0 ? 'first page' : `${depth.toLocaleString('en')} rows deep`;

/** Looks up one task's samples by name; a missing one is a bench bug. */
export function byName(samples: readonly Samples[]): (name: string) => Samples {
  const map = new Map(samples.map((s) => [s.name, s]));
  return (name) => {
    const found = map.get(name);
    if (!found) throw new Error(`no samples for ${name}`);
    return found;
  };
}

/** The rows of one sort shape's depths. */
export function pagingRows(
  shape: SortShape,
  depths: readonly number[],
  samples: readonly Samples[],
  rows: number,
): BenchRow[] {
  const get = byName(samples);
  const sort = `sort=${SORTS[shape]} (${rows.toLocaleString('en')} rows)`;
  const out: BenchRow[] = [];
  for (const depth of depths) {
    const at = (side: string) => summary(get(`${shape} ${side} @${depth}`).ms);
    const [keyset, offset] = [at('keyset ours'), at('offset ours')];
    const [keysetRaw, offsetRaw, deferred] = [at('keyset raw'), at('offset raw'), at('offset raw deferred')];
    const where = `${sort}, ${depthLabel(depth)}`;
    out.push(
      compare(
        `${where}: keyset page, p50`,
        'ms',
        'lower-is-better',
        keyset.p50,
        offset.p50,
        'offset page (ours)',
      ),
      compare(
        `${where}: keyset page, p95`,
        'ms',
        'lower-is-better',
        keyset.p95,
        offset.p95,
        'offset page (ours)',
      ),
      compare(
        `${where}: keyset page, p50`,
        'ms',
        'lower-is-better',
        keyset.p50,
        keysetRaw.p50,
        'raw SQL keyset',
      ),
      compare(
        `${where}: offset page, p50`,
        'ms',
        'lower-is-better',
        offset.p50,
        offsetRaw.p50,
        'raw SQL offset',
      ),
      compare(
        `${where}: offset page, p50`,
        'ms',
        'lower-is-better',
        offset.p50,
        deferred.p50,
        'raw SQL offset as a deferred join (OFFSET on the index only)',
      ),
    );
  }
  const first = depths[0];
  const deepest = depths[depths.length - 1];
  if (first !== undefined && deepest !== undefined && deepest > first) {
    const p50 = (depth: number) => summary(get(`${shape} keyset ours @${depth}`).ms).p50;
    out.push(
      compare(
        `${sort}: keyset page ${deepest.toLocaleString('en')} rows deep vs the first page, p50 (goal: ratio >= 0.5)`,
        'ms',
        'lower-is-better',
        p50(deepest),
        p50(first),
        'keyset first page (ours)',
      ),
    );
  }
  return out;
}

/** The rows of one full-text order: every query's samples of a side pooled. */
export function textRows(
  order: 'relevance' | 'createdAt',
  queries: number,
  samples: readonly Samples[],
  corpusRows: number,
  minisearch: string,
): BenchRow[] {
  const pooled = (side: string) =>
    summary(samples.filter((s) => s.name.startsWith(`text ${order} ${side} #`)).flatMap((s) => s.ms));
  const [pg, memory, raw] = [pooled('postgres'), pooled('memory'), pooled('raw')];
  const what = `full text, ${queries} queries of 1-3 words on ${corpusRows.toLocaleString('en')} rows, first page by ${order === 'relevance' ? 'relevance' : '-createdAt'}`;
  const peer = `memory source (${minisearch})`;
  return [
    compare(`${what}: PostgreSQL source, p50`, 'ms', 'lower-is-better', pg.p50, memory.p50, peer),
    compare(`${what}: PostgreSQL source, p95`, 'ms', 'lower-is-better', pg.p95, memory.p95, peer),
    compare(`${what}: PostgreSQL source, p50`, 'ms', 'lower-is-better', pg.p50, raw.p50, 'raw SQL'),
    compare(`${what}: PostgreSQL source, p95`, 'ms', 'lower-is-better', pg.p95, raw.p95, 'raw SQL'),
  ];
}
