/**
 * The in-memory store (the default): the same semantics as Redis under an injected clock, for one process.
 * Decisions are synchronous, hence atomic. Memory is bounded (see expiring-table.ts): expired entries are
 * dropped when touched and by a cursor that walks a few entries per call; beyond `maxKeys` an idle entry is
 * evicted (CLOCK, an approximation of least-recently-used). No timers: expiry is a timestamp comparison, so
 * it never depends on a timer firing and never keeps the process alive.
 */
import { randomBytes } from 'node:crypto';
import { type Clock, systemClock } from '../core/clock.js';
import { option } from '../core/validate.js';
import { commitEvaluation, type EngineState, type Evaluation, evaluate } from './engine.js';
import { ExpiringTable } from './expiring-table.js';
import type {
  DecideRequest,
  DecideResponse,
  LeaseHandle,
  LeaseRequest,
  LeaseResponse,
  PolicyCheck,
  PolicyDecision,
  RateLimitStore,
} from './store.js';

/** Options of {@link createMemoryRateLimitStore}. */
export interface MemoryRateLimitStoreOptions {
  /** Time source. Default: the system clock. */
  readonly clock?: Clock;
  /** Most keys held per policy of each limiter; beyond it an idle key is evicted. Default 100 000. */
  readonly maxKeys?: number;
}

/** The memory store, with a size readout for tests and monitoring. */
export interface MemoryRateLimitStore extends RateLimitStore {
  /** Entries currently held over all limiters (state, blocks and lease sets). */
  size(): number;
}

type Lease = { expiresAtMs: number; cost: number };
type StateEntry = { referenced: boolean; expiresAtMs: number; state: EngineState };
type BlockEntry = { referenced: boolean; expiresAtMs: number; untilMs: number };
type LeaseEntry = { referenced: boolean; expiresAtMs: number; leases: Map<string, Lease> };

/** One policy's state and penalty blocks, keyed by the policy's key (user id, IP, '*'). */
interface PolicyTables {
  readonly state: ExpiringTable<StateEntry>;
  readonly blocks: ExpiringTable<BlockEntry>;
}

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
  option.knownKeys('createMemoryRateLimitStore', options, ['clock', 'maxKeys']);
  const clock = options.clock ?? systemClock;
  const maxKeys = option.integer('maxKeys', options.maxKeys ?? 100_000, 1);
  // Two levels of maps keyed by the limiter's and the policy's own (constant) name strings: no key is built
  // per call, and those strings' hashes are cached by the engine.
  const policyTables = new Map<string, Map<string, PolicyTables>>();
  const leaseTables = new Map<string, ExpiringTable<LeaseEntry>>();

  const tablesOf = (limiter: string, policy: string): PolicyTables => {
    let byPolicy = policyTables.get(limiter);
    if (!byPolicy) {
      byPolicy = new Map();
      policyTables.set(limiter, byPolicy);
    }
    let tables = byPolicy.get(policy);
    if (!tables) {
      tables = { state: new ExpiringTable(maxKeys), blocks: new ExpiringTable(maxKeys) };
      byPolicy.set(policy, tables);
    }
    return tables;
  };
  const leasesTableOf = (limiter: string) => {
    let table = leaseTables.get(limiter);
    if (!table) {
      table = new ExpiringTable<LeaseEntry>(maxKeys);
      leaseTables.set(limiter, table);
    }
    return table;
  };

  /** One policy, the common case: the same semantics as `decideNow`, straight-line and allocation-light. */
  const decideOne = (request: DecideRequest, check: PolicyCheck): DecideResponse => {
    const nowMs = clock.now();
    const cost = request.mode === 'peek' ? 1 : request.cost;
    const t = tablesOf(request.limiter, check.policy);
    let blockedMs = 0;
    if (check.blockDurationMs > 0) {
      const block = t.blocks.get(check.key, nowMs);
      if (block && block.untilMs > nowMs) blockedMs = block.untilMs - nowMs;
    }
    const entry = t.state.get(check.key, nowMs);
    const e = evaluate(check.algorithm, entry?.state, nowMs, nowMs * 1000, cost);
    const charged = request.mode === 'consume' && blockedMs === 0 && e.allowed;
    if (charged) {
      const state = commitEvaluation(e, entry?.state, nowMs, cost);
      if (entry) {
        entry.state = state; // in place: no map work on the hot path
        entry.expiresAtMs = nowMs + e.ttlMs;
      } else {
        t.state.set(check.key, { state, expiresAtMs: nowMs + e.ttlMs, referenced: false }, nowMs);
      }
    } else if (request.mode === 'consume' && blockedMs === 0 && check.blockDurationMs > 0) {
      blockedMs = check.blockDurationMs;
      t.blocks.set(
        check.key,
        { untilMs: nowMs + blockedMs, expiresAtMs: nowMs + blockedMs, referenced: false },
        nowMs,
      );
    }
    const decision: PolicyDecision = {
      allowed: e.allowed && blockedMs === 0,
      remaining: blockedMs > 0 ? 0 : e.allowed && !charged ? e.remaining + cost : e.remaining,
      resetAfterMs: Math.max(blockedMs, e.resetAfterMs),
      retryAfterMs: blockedMs > 0 ? Math.max(blockedMs, e.retryAfterMs) : e.retryAfterMs,
      delayMs: blockedMs === 0 && e.allowed ? e.delayMs : 0,
      blocked: blockedMs > 0,
    };
    return { nowMs, decisions: [decision] };
  };

  const decideNow = (request: DecideRequest): DecideResponse => {
    const only = request.checks.length === 1 ? request.checks[0] : undefined;
    if (only) return decideOne(request, only);
    const nowMs = clock.now();
    const nowUs = nowMs * 1000;
    const { checks, limiter } = request;
    const cost = request.mode === 'peek' ? 1 : request.cost;
    const tables: PolicyTables[] = [];
    const blocks: number[] = [];
    const stored: (StateEntry | undefined)[] = [];
    const evaluations: Evaluation[] = [];
    let anyBlocked = false;
    let allAllowed = true;
    for (const check of checks) {
      const t = tablesOf(limiter, check.policy);
      let blockedMs = 0;
      if (check.blockDurationMs > 0) {
        const block = t.blocks.get(check.key, nowMs);
        if (block && block.untilMs > nowMs) blockedMs = block.untilMs - nowMs;
      }
      const entry = t.state.get(check.key, nowMs);
      const e = evaluate(check.algorithm, entry?.state, nowMs, nowUs, cost);
      tables.push(t);
      blocks.push(blockedMs);
      stored.push(entry);
      evaluations.push(e);
      if (blockedMs > 0) anyBlocked = true;
      if (!e.allowed) allAllowed = false;
    }
    if (anyBlocked) allAllowed = false;
    const charged = request.mode === 'consume' && allAllowed;
    if (charged) {
      checks.forEach((check, i) => {
        const e = evaluations[i] as Evaluation;
        const entry = stored[i];
        const state = commitEvaluation(e, entry?.state, nowMs, cost);
        if (entry) {
          entry.state = state; // in place: no map work on the hot path
          entry.expiresAtMs = nowMs + e.ttlMs;
        } else {
          tables[i]?.state.set(check.key, { state, expiresAtMs: nowMs + e.ttlMs, referenced: false }, nowMs);
        }
      });
    }
    const decisions = checks.map((check, i): PolicyDecision => {
      const e = evaluations[i] as Evaluation;
      let blockedMs = blocks[i] as number;
      if (request.mode === 'consume' && !anyBlocked && !e.allowed && check.blockDurationMs > 0) {
        blockedMs = check.blockDurationMs;
        const untilMs = nowMs + blockedMs;
        tables[i]?.blocks.set(check.key, { untilMs, expiresAtMs: untilMs, referenced: false }, nowMs);
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
    const table = leasesTableOf(limiter);
    const leases = table.get(key, nowMs)?.leases ?? new Map<string, Lease>();
    for (const [id, lease] of leases) if (lease.expiresAtMs <= nowMs) leases.delete(id);
    return leases;
  };
  const saveLeases = (limiter: string, key: string, leases: Map<string, Lease>) => {
    const table = leasesTableOf(limiter);
    if (leases.size === 0) {
      table.delete(key);
      return;
    }
    const expiresAtMs = Math.max(...[...leases.values()].map((l) => l.expiresAtMs));
    table.set(key, { leases, expiresAtMs, referenced: false }, clock.now());
  };

  return {
    decide: async (request) => decideNow(request),
    decideSync: decideNow,
    async reset(request) {
      for (const check of request.checks) {
        const t = tablesOf(request.limiter, check.policy);
        t.state.delete(check.key);
        t.blocks.delete(check.key);
      }
    },
    async acquireLease(request: LeaseRequest): Promise<LeaseResponse> {
      const nowMs = clock.now();
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
    size() {
      let total = 0;
      for (const byPolicy of policyTables.values()) {
        for (const t of byPolicy.values()) total += t.state.size + t.blocks.size;
      }
      for (const t of leaseTables.values()) total += t.size;
      return total;
    },
  };
}
