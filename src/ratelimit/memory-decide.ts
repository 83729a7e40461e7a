/**
 * The memory store's decisions: the same semantics as lua/decide.ts, on the tables of memory-tables.ts.
 * Synchronous, hence atomic. One policy (the common case) takes a straight-line, allocation-light path;
 * several policies are evaluated first, then charged together only when all pass.
 */
import { commitEvaluation, type Evaluation, evaluate } from './engine.js';
import type { MemoryTables, PolicyTables, StateEntry } from './memory-tables.js';
import type { DecideRequest, DecideResponse, PolicyCheck, PolicyDecision } from './store.js';

/** How long the key's penalty block still runs (0: none). */
function activeBlockMs(t: PolicyTables, check: PolicyCheck, nowMs: number): number {
  if (check.blockDurationMs === 0) return 0;
  const block = t.blocks.get(check.key, nowMs);
  return block && block.untilMs > nowMs ? block.untilMs - nowMs : 0;
}

/** Starts the key's penalty block after a denial; returns its length. */
function startBlock(t: PolicyTables, check: PolicyCheck, nowMs: number): number {
  const untilMs = nowMs + check.blockDurationMs;
  t.blocks.set(check.key, { untilMs, expiresAtMs: untilMs, referenced: false }, nowMs);
  return check.blockDurationMs;
}

/** Charges an admitted evaluation: the stored entry is updated in place (no map work on the hot path). */
function charge(
  t: PolicyTables,
  key: string,
  entry: StateEntry | undefined,
  e: Evaluation,
  nowMs: number,
  cost: number,
): void {
  const state = commitEvaluation(e, entry?.state, nowMs, cost);
  if (entry) {
    entry.state = state;
    entry.expiresAtMs = nowMs + e.ttlMs;
  } else {
    t.state.set(key, { state, expiresAtMs: nowMs + e.ttlMs, referenced: false }, nowMs);
  }
}

/** One policy's answer, from its evaluation and its block (`blockedMs`, 0 when none). */
function decisionOf(
  e: Evaluation,
  blockedMs: number,
  charged: boolean,
  cost: number,
  delayMs: number,
): PolicyDecision {
  // An evaluation that passed reports its figures after charging; if nothing was charged (another policy
  // denied, or a peek), it reports the state as it stands: the cost added back, the idle reset.
  const uncharged = e.allowed && !charged;
  const remaining = uncharged ? e.remaining + cost : e.remaining;
  return {
    allowed: e.allowed && blockedMs === 0,
    remaining: blockedMs > 0 ? 0 : remaining,
    resetAfterMs: Math.max(uncharged ? e.idleResetAfterMs : e.resetAfterMs, blockedMs),
    retryAfterMs: blockedMs > 0 ? Math.max(blockedMs, e.retryAfterMs) : e.retryAfterMs,
    delayMs,
    blocked: blockedMs > 0,
  };
}

/** One policy, the common case: the same semantics as {@link decideMany}, straight-line. */
export function decideOne(
  tables: MemoryTables,
  request: DecideRequest,
  check: PolicyCheck,
  nowMs: number,
): DecideResponse {
  const consume = request.mode === 'consume';
  const cost = consume ? request.cost : 1;
  const t = tables.policy(request.limiter, check.policy);
  let blockedMs = activeBlockMs(t, check, nowMs);
  const entry = t.state.get(check.key, nowMs);
  const e = evaluate(check.algorithm, entry?.state, nowMs, nowMs * 1000, cost);
  const charged = consume && blockedMs === 0 && e.allowed;
  if (charged) charge(t, check.key, entry, e, nowMs, cost);
  else if (consume && blockedMs === 0 && check.blockDurationMs > 0) blockedMs = startBlock(t, check, nowMs);
  const delayMs = blockedMs === 0 && e.allowed ? e.delayMs : 0;
  return { nowMs, decisions: [decisionOf(e, blockedMs, charged, cost, delayMs)] };
}

/** One policy's evaluation within a multi-policy decision, before anything is charged. */
interface Evaluated {
  readonly check: PolicyCheck;
  readonly tables: PolicyTables;
  readonly entry: StateEntry | undefined;
  readonly e: Evaluation;
  readonly blockedMs: number;
}

/** Several policies: all pass and are charged together, or nothing is charged. */
export function decideMany(tables: MemoryTables, request: DecideRequest, nowMs: number): DecideResponse {
  const consume = request.mode === 'consume';
  const cost = consume ? request.cost : 1;
  const evaluated: Evaluated[] = [];
  let anyBlocked = false;
  let allAllowed = true;
  for (const check of request.checks) {
    const t = tables.policy(request.limiter, check.policy);
    const blockedMs = activeBlockMs(t, check, nowMs);
    const entry = t.state.get(check.key, nowMs);
    const e = evaluate(check.algorithm, entry?.state, nowMs, nowMs * 1000, cost);
    evaluated.push({ check, tables: t, entry, e, blockedMs });
    if (blockedMs > 0) anyBlocked = true;
    if (!e.allowed) allAllowed = false;
  }
  if (anyBlocked) allAllowed = false;
  const charged = consume && allAllowed;
  if (charged) for (const x of evaluated) charge(x.tables, x.check.key, x.entry, x.e, nowMs, cost);
  const decisions = evaluated.map((x): PolicyDecision => {
    const startsBlock = consume && !anyBlocked && !x.e.allowed && x.check.blockDurationMs > 0;
    const blockedMs = startsBlock ? startBlock(x.tables, x.check, nowMs) : x.blockedMs;
    return decisionOf(x.e, blockedMs, charged, cost, allAllowed ? x.e.delayMs : 0);
  });
  return { nowMs, decisions };
}
