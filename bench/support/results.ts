/**
 * Benchmark results: one row per case, ours vs a peer, with `ratio` oriented so that > 1 means we are
 * better (throughput: ours/peer; latency and costs: peer/ours). Printed as a table and written to
 * `bench/results/<name>.json`.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
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

/**
 * A row from alternating rounds: each side's median, and as the ratio the median of the per-round ratios
 * (round i of ours against round i of the peer, run next to each other), so that load drifting across
 * the run cancels within each pair.
 */
export function compareRounds(
  name: string,
  unit: string,
  direction: Direction,
  ours: readonly number[],
  peer: readonly number[],
  peerName: string,
): BenchRow {
  const ratios = ours.flatMap((o, i) => {
    const ratio = compare(name, unit, direction, o, peer[i] ?? 0, peerName).ratio;
    return ratio === null ? [] : [ratio];
  });
  const row = compare(name, unit, direction, percentile(ours, 50), percentile(peer, 50), peerName);
  return { ...row, ratio: ratios.length ? round(percentile(ratios, 50)) : null };
}

const round = (n: number) => (Math.abs(n) >= 100 ? Math.round(n) : Math.round(n * 1000) / 1000);

const resultsFile = (name: string) => join(resolve(import.meta.dirname, '..'), 'results', `${name}.json`);

function printRows(rows: readonly BenchRow[]): void {
  console.table(rows.map((r) => ({ ...r, ratio: r.ratio === null ? '-' : `${r.ratio}x` })));
}

function writeRows(name: string, rows: readonly BenchRow[]): void {
  const file = resultsFile(name);
  writeFileSync(file, `${JSON.stringify(rows, null, 2)}\n`);
  console.log(`wrote ${file}`);
}

/** Prints the rows as a table and writes them to bench/results/<name>.json. */
export function report(name: string, rows: readonly BenchRow[]): void {
  printRows(rows);
  writeRows(name, rows);
}

/**
 * Like {@link report} for a bench that shares its results file with another: prints `rows`, and writes
 * them first followed by the file's rows that are not `own` (the other bench's, kept as they were).
 */
export function reportMerged(name: string, rows: readonly BenchRow[], own: (row: BenchRow) => boolean): void {
  const file = resultsFile(name);
  const previous = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as BenchRow[]) : [];
  printRows(rows);
  writeRows(name, [...rows, ...previous.filter((r) => !own(r))]);
}

/** Nearest-rank percentile of `values` (sorted copy). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}
