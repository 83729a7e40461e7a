/**
 * The one shape every contract suite has. A suite takes `{ describe, it }` of any runner (Vitest, Jest,
 * Mocha and `node:test` all fit; assertions use `node:assert/strict`, so no runner's `expect` is needed)
 * and options extending {@link ContractOptions}: a `name` for titles and a `setup(clock)` that builds a
 * fresh, empty subject driven by that manual clock, with an optional `close`.
 */
import { createManualClock, type ManualClock } from '../../core/manual-clock.js';

/** A test body; may be async. */
export type TestBody = () => unknown | Promise<unknown>;

/** `describe`/`it` (and optional hooks) of any test runner. */
export interface ContractTestApi {
  /** Groups tests. */
  describe(name: string, body: () => void): void;
  /** Declares one test; `timeoutMs` is passed through when the runner accepts it. */
  it(name: string, body: TestBody, timeoutMs?: number): void;
  /** Runs before each test (optional). */
  beforeEach?(body: TestBody): void;
  /** Runs after each test (optional). */
  afterEach?(body: TestBody): void;
}

/** What `setup` returns: the adapter under test and how to release what setup made. */
export interface ContractFixture<T> {
  readonly subject: T;
  close?(): unknown | Promise<unknown>;
}

/**
 * Builds a fresh, empty subject whose time is `clock` (pass it as the adapter's `clock` option). Called
 * once per test.
 */
export type ContractSetup<T> = (clock: ManualClock) => ContractFixture<T> | Promise<ContractFixture<T>>;

/** Options every contract suite takes; suites add their own fields. */
export interface ContractOptions<T> {
  /** Adapter name shown in test titles. */
  readonly name: string;
  readonly setup: ContractSetup<T>;
}

/** Epoch ms every contract's manual clock starts at (a fixed instant keeps failures reproducible). */
export const CONTRACT_START_MS = Date.UTC(2026, 0, 1);

/**
 * Runs `body` against a fresh fixture on a new manual clock and always closes it, even on failure.
 *
 * @example
 * ```ts
 * t.it('remembers', withFixture(options.setup, async (store, clock) => {
 *   clock.advance(1000); // the fixture's own manual clock
 *   // ...then assert on `store`
 * }));
 * ```
 */
export function withFixture<T>(
  setup: ContractSetup<T>,
  body: (subject: T, clock: ManualClock) => unknown | Promise<unknown>,
  startMs = CONTRACT_START_MS,
): () => Promise<void> {
  return async () => {
    const clock = createManualClock(startMs);
    const fixture = await setup(clock);
    try {
      await body(fixture.subject, clock);
    } finally {
      await fixture.close?.();
    }
  };
}
