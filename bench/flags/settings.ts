/**
 * The flags bench's settings, from the environment: BENCH_FLAGS_FLAGS (flags in the rule set: 50, half
 * with a rollout), BENCH_FLAGS_CONTEXTS (users, pre-generated; also the equivalence pass's: 10,000),
 * BENCH_FLAGS_ROUNDS (measured rounds per side: 9), BENCH_FLAGS_ROUND_MS (the length a round aims at; each
 * side's evaluation count per round is calibrated from its warm-up: 400), BENCH_FLAGS_WARMUP_MS (per
 * side, before the rounds: 1000) and BENCH_FLAGS_BATCH (evaluations per timed batch, the latency samples:
 * 100). A smoke run: `BENCH_FLAGS_CONTEXTS=200 BENCH_FLAGS_ROUNDS=2 BENCH_FLAGS_ROUND_MS=20
 * BENCH_FLAGS_WARMUP_MS=20`.
 */
import { setting } from '../support/settings.js';

/** How the rounds run. */
export interface RoundSettings {
  readonly rounds: number;
  readonly roundMs: number;
  readonly warmupMs: number;
  readonly batch: number;
}

/** The run's settings. */
export interface FlagsBenchSettings {
  readonly flags: number;
  readonly contexts: number;
  readonly measure: RoundSettings;
}

/** Reads the settings; a value that is not an integer in range throws, naming its variable. */
export function flagsBenchSettings(): FlagsBenchSettings {
  return {
    flags: setting('BENCH_FLAGS_FLAGS', 50, 2),
    contexts: setting('BENCH_FLAGS_CONTEXTS', 10_000, 1),
    measure: {
      rounds: setting('BENCH_FLAGS_ROUNDS', 9, 1),
      roundMs: setting('BENCH_FLAGS_ROUND_MS', 400, 1),
      warmupMs: setting('BENCH_FLAGS_WARMUP_MS', 1000, 1),
      batch: setting('BENCH_FLAGS_BATCH', 100, 1),
    },
  };
}
