/**
 * The decision arithmetic in TypeScript, used by the memory store. lua/decide.ts is the same arithmetic in
 * Lua; the shared contract suite (and a randomised differential test) keeps the two in step. All values
 * are integers: milliseconds for windows, ticks of `1 / units` µs for buckets.
 */
import type { Algorithm, BucketAlgorithm, WindowAlgorithm } from './algorithms.js';
import { TTL_SLACK_MS } from './constants.js';

/** Stored state of one policy key, by engine. */
export type EngineState =
  | { readonly engine: 'fixed-window'; windowStartMs: number; count: number }
  | {
      readonly engine: 'sliding-window-counter';
      windowStartMs: number;
      count: number;
      previousCount: number;
    }
  | SlidingLogState
  | { readonly engine: 'virtual-scheduling'; tatUs: number; tatFrac: number };

/** One admitted request in a sliding log. */
export interface LogEntry {
  readonly atMs: number;
  readonly cost: number;
}

/**
 * A sliding log is a queue kept in place (entries from `head` on are live), so admitting and expiring are
 * amortised O(1) instead of copying the log on every decision.
 */
export interface SlidingLogState {
  readonly engine: 'sliding-window-log';
  readonly entries: LogEntry[];
  head: number;
  total: number;
}

/** What one policy says about one request. */
export interface Evaluation {
  readonly allowed: boolean;
  /** Units left after this request (if admitted) or now (if not). */
  readonly remaining: number;
  /** Until the key is fully replenished (after this request, when admitted). */
  readonly resetAfterMs: number;
  /** Until the key is fully replenished if nothing is charged: what an admitted but uncharged request reports. */
  readonly idleResetAfterMs: number;
  /** 0 when allowed; otherwise until a request of this cost could pass. */
  readonly retryAfterMs: number;
  /** Leaky bucket: how long the admitted request should wait for its turn. */
  readonly delayMs: number;
  /**
   * The state after admitting, as plain numbers (no object per decision): {@link commitEvaluation} writes
   * them into the stored state, or a new one. Window engines use the window start and counts, buckets the
   * theoretical arrival time; a sliding log is updated in place through `log`.
   */
  readonly engine: EngineState['engine'];
  readonly nextWindowStartMs: number;
  readonly nextCount: number;
  readonly nextPreviousCount: number;
  readonly nextTatUs: number;
  /** The theoretical arrival time's fraction of a µs, in ticks of `1 / units` µs (0 ≤ frac < units). */
  readonly nextTatFrac: number;
  readonly log?: SlidingLogState;
  /** How long the stored state stays useful (its TTL). */
  readonly ttlMs: number;
}

const ceilDiv = (a: number, b: number) => Math.ceil(a / b);

/** Evaluates `cost` units against `algorithm` at time `nowMs`/`nowUs`, given the stored `state`. */
export function evaluate(
  algorithm: Algorithm,
  state: EngineState | undefined,
  nowMs: number,
  nowUs: number,
  cost: number,
): Evaluation {
  switch (algorithm.engine) {
    case 'fixed-window':
      return fixedWindow(algorithm as WindowAlgorithm, state, nowMs, cost);
    case 'sliding-window-counter':
      return slidingCounter(algorithm as WindowAlgorithm, state, nowMs, cost);
    case 'sliding-window-log':
      return slidingLog(algorithm as WindowAlgorithm, state, nowMs, cost);
    case 'virtual-scheduling':
      return virtualScheduling(algorithm, state, nowUs, cost);
  }
}

function fixedWindow(
  a: WindowAlgorithm,
  state: EngineState | undefined,
  nowMs: number,
  cost: number,
): Evaluation {
  const windowStartMs = nowMs - (nowMs % a.windowMs);
  const count = state?.engine === 'fixed-window' && state.windowStartMs === windowStartMs ? state.count : 0;
  const allowed = count + cost <= a.limit;
  const after = allowed ? count + cost : count;
  const untilWindowEndMs = windowStartMs + a.windowMs - nowMs;
  return {
    allowed,
    remaining: a.limit - after,
    resetAfterMs: after > 0 ? untilWindowEndMs : 0,
    idleResetAfterMs: count > 0 ? untilWindowEndMs : 0,
    retryAfterMs: allowed ? 0 : untilWindowEndMs,
    delayMs: 0,
    engine: 'fixed-window',
    nextWindowStartMs: windowStartMs,
    nextCount: after,
    nextPreviousCount: 0,
    nextTatUs: 0,
    nextTatFrac: 0,
    ttlMs: untilWindowEndMs + TTL_SLACK_MS,
  };
}

function slidingCounter(
  a: WindowAlgorithm,
  state: EngineState | undefined,
  nowMs: number,
  cost: number,
): Evaluation {
  const w = a.windowMs;
  const windowStartMs = nowMs - (nowMs % w);
  const elapsedMs = nowMs - windowStartMs;
  let count = 0;
  let previousCount = 0;
  if (state?.engine === 'sliding-window-counter') {
    if (state.windowStartMs === windowStartMs) {
      count = state.count;
      previousCount = state.previousCount;
    } else if (state.windowStartMs === windowStartMs - w) {
      previousCount = state.count;
    }
  }
  // Weighted estimate × w, kept integral: previous × (w − elapsed) + current × w ≤ limit × w.
  const previousWeight = previousCount * (w - elapsedMs);
  const allowed = previousWeight + (count + cost) * w <= a.limit * w;
  const after = allowed ? count + cost : count;
  const remaining = Math.max(0, Math.floor((a.limit * w - previousWeight) / w) - after);
  let retryAfterMs = 0;
  if (!allowed) {
    const room = a.limit - count - cost;
    const inThisWindow = room >= 0 && previousCount > 0 ? w - Math.floor((room * w) / previousCount) : w;
    if (inThisWindow < w) {
      retryAfterMs = inThisWindow - elapsedMs;
    } else {
      const nextWindowWait = count > 0 ? Math.max(0, w - Math.floor(((a.limit - cost) * w) / count)) : 0;
      retryAfterMs = w - elapsedMs + nextWindowWait;
    }
  }
  const resetOf = (n: number) => (n > 0 ? 2 * w - elapsedMs : previousCount > 0 ? w - elapsedMs : 0);
  return {
    allowed,
    remaining,
    resetAfterMs: resetOf(after),
    idleResetAfterMs: resetOf(count),
    retryAfterMs,
    delayMs: 0,
    engine: 'sliding-window-counter',
    nextWindowStartMs: windowStartMs,
    nextCount: after,
    nextPreviousCount: previousCount,
    nextTatUs: 0,
    nextTatFrac: 0,
    ttlMs: 2 * w - elapsedMs + TTL_SLACK_MS,
  };
}

function slidingLog(
  a: WindowAlgorithm,
  state: EngineState | undefined,
  nowMs: number,
  cost: number,
): Evaluation {
  const liveAfterMs = nowMs - a.windowMs; // entries at or before this instant have left the window
  const log: SlidingLogState =
    state?.engine === 'sliding-window-log'
      ? state
      : { engine: 'sliding-window-log', entries: [], head: 0, total: 0 };
  // Expiring is safe whatever the decision: those entries are out of every future window too.
  while (log.head < log.entries.length && (log.entries[log.head]?.atMs ?? 0) <= liveAfterMs) {
    log.total -= log.entries[log.head]?.cost ?? 0;
    log.head++;
  }
  if (log.head > 64 && log.head * 2 > log.entries.length) {
    log.entries.splice(0, log.head);
    log.head = 0;
  }
  const allowed = log.total + cost <= a.limit;
  let retryAfterMs = 0;
  if (!allowed) {
    let freed = 0;
    const needed = log.total + cost - a.limit;
    for (let i = log.head; i < log.entries.length; i++) {
      const entry = log.entries[i] as LogEntry;
      freed += entry.cost;
      if (freed >= needed) {
        retryAfterMs = entry.atMs + a.windowMs - nowMs;
        break;
      }
    }
  }
  const newestLiveMs = log.head < log.entries.length ? log.entries.at(-1)?.atMs : undefined;
  const idleResetAfterMs = newestLiveMs === undefined ? 0 : newestLiveMs + a.windowMs - nowMs;
  return {
    allowed,
    remaining: a.limit - (allowed ? log.total + cost : log.total),
    resetAfterMs: allowed ? a.windowMs : idleResetAfterMs,
    idleResetAfterMs,
    retryAfterMs,
    delayMs: 0,
    engine: 'sliding-window-log',
    nextWindowStartMs: 0,
    nextCount: 0,
    nextPreviousCount: 0,
    nextTatUs: 0,
    nextTatFrac: 0,
    log,
    ttlMs: a.windowMs + TTL_SLACK_MS,
  };
}

/**
 * Virtual scheduling on the exact interval `periodUs / units` µs. The theoretical arrival time (when the
 * bucket is full again) is `tatUs + tatFrac / units`; debts are counted in ticks of `1 / units` µs, in
 * which one token is exactly `periodUs` ticks. Every intermediate stays below 2^52 (see algorithms.ts), so
 * this and the Lua twin compute the same integers.
 */
function virtualScheduling(
  a: BucketAlgorithm,
  state: EngineState | undefined,
  nowUs: number,
  cost: number,
): Evaluation {
  const { periodUs, units } = a;
  const vs = state?.engine === 'virtual-scheduling' ? state : undefined;
  // tat < now exactly when tatUs < nowUs, since the fraction is below one µs.
  const ahead = vs !== undefined && vs.tatUs >= nowUs;
  const baseUs = ahead ? vs.tatUs : nowUs;
  const baseFrac = ahead ? vs.tatFrac : 0;
  const sum = baseFrac + cost * periodUs;
  const carry = Math.floor(sum / units);
  const newTatUs = baseUs + carry;
  const newTatFrac = sum - carry * units;
  const capacityTicks = a.capacity * periodUs;
  const baseDebt = (baseUs - nowUs) * units + baseFrac;
  const newDebt = (newTatUs - nowUs) * units + newTatFrac;
  const allowed = newDebt <= capacityTicks;
  const debt = allowed ? newDebt : baseDebt;
  const tickMs = units * 1000;
  return {
    allowed,
    remaining: Math.floor((capacityTicks - debt) / periodUs),
    resetAfterMs: ceilDiv(debt, tickMs),
    idleResetAfterMs: ceilDiv(baseDebt, tickMs),
    retryAfterMs: allowed ? 0 : ceilDiv(newDebt - capacityTicks, tickMs),
    delayMs: allowed && a.shaping ? ceilDiv(baseDebt, tickMs) : 0,
    engine: 'virtual-scheduling',
    nextWindowStartMs: 0,
    nextCount: 0,
    nextPreviousCount: 0,
    nextTatUs: newTatUs,
    nextTatFrac: newTatFrac,
    ttlMs: ceilDiv(debt, tickMs) + TTL_SLACK_MS,
  };
}

/**
 * Applies an admitted request and returns the state to store: `stored` updated in place when it is of the
 * same engine (no allocation on the hot path), otherwise a new state.
 */
export function commitEvaluation(
  e: Evaluation,
  stored: EngineState | undefined,
  nowMs: number,
  cost: number,
): EngineState {
  switch (e.engine) {
    case 'fixed-window':
      if (stored?.engine === 'fixed-window') {
        stored.windowStartMs = e.nextWindowStartMs;
        stored.count = e.nextCount;
        return stored;
      }
      return { engine: 'fixed-window', windowStartMs: e.nextWindowStartMs, count: e.nextCount };
    case 'sliding-window-counter':
      if (stored?.engine === 'sliding-window-counter') {
        stored.windowStartMs = e.nextWindowStartMs;
        stored.count = e.nextCount;
        stored.previousCount = e.nextPreviousCount;
        return stored;
      }
      return {
        engine: 'sliding-window-counter',
        windowStartMs: e.nextWindowStartMs,
        count: e.nextCount,
        previousCount: e.nextPreviousCount,
      };
    case 'virtual-scheduling':
      if (stored?.engine === 'virtual-scheduling') {
        stored.tatUs = e.nextTatUs;
        stored.tatFrac = e.nextTatFrac;
        return stored;
      }
      return { engine: 'virtual-scheduling', tatUs: e.nextTatUs, tatFrac: e.nextTatFrac };
    case 'sliding-window-log': {
      const log = e.log as SlidingLogState;
      log.entries.push({ atMs: nowMs, cost });
      log.total += cost;
      return log;
    }
  }
}
