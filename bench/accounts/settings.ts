/**
 * The accounts bench's settings, from the environment: BENCH_ACCOUNTS_OPS (hashes, then verifies, per
 * round and side: 48), BENCH_ACCOUNTS_ROUNDS (rounds per side: 8), BENCH_ACCOUNTS_CONCURRENCY (calls in
 * flight in the overhead case: 4), BENCH_ACCOUNTS_BURST (logins per burst: 200) and
 * BENCH_ACCOUNTS_BURST_ROUNDS (bursts per mode, each in a fresh process: 3). A smoke run:
 * `BENCH_ACCOUNTS_OPS=4 BENCH_ACCOUNTS_ROUNDS=2 BENCH_ACCOUNTS_BURST=20 BENCH_ACCOUNTS_BURST_ROUNDS=1`.
 */
import { setting } from '../support/settings.js';

/** The overhead case: ours vs `argon2` called directly. */
export interface OverheadSettings {
  readonly ops: number;
  readonly rounds: number;
  readonly concurrency: number;
}

/** The burst case: many logins at once, bounded vs unbounded. */
export interface BurstSettings {
  readonly size: number;
  readonly rounds: number;
}

/** The run's settings. */
export interface AccountsBenchSettings {
  readonly overhead: OverheadSettings;
  readonly burst: BurstSettings;
}

/** Reads the settings; a value that is not an integer in range throws, naming its variable. */
export function accountsBenchSettings(): AccountsBenchSettings {
  return {
    overhead: {
      ops: setting('BENCH_ACCOUNTS_OPS', 48, 1),
      rounds: setting('BENCH_ACCOUNTS_ROUNDS', 8, 1),
      concurrency: setting('BENCH_ACCOUNTS_CONCURRENCY', 4, 1),
    },
    burst: {
      size: setting('BENCH_ACCOUNTS_BURST', 200, 1),
      rounds: setting('BENCH_ACCOUNTS_BURST_ROUNDS', 3, 1),
    },
  };
}
