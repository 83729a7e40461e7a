/**
 * The in-memory store (the default): the same semantics as Redis under an injected clock, for one process.
 * Decisions are synchronous, hence atomic. Memory is bounded: expired entries are dropped when touched and
 * by a small sweep of the least recently used entries on every call; beyond `maxKeys` the least recently
 * used entry is evicted. No timers: expiry is a timestamp comparison, so it never depends on a timer firing
 * and never keeps the process alive.
 */
import { randomBytes } from 'node:crypto';
import { type Clock, systemClock } from '../core/clock.js';
import { option } from '../core/validate.js';
import { type EngineState, evaluate } from './engine.js';
import type {
  DecideRequest,
  DecideResponse,
  LeaseHandle,
  LeaseRequest,
  LeaseResponse,
  PolicyDecision,
  RateLimitStore,
  ResetRequest,
} from './store.js';

/** Options of {@link createMemoryRateLimitStore}. */
export interface MemoryRateLimitStoreOptions {
  /** Time source. Default: the system clock. */
  readonly clock?: Clock;
  /** Most keys held at once; the least recently used is evicted beyond it. Default 100 000. */
  readonly maxKeys?: number;
}

/** The memory store, with a size readout for tests and monitoring. */
export interface MemoryRateLimitStore extends RateLimitStore {
  /** Entries currently held (state, blocks and lease sets). */
  size(): number;
}

type Entry =
  | { readonly type: 'state'; state: EngineState; expiresAtMs: number }
  | { readonly type: 'block'; untilMs: number; expiresAtMs: number }
  | {
      readonly type: 'leases';
      leases: Map<string, { expiresAtMs: number; cost: number }>;
      expiresAtMs: number;
    };

const SWEEP_PER_CALL = 2;

/**
 * Creates the in-memory rate-limit store.
 *
 * @example
 * ```ts
 * const store = createMemoryRateLimitStore({ maxKeys: 50_000 });
 * const limiter = createRateLimiter({ name: 'api', algorithm: fixedWindow({ limit: 10, windowMs: 1000 }), store });
 * ```
 */
export function createMemoryRateLimitStore(options: MemoryRateLimitStoreOptions = {}): MemoryRateLimitStore {
  option.knownKeys('createMemoryRateLimitStore', options, ['clock', 'maxKeys']);
  const clock = options.clock ?? systemClock;
  const maxKeys = option.integer('maxKeys', options.maxKeys ?? 100_000, 1);
  // Map order is recency order: touching an entry re-inserts it at the end.
  const entries = new Map<string, Entry>();

  const sweep = (nowMs: number) => {
    let checked = 0;
    for (const [key, entry] of entries) {
      if (checked++ >= SWEEP_PER_CALL) break;
      if (entry.expiresAtMs <= nowMs) entries.delete(key);
    }
  };
  const get = (key: string, nowMs: number): Entry | undefined => {
    const entry = entries.get(key);
    if (!entry) return undefined;
    entries.delete(key);
    if (entry.expiresAtMs <= nowMs) return undefined;
    entries.set(key, entry);
    return entry;
  };
  const put = (key: string, entry: Entry) => {
    entries.delete(key);
    entries.set(key, entry);
    while (entries.size > maxKeys) {
      const oldest = entries.keys().next().value as string;
      entries.delete(oldest);
    }
  };
  const stateKey = (limiter: string, key: string) => `${limiter}\u0000s\u0000${key}`;
  const blockKey = (limiter: string, key: string) => `${limiter}\u0000b\u0000${key}`;
  const leaseKey = (limiter: string, key: string) => `${limiter}\u0000l\u0000${key}`;

  const decideNow = (request: DecideRequest): DecideResponse => {
    const nowMs = clock.now();
    const nowUs = nowMs * 1000;
    sweep(nowMs);
    const blocks = request.checks.map((check) => {
      if (check.blockDurationMs === 0) return 0;
      const entry = get(blockKey(request.limiter, check.key), nowMs);
      return entry?.type === 'block' && entry.untilMs > nowMs ? entry.untilMs - nowMs : 0;
    });
    const cost = request.mode === 'peek' ? 1 : request.cost;
    const evaluations = request.checks.map((check) => {
      const entry = get(stateKey(request.limiter, check.key), nowMs);
      return evaluate(check.algorithm, entry?.type === 'state' ? entry.state : undefined, nowMs, nowUs, cost);
    });
    const anyBlocked = blocks.some((ms) => ms > 0);
    const allAllowed = !anyBlocked && evaluations.every((e) => e.allowed);
    const charged = request.mode === 'consume' && allAllowed;
    if (charged) {
      request.checks.forEach((check, i) => {
        const e = evaluations[i]!;
        put(stateKey(request.limiter, check.key), {
          type: 'state',
          state: e.commit(),
          expiresAtMs: nowMs + e.ttlMs,
        });
      });
    }
    const decisions = request.checks.map((check, i): PolicyDecision => {
      const e = evaluations[i]!;
      let blockedMs = blocks[i]!;
      if (request.mode === 'consume' && !anyBlocked && !e.allowed && check.blockDurationMs > 0) {
        blockedMs = check.blockDurationMs;
        const untilMs = nowMs + blockedMs;
        put(blockKey(request.limiter, check.key), { type: 'block', untilMs, expiresAtMs: untilMs });
      }
      // An evaluation that passed reports what is left after charging; if nothing was charged, add it back.
      const remaining = e.allowed && !charged ? e.remaining + cost : e.remaining;
      return {
        allowed: e.allowed && blockedMs === 0,
        remaining: blockedMs > 0 ? 0 : remaining,
        resetAfterMs: Math.max(e.resetAfterMs, blockedMs),
        retryAfterMs: blockedMs > 0 ? Math.max(blockedMs, e.retryAfterMs) : e.retryAfterMs,
        delayMs: allAllowed ? e.delayMs : 0,
        blocked: blockedMs > 0,
      };
    });
    return { nowMs, decisions };
  };

  const leasesOf = (limiter: string, key: string, nowMs: number) => {
    const entry = get(leaseKey(limiter, key), nowMs);
    const leases =
      entry?.type === 'leases' ? entry.leases : new Map<string, { expiresAtMs: number; cost: number }>();
    for (const [id, lease] of leases) if (lease.expiresAtMs <= nowMs) leases.delete(id);
    return leases;
  };
  const saveLeases = (
    limiter: string,
    key: string,
    leases: Map<string, { expiresAtMs: number; cost: number }>,
  ) => {
    if (leases.size === 0) {
      entries.delete(leaseKey(limiter, key));
      return;
    }
    const expiresAtMs = Math.max(...[...leases.values()].map((l) => l.expiresAtMs));
    put(leaseKey(limiter, key), { type: 'leases', leases, expiresAtMs });
  };

  return {
    decide: async (request) => decideNow(request),
    async reset(request) {
      for (const check of request.checks) {
        entries.delete(stateKey(request.limiter, check.key));
        entries.delete(blockKey(request.limiter, check.key));
      }
    },
    async acquireLease(request: LeaseRequest): Promise<LeaseResponse> {
      const nowMs = clock.now();
      sweep(nowMs);
      const leases = leasesOf(request.limiter, request.key, nowMs);
      const inUse = [...leases.values()].reduce((sum, l) => sum + l.cost, 0);
      if (inUse + request.cost > request.limit) {
        const earliest = Math.min(...[...leases.values()].map((l) => l.expiresAtMs));
        saveLeases(request.limiter, request.key, leases);
        return { allowed: false, nowMs, inUse, retryAfterMs: Math.max(0, earliest - nowMs) };
      }
      const leaseId = randomBytes(12).toString('base64url');
      const expiresAtMs = nowMs + request.leaseMs;
      leases.set(leaseId, { expiresAtMs, cost: request.cost });
      saveLeases(request.limiter, request.key, leases);
      return { allowed: true, nowMs, leaseId, expiresAtMs, inUse: inUse + request.cost, retryAfterMs: 0 };
    },
    async releaseLease(handle: LeaseHandle) {
      const nowMs = clock.now();
      const leases = leasesOf(handle.limiter, handle.key, nowMs);
      const held = leases.delete(handle.leaseId);
      saveLeases(handle.limiter, handle.key, leases);
      return held;
    },
    async extendLease(handle: LeaseHandle, leaseMs: number) {
      const nowMs = clock.now();
      const leases = leasesOf(handle.limiter, handle.key, nowMs);
      const lease = leases.get(handle.leaseId);
      if (lease) lease.expiresAtMs = nowMs + leaseMs;
      saveLeases(handle.limiter, handle.key, leases);
      return lease?.expiresAtMs;
    },
    size: () => entries.size,
  };
}
