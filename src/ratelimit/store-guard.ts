/**
 * Guards store calls: a deadline per call, and the library's circuit breaker (core/circuit.ts), fed with
 * outcomes that tell an outage from a store that is merely slow under load. Shared by the rate and
 * concurrency limiters.
 *
 * Outcomes (docs/ratelimit.md, "Failure modes"):
 * - an answer in time, or any late answer (the store is alive): success;
 * - a rejection: failure, unless the reply had the wrong shape (a bug skipping the store cannot fix): neutral;
 * - a missed deadline: failure only when the store answered nothing during the call's whole deadline and
 *   the call started after the last silence was counted (else it is part of that one); otherwise neutral.
 *
 * Every call of one guard has the same timeout, so deadlines expire in call order: one queue and at most
 * one timer serve all calls in flight, instead of a timer per call on the hot path.
 */
import { type CircuitBreaker, type CircuitState, createCircuitBreaker } from '../core/circuit.js';
import type { Clock } from '../core/clock.js';
import { StoreError, TimeoutError } from '../core/errors.js';
import { ReplyShapeError } from '../core/redis/reply.js';

/** Consecutive failures that open the circuit. */
export const FAILURES_TO_OPEN = 3;

/** Outcome of a guarded call. */
export type Guarded<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: Error };

/** A guard for one store. */
export interface StoreGuard {
  run<T>(call: () => Promise<T>): Promise<Guarded<T>>;
}

/** Options of {@link createStoreGuard}. */
export interface StoreGuardOptions {
  /** Time of the circuit's open period (deadlines use real time, see below). */
  readonly clock: Clock;
  readonly timeoutMs: number;
  /** How long the circuit stays open before one probe; 0 disables the circuit. */
  readonly retryAfterMs: number;
  /** Circuit state changes, for metrics. */
  readonly onStateChange?: (to: CircuitState, from: CircuitState) => void;
}

interface Pending {
  readonly startedAt: number;
  readonly deadline: number;
  settled: boolean;
  /** Records the timeout's circuit outcome and answers the caller with a `TimeoutError`. */
  readonly expire: () => void;
}

const REFUSED: Guarded<never> = {
  ok: false,
  error: new StoreError('store circuit open after repeated failures'),
};

/** A reply of the wrong shape: the store answered, so it is alive; skipping it would not fix a bug. */
function isReplyShapeError(error: unknown): boolean {
  if (error instanceof ReplyShapeError) return true;
  if (!(error instanceof StoreError)) return false;
  // The Redis adapters name every shape error "unexpected reply from redis script ..." (core/redis/script.ts).
  return error.cause instanceof ReplyShapeError || error.message.startsWith('unexpected reply from ');
}

/**
 * A guard without deadline or circuit, for in-process stores that cannot hang (the insurance stores);
 * it only turns a rejection into a `Guarded` failure.
 */
export const unguarded: StoreGuard = {
  run: <T>(call: () => Promise<T>) =>
    call().then(
      (value): Guarded<T> => ({ ok: true, value }),
      (error: unknown): Guarded<T> => ({
        ok: false,
        error: error instanceof Error ? error : new StoreError('store failed', { cause: error }),
      }),
    ),
};

/** A circuit that never opens, for `retryAfterMs: 0`. */
const alwaysClosed: CircuitBreaker = {
  state: 'closed',
  acquire: () => 'call',
  record() {},
};

/** Creates a guard with `timeoutMs` per call and a circuit open for `retryAfterMs` after repeated failures. */
export function createStoreGuard(options: StoreGuardOptions): StoreGuard {
  const { timeoutMs } = options;
  const circuit =
    options.retryAfterMs === 0
      ? alwaysClosed
      : createCircuitBreaker({
          failuresToOpen: FAILURES_TO_OPEN,
          openMs: options.retryAfterMs,
          clock: options.clock,
          ...(options.onStateChange ? { onStateChange: options.onStateChange } : {}),
        });
  const deadlines = createDeadlineQueue();
  // Real time (performance.now()), like the deadlines: they judge a real socket, even under a manual clock.
  let lastAnswerAt = Number.NEGATIVE_INFINITY;
  /**
   * When the last silence was counted as a failure. Calls started before it are part of that silence
   * (they were waiting while it was judged) and count once: a burst of 500 calls at a silent store is one
   * failure, and so is a burst whose own creation kept the event loop busy past some of its deadlines.
   */
  let silenceCountedAt = Number.NEGATIVE_INFINITY;

  /** The store answered (in time or late): it is alive. */
  const answered = (late: boolean) => {
    lastAnswerAt = performance.now();
    // A late answer proves the store alive too: clear the failure count, as an answer in time would.
    if (late && circuit.state === 'closed') circuit.record(circuit.acquire(), 'success');
  };
  const timeoutOutcome = (pending: Pending) => {
    if (lastAnswerAt >= pending.startedAt || pending.startedAt < silenceCountedAt) return 'neutral';
    silenceCountedAt = performance.now();
    return 'failure';
  };

  return {
    run<T>(call: () => Promise<T>): Promise<Guarded<T>> {
      const ticket = circuit.acquire();
      if (ticket === 'refused') return Promise.resolve(REFUSED);
      return new Promise<Guarded<T>>((resolve) => {
        const startedAt = performance.now();
        const pending: Pending = {
          startedAt,
          deadline: startedAt + timeoutMs,
          settled: false,
          expire: () => {
            circuit.record(ticket, timeoutOutcome(pending));
            resolve({ ok: false, error: new TimeoutError(`store call exceeded ${timeoutMs} ms`) });
          },
        };
        const fail = (error: unknown) => {
          const shape = isReplyShapeError(error);
          if (shape) answered(pending.settled);
          if (pending.settled) return;
          pending.settled = true;
          circuit.record(ticket, shape ? 'neutral' : 'failure');
          resolve({
            ok: false,
            error: error instanceof Error ? error : new StoreError('store failed', { cause: error }),
          });
        };
        let started: Promise<T>;
        try {
          started = Promise.resolve(call()); // the same promise when it is one (no extra hop)
        } catch (error) {
          fail(error); // a store that throws instead of rejecting
          return;
        }
        deadlines.add(pending);
        started.then((value) => {
          answered(pending.settled);
          if (pending.settled) return;
          pending.settled = true;
          circuit.record(ticket, 'success');
          resolve({ ok: true, value });
        }, fail);
      });
    },
  };
}

/**
 * The deadlines of calls in flight, in call order, served by at most one timer. A due call is expired in
 * two steps: marked due by the timer, then judged in `setImmediate`, after the event loop has read its
 * sockets. A paused event loop (GC, a saturated CPU) would otherwise fire the timer before reading the
 * answers already waiting, turning them into timeouts and the store's apparent silence into an outage.
 */
function createDeadlineQueue() {
  const queue: Pending[] = [];
  let head = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let due: Pending[] = [];

  const judgeDue = () => {
    const batch = due;
    due = [];
    for (const pending of batch) {
      if (pending.settled) continue; // its answer was waiting in the socket
      pending.settled = true;
      pending.expire();
    }
  };
  const expireDue = () => {
    timer = undefined;
    const now = performance.now();
    while (head < queue.length) {
      const pending = queue[head] as Pending;
      if (!pending.settled) {
        if (pending.deadline > now) break;
        if (due.length === 0) setImmediate(judgeDue);
        due.push(pending);
      }
      head++;
    }
    if (head > 1024 && head * 2 > queue.length) {
      queue.splice(0, head);
      head = 0;
    }
    schedule();
  };
  const schedule = () => {
    while (head < queue.length && (queue[head] as Pending).settled) head++;
    if (head === queue.length) {
      queue.length = 0;
      head = 0;
      return;
    }
    if (timer !== undefined) return;
    timer = setTimeout(expireDue, Math.max(0, (queue[head] as Pending).deadline - performance.now()));
    timer.unref?.();
  };
  return {
    add(pending: Pending): void {
      queue.push(pending);
      if (timer === undefined) schedule();
    },
  };
}
