/**
 * The measured rounds. Each side first warms up for `warmupMs` (which also calibrates how many
 * evaluations make a round of about `roundMs` for it), then the rounds run every side in turn, the order
 * reversed every other round (ABC CBA ABC ...), so load drifting during the run falls on all of them.
 * A round times each batch of `batch` evaluations (performance.now around it, into a preallocated array):
 * the round's evaluations/s is its evaluations over the sum of its batches, and the batches' ns per
 * evaluation give the p50/p99. Every batch's count of `true` is checked against the side's answers from
 * the equivalence pass.
 */
import { percentile } from '../support/results.js';
import type { RoundSettings } from './settings.js';
import type { Side, SideName } from './side.js';

/** One round of one side. */
export interface RoundFigures {
  readonly evaluations: number;
  readonly perSec: number;
  /** ns per evaluation, of the round's batches. */
  readonly nsP50: number;
  readonly nsP99: number;
}

/**
 * Where a side's cursor is in the (user, flag) grid, and the running count of `true` answers it must see:
 * `prefix[i]` is the number of `true` among the first `i` cells of the grid.
 */
class Expectation {
  private position = 0;
  private readonly prefix: Uint32Array;

  constructor(
    private readonly side: SideName,
    answers: Uint8Array,
  ) {
    this.prefix = new Uint32Array(answers.length + 1);
    for (let i = 0; i < answers.length; i++) this.prefix[i + 1] = this.prefix[i]! + answers[i]!;
  }

  /** Advances by `count` cells and throws unless `trues` is what the answers say. */
  advance(count: number, trues: number): void {
    const cells = this.prefix.length - 1;
    const whole = Math.floor(count / cells);
    const start = this.position;
    const end = start + (count % cells);
    const inRange = (from: number, to: number) => this.prefix[to]! - this.prefix[from]!;
    const partial = end <= cells ? inRange(start, end) : inRange(start, cells) + inRange(0, end - cells);
    const expected = whole * this.prefix[cells]! + partial;
    if (trues !== expected)
      throw new Error(`${this.side}: ${trues} true answers in a batch, expected ${expected}`);
    this.position = end % cells;
  }
}

interface Pass {
  readonly evaluations: number;
  readonly elapsedMs: number;
  readonly samples: number;
}

/** Runs `batches` batches of `size`, timing each into `samples` (ns per evaluation). */
async function pass(
  side: Side,
  batches: number,
  size: number,
  samples: Float64Array,
  check: Expectation,
): Promise<Pass> {
  let elapsedMs = 0;
  for (let b = 0; b < batches; b++) {
    const started = performance.now();
    const trues = side.kind === 'sync' ? side.batch(size) : await side.batch(size);
    const ms = performance.now() - started;
    elapsedMs += ms;
    if (b < samples.length) samples[b] = (ms * 1e6) / size;
    check.advance(size, trues);
  }
  return { evaluations: batches * size, elapsedMs, samples: Math.min(batches, samples.length) };
}

/** Warms up for about `warmupMs`; returns the batches per round that take about `roundMs`. */
async function warmUp(side: Side, settings: RoundSettings, check: Expectation): Promise<number> {
  const scratch = new Float64Array(1);
  let batches = 1;
  let spentMs = 0;
  let rate = 0;
  while (spentMs < settings.warmupMs) {
    const { elapsedMs } = await pass(side, batches, settings.batch, scratch, check);
    spentMs += elapsedMs;
    rate = batches / Math.max(elapsedMs, 1e-3);
    batches = Math.max(1, Math.min(batches * 2, Math.ceil(rate * (settings.warmupMs - spentMs))));
  }
  return Math.max(1, Math.round(rate * settings.roundMs));
}

function figures(run: Pass, samples: Float64Array): RoundFigures {
  const sampled = Array.from(samples.subarray(0, run.samples));
  return {
    evaluations: run.evaluations,
    perSec: run.evaluations / (run.elapsedMs / 1000),
    nsP50: percentile(sampled, 50),
    nsP99: percentile(sampled, 99),
  };
}

/** Warms every side up, then runs the rounds; returns each side's figures per round, in order. */
export async function measureRounds(
  sides: readonly Side[],
  answers: ReadonlyMap<SideName, Uint8Array>,
  settings: RoundSettings,
  log: (line: string) => void = () => {},
): Promise<Map<SideName, RoundFigures[]>> {
  const checks = new Map(
    sides.map((s) => [s.name, new Expectation(s.name, answers.get(s.name) ?? new Uint8Array(1))]),
  );
  const batches = new Map<SideName, number>();
  for (const side of sides) {
    batches.set(side.name, await warmUp(side, settings, checks.get(side.name)!));
  }
  const samples = new Float64Array(Math.max(...batches.values()));
  const runs = new Map<SideName, RoundFigures[]>(sides.map((s) => [s.name, []]));
  for (let round = 0; round < settings.rounds; round++) {
    const order = round % 2 === 0 ? sides : [...sides].reverse();
    const line: string[] = [];
    for (const side of order) {
      const run = await pass(side, batches.get(side.name)!, settings.batch, samples, checks.get(side.name)!);
      const result = figures(run, samples);
      runs.get(side.name)!.push(result);
      line.push(`${side.name} ${Math.round(result.perSec).toLocaleString('en-US')}/s`);
    }
    log(`  round ${round + 1}/${settings.rounds}: ${line.join(', ')}`);
  }
  return runs;
}
