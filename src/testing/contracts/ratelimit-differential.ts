/**
 * The RateLimitStore differential: a reference store (memory) and a candidate (Redis, yours) each behind
 * a real limiter, driven by the same seeded random traffic (time steps, costs, peeks) on two manual
 * clocks in step, must give the same decision, remaining, retry, reset and delay at every step.
 */
import type { ManualClock } from '../../core/manual-clock.js';
import {
  type Algorithm,
  createRateLimiter,
  type RateLimiter,
  type RateLimitStore,
} from '../../ratelimit/index.js';
import { type DifferentialRandom, runDifferential } from './differential.js';
import type { ContractSetup } from './test-api.js';

/** One step of traffic: move time, then limit (or peek) once. */
export interface RateLimitOp {
  readonly advanceMs: number;
  readonly cost: number;
  readonly peek: boolean;
}

/** Options of {@link rateLimitDifferential}. */
export interface RateLimitDifferentialOptions {
  /** The store whose answers are right (the memory store). */
  readonly reference: ContractSetup<RateLimitStore>;
  /** The store under test. */
  readonly candidate: ContractSetup<RateLimitStore>;
  /** The one policy both limiters apply. */
  readonly algorithm: Algorithm;
  /** Independent runs (fresh stores each). Default 25. */
  readonly runs?: number;
  /** Steps per run. Default 120. */
  readonly steps?: number;
  /** Seed of the first run, printed on a mismatch. */
  readonly seed?: number;
}

/** Time steps of three sizes: none (a burst), small (within a window) and large (across windows). */
function generate(random: DifferentialRandom): RateLimitOp {
  const size = random.int(0, 2);
  const advanceMs = size === 0 ? 0 : size === 1 ? random.int(1, 50) : random.int(0, 3000);
  return { advanceMs, cost: random.int(1, 3), peek: random.next() < 0.1 };
}

async function apply(limiter: RateLimiter, op: RateLimitOp, clock: ManualClock) {
  clock.advance(op.advanceMs);
  const r = op.peek ? await limiter.peek('k') : await limiter.limit('k', { cost: op.cost });
  return {
    allowed: r.allowed,
    remaining: r.remaining,
    retryAfterMs: r.retryAfterMs,
    resetAtMs: r.resetAtMs,
    delayMs: r.delayMs,
    reason: r.reason,
  };
}

/** A limiter of `algorithm` over the store `setup` builds, on the same clock. */
function limiterOver(setup: ContractSetup<RateLimitStore>, algorithm: Algorithm): ContractSetup<RateLimiter> {
  return async (clock) => {
    const fixture = await setup(clock);
    const limiter = createRateLimiter({
      name: 'diff',
      algorithm,
      store: fixture.subject,
      clock,
      storeTimeoutMs: 10_000, // a loaded machine may be slow without the store being broken
    });
    return { subject: limiter, close: () => fixture.close?.() };
  };
}

/**
 * Runs the differential for one algorithm; rejects with an `AssertionError` naming the seed, the step
 * and the operations so far at the first difference.
 *
 * @example
 * ```ts
 * await rateLimitDifferential({
 *   reference: (clock) => ({ subject: createMemoryRateLimitStore({ clock }) }),
 *   candidate: (clock) => ({ subject: createRedisRateLimitStore({ client, prefix: unique(), clock }) }),
 *   algorithm: fixedWindow({ limit: 5, windowMs: 1000 }),
 * });
 * ```
 */
export function rateLimitDifferential(options: RateLimitDifferentialOptions): Promise<void> {
  return runDifferential<RateLimiter, RateLimitOp>({
    reference: limiterOver(options.reference, options.algorithm),
    candidate: limiterOver(options.candidate, options.algorithm),
    generate,
    apply,
    runs: options.runs ?? 25,
    steps: options.steps ?? 120,
    ...(options.seed === undefined ? {} : { seed: options.seed }),
  });
}
