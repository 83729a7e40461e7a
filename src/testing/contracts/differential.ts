/**
 * Differential testing: drive a reference adapter (memory) and a candidate (Redis, ...) with the same
 * random operations on two manual clocks kept in step, and require the same observations. It finds what
 * a hand-written contract misses: an edge of a Lua port that the memory version gets right, or the
 * reverse. Runner-agnostic and dependency-free (a seeded PRNG, not a property-testing library), so the
 * failure message carries the seed and the steps to replay.
 */
import { AssertionError, deepStrictEqual } from 'node:assert/strict';
import { createManualClock, type ManualClock } from '../../core/manual-clock.js';
import { CONTRACT_START_MS, type ContractFixture, type ContractSetup } from './test-api.js';

/** A deterministic source of randomness for operation generators. */
export interface DifferentialRandom {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in min..max (inclusive). */
  int(min: number, max: number): number;
  /** One element of `items`. */
  pick<T>(items: readonly T[]): T;
}

/** Options of {@link runDifferential}. */
export interface DifferentialOptions<T, Op> {
  readonly reference: ContractSetup<T>;
  readonly candidate: ContractSetup<T>;
  /** Draws the next operation; `step` counts from 0 within a run. */
  generate(random: DifferentialRandom, step: number): Op;
  /**
   * Applies `op` to one subject and returns what should be equal across adapters. To move time, advance
   * `clock` here (both clocks get the same ops). A thrown error is observed as `{ error: code }`.
   */
  apply(subject: T, op: Op, clock: ManualClock): unknown | Promise<unknown>;
  /** Independent runs (fresh fixtures each). Default 20. */
  readonly runs?: number;
  /** Operations per run. Default 50. */
  readonly steps?: number;
  /**
   * Seed of the first run; run i uses seed + i. Default {@link DEFAULT_DIFFERENTIAL_SEED}, so a run is
   * reproducible; pass a varying seed (e.g. from an env var) to explore more, it is printed on failure.
   */
  readonly seed?: number;
}

/** The seed used when none is given: fixed, so CI runs the same operations every time. */
export const DEFAULT_DIFFERENTIAL_SEED = 20_260_101;

/** mulberry32: small, fast, good enough to generate operations. */
export function seededRandom(seed: number): DifferentialRandom {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1));
  return { next, int, pick: (items) => items[int(0, items.length - 1)] as (typeof items)[number] };
}

async function observe<T, Op>(options: DifferentialOptions<T, Op>, subject: T, op: Op, clock: ManualClock) {
  try {
    return { value: await options.apply(subject, op, clock) };
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    return { error: typeof code === 'string' ? code : String(error) };
  }
}

async function runOnce<T, Op>(
  options: DifferentialOptions<T, Op>,
  seed: number,
  steps: number,
): Promise<void> {
  const random = seededRandom(seed);
  const clocks = [createManualClock(CONTRACT_START_MS), createManualClock(CONTRACT_START_MS)] as const;
  const fixtures: ContractFixture<T>[] = [];
  try {
    const reference = await options.reference(clocks[0]);
    fixtures.push(reference);
    const candidate = await options.candidate(clocks[1]);
    fixtures.push(candidate);
    const history: Op[] = [];
    for (let step = 0; step < steps; step++) {
      const op = options.generate(random, step);
      history.push(op);
      const expected = await observe(options, reference.subject, op, clocks[0]);
      const actual = await observe(options, candidate.subject, op, clocks[1]);
      try {
        deepStrictEqual(actual, expected);
      } catch (error) {
        throw new AssertionError({
          message: `differential mismatch at seed ${seed}, step ${step}\nops: ${JSON.stringify(history)}\n${(error as Error).message}`,
          actual,
          expected,
        });
      }
    }
  } finally {
    for (const fixture of fixtures) await fixture.close?.();
  }
}

/**
 * Runs the differential; throws an `AssertionError` naming the seed, the step and the operations so far
 * at the first observation that differs.
 */
export async function runDifferential<T, Op>(options: DifferentialOptions<T, Op>): Promise<void> {
  const seed = options.seed ?? DEFAULT_DIFFERENTIAL_SEED;
  const runs = options.runs ?? 20;
  for (let i = 0; i < runs; i++) await runOnce(options, seed + i, options.steps ?? 50);
}
