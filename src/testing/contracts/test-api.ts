/**
 * The slice of a test runner a contract suite needs. Vitest, Jest, Mocha and `node:test` all fit;
 * assertions inside contracts use `node:assert/strict`, so no runner's `expect` is required.
 */

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
