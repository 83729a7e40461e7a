/**
 * The in-memory store (the default): the same semantics as Redis under an injected clock, for one process.
 * Decisions are synchronous, hence atomic (memory-decide.ts). Memory is bounded (see expiring-table.ts):
 * expired entries are dropped when touched and by a cursor that walks a few entries per call; beyond
 * `maxKeys` an idle entry is evicted (CLOCK, an approximation of least-recently-used). No timers: expiry is
 * a timestamp comparison, so it never depends on a timer firing and never keeps the process alive.
 */
import type { Clock } from '../core/clock.js';
import { defineOptions, opt } from '../core/options.js';
import { checkClockAtConstruction } from './clock-check.js';
import { decideMany, decideOne } from './memory-decide.js';
import { createMemoryLeases } from './memory-leases.js';
import { createMemoryTables } from './memory-tables.js';
import type { DecideRequest, DecideResponse, RateLimitStore } from './store.js';

/** Options of {@link createMemoryRateLimitStore}. */
export interface MemoryRateLimitStoreOptions {
  /** Time source. Default: the system clock. */
  readonly clock?: Clock;
  /** Most keys held per policy of each limiter; beyond it an idle key is evicted. Default 100 000. */
  readonly maxKeys?: number;
}

/** The memory store, with a size readout for tests and monitoring. */
export interface MemoryRateLimitStore extends RateLimitStore {
  readonly kind: 'memory';
  /** Answers a decision synchronously (the limiter uses it to skip promise round trips). */
  decideSync(request: DecideRequest): DecideResponse;
  /** Entries currently held over all limiters (state, blocks and lease sets). */
  size(): number;
}

const parseOptions = defineOptions('createMemoryRateLimitStore', {
  clock: opt.clock(),
  maxKeys: opt.integer({ default: 100_000, min: 1 }),
});

/**
 * Creates the in-memory rate-limit store. `maxKeys` bounds each policy of each limiter separately.
 *
 * @example
 * ```ts
 * const store = createMemoryRateLimitStore({ maxKeys: 50_000 });
 * const limiter = createRateLimiter({ name: 'api', algorithm: fixedWindow({ limit: 10, windowMs: 1000 }), store });
 * ```
 */
export function createMemoryRateLimitStore(options: MemoryRateLimitStoreOptions = {}): MemoryRateLimitStore {
  const { clock, maxKeys } = parseOptions(options);
  checkClockAtConstruction('createMemoryRateLimitStore', clock);
  const tables = createMemoryTables(maxKeys);
  const decideNow = (request: DecideRequest): DecideResponse => {
    const only = request.checks.length === 1 ? request.checks[0] : undefined;
    return only ? decideOne(tables, request, only, clock.now()) : decideMany(tables, request, clock.now());
  };
  return {
    kind: 'memory',
    decide: async (request) => decideNow(request),
    decideSync: decideNow,
    async reset(request) {
      for (const check of request.checks) {
        const t = tables.policy(request.limiter, check.policy);
        t.state.delete(check.key);
        t.blocks.delete(check.key);
      }
    },
    ...createMemoryLeases(tables, clock),
    size: () => tables.size(),
  };
}
