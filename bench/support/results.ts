/**
 * Benchmark results: one row per case, ours vs a peer, with `ratio` oriented so that > 1 means we are
 * better (throughput: ours/peer; latency and costs: peer/ours). Printed as a table and written to
 * `bench/results/<name>.json`.
 */
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** One compared measurement. */
export interface BenchRow {
  readonly case: string;
  /** e.g. `decisions/s`, `ms p99`, `commands/decision`, `bytes/key`. */
  readonly unit: string;
  readonly ours: number;
  readonly peer: number | null;
  readonly peerName: string;
  /** > 1 means we are better; null when there is no peer figure. */
  readonly ratio: number | null;
}

/** Whether a larger number is better for this unit. */
export type Direction = 'higher-is-better' | 'lower-is-better';

/** Builds a row and orients its ratio. */
export function compare(
  name: string,
  unit: string,
  direction: Direction,
  ours: number,
  peer: number | null,
  peerName: string,
): BenchRow {
  const ratio =
    peer === null || ours === 0 || peer === 0
      ? null
      : direction === 'higher-is-better'
        ? ours / peer
        : peer / ours;
  return {
    case: name,
    unit,
    ours: round(ours),
    peer: peer === null ? null : round(peer),
    peerName,
    ratio: ratio && round(ratio),
  };
}

const round = (n: number) => (Math.abs(n) >= 100 ? Math.round(n) : Math.round(n * 1000) / 1000);

/** Prints the rows as a table and writes them to bench/results/<name>.json. */
export function report(name: string, rows: readonly BenchRow[]): void {
  console.table(rows.map((r) => ({ ...r, ratio: r.ratio === null ? '-' : `${r.ratio}x` })));
  const file = join(resolve(import.meta.dirname, '..'), 'results', `${name}.json`);
  writeFileSync(file, `${JSON.stringify(rows, null, 2)}\n`);
  console.log(`wrote ${file}`);
}

/** Nearest-rank percentile of `values` (sorted copy). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}
