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
import {
  type CircuitBreaker,
  type CircuitOutcome,
  type CircuitState,
  type CircuitTicket,
  createCircuitBreaker,
} from '../core/circuit.js';
import type { Clock } from '../core/clock.js';
import { StoreError, TimeoutError } from '../core/errors.js';
import { ReplyShapeError } from '../core/redis/reply.js';
import type { AnswerSink } from './store.js';

/** Consecutive failures that open the circuit. */
export const FAILURES_TO_OPEN = 3;

/** Outcome of a guarded call. */
export type Guarded<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: Error };

/** A guard for one store. */
export interface StoreGuard {
  run<T>(call: () => Promise<T>): Promise<Guarded<T>>;
  /** `run(() => call(arg))` without a closure per call (the rate limiter's hot path). */
  runWith<A, T>(call: (arg: A) => Promise<T>, arg: A): Promise<Guarded<T>>;
  /**
   * Like `runWith`, for a call that answers into `sink` instead of returning a promise (the Redis store's
   * batcher): no promise and no `then` closures between the store and the guard.
   */
  runInto<A, T>(call: (arg: A, sink: AnswerSink<T>) => void, arg: A): Promise<Guarded<T>>;
  /**
   * Like `runInto`, resolving to `outcomes.value(arg, value)` or `outcomes.error(arg, error)` instead of a
   * `Guarded` (no outcome object, and no `then` for the caller to map it). A throwing `value` counts as
   * an error; `error` must not throw.
   */
  runMapped<A, T, R>(
    call: (arg: A, sink: AnswerSink<T>) => void,
    arg: A,
    outcomes: Outcomes<A, T, R>,
  ): Promise<R>;
}

/** How a guarded call's answer becomes what its promise resolves to (see `StoreGuard.runMapped`). */
export interface Outcomes<A, T, R> {
  value(arg: A, value: T): R;
  error(arg: A, error: Error): R;
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
  expire(): void;
}

/**
 * The resolve function of the promise just constructed with {@link captureResolve}: one shared executor
 * instead of a closure per call (the executor runs synchronously, inside the constructor).
 */
let capturedResolve: ((value: never) => void) | undefined;
const captureResolve = (resolve: (value: never) => void): void => {
  capturedResolve = resolve;
};

/** What a guard's calls share: their timeout, the circuit, and how a call's outcome is judged. */
interface GuardCore {
  readonly timeoutMs: number;
  readonly circuit: CircuitBreaker;
  answered(late: boolean): void;
  timeoutOutcome(pending: Pending): CircuitOutcome;
}

/** The `Guarded` outcome of `run`, `runWith` and `runInto`. */
const guardedOutcomes: Outcomes<unknown, unknown, Guarded<unknown>> = {
  value: (_arg, value) => ({ ok: true, value }),
  error: (_arg, error) => ({ ok: false, error }),
};

/**
 * One guarded call in flight: its deadline entry, its sink and its answer, in one object (no closures
 * but `then`'s, and none at all when the store answers into the sink).
 */
class GuardedCall<A, T, R> implements Pending, AnswerSink<T> {
  readonly startedAt: number;
  readonly deadline: number;
  settled = false;
  /** Until taken by the caller: the deadline queue keeps settled calls a while, not their answers. */
  private promise: Promise<R> | undefined;
  /** Until answered: dropped then, for the same reason. */
  private answer: ((outcome: R) => void) | undefined;
  private arg: A | undefined;
  constructor(
    private readonly core: GuardCore,
    private readonly ticket: CircuitTicket,
    arg: A,
    private readonly outcomes: Outcomes<A, T, R>,
  ) {
    this.startedAt = performance.now();
    this.deadline = this.startedAt + core.timeoutMs;
    this.arg = arg;
    this.promise = new Promise<R>(captureResolve);
    this.answer = capturedResolve as (outcome: R) => void;
    capturedResolve = undefined;
  }

  /** What the caller awaits (once, right after construction). */
  takePromise(): Promise<R> {
    const promise = this.promise as Promise<R>;
    this.promise = undefined;
    return promise;
  }

  /** Answers the caller once, then lets go of the call's argument and answer. */
  private settleWith(outcome: R): void {
    const answer = this.answer;
    this.answer = undefined;
    this.arg = undefined;
    answer?.(outcome);
  }

  expire(): void {
    const { core } = this;
    core.circuit.record(this.ticket, core.timeoutOutcome(this));
    this.answerError(new TimeoutError(`store call exceeded ${core.timeoutMs} ms`));
  }

  succeed(value: T): void {
    this.core.answered(this.settled);
    if (this.settled) return;
    this.settled = true;
    this.core.circuit.record(this.ticket, 'success');
    let outcome: R;
    try {
      outcome = this.outcomes.value(this.arg as A, value);
    } catch (error) {
      this.answerError(error);
      return;
    }
    this.settleWith(outcome);
  }

  resolve(value: T): void {
    this.succeed(value);
  }

  reject(error: unknown): void {
    this.fail(error);
  }

  fail(error: unknown): void {
    const shape = isReplyShapeError(error);
    if (shape) this.core.answered(this.settled);
    if (this.settled) return;
    this.settled = true;
    this.core.circuit.record(this.ticket, shape ? 'neutral' : 'failure');
    this.answerError(error);
  }

  private answerError(error: unknown): void {
    this.settleWith(
      this.outcomes.error(
        this.arg as A,
        error instanceof Error ? error : new StoreError('store failed', { cause: error }),
      ),
    );
  }
}

const REFUSED_ERROR = new StoreError('store circuit open after repeated failures');
const REFUSED: Guarded<never> = { ok: false, error: REFUSED_ERROR };

/** A reply of the wrong shape: the store answered, so it is alive; skipping it would not fix a bug. */
function isReplyShapeError(error: unknown): boolean {
  if (error instanceof ReplyShapeError) return true;
  if (!(error instanceof StoreError)) return false;
  // The Redis adapters name every shape error "unexpected reply from redis script ..." (core/redis/script.ts).
  return error.cause instanceof ReplyShapeError || error.message.startsWith('unexpected reply from ');
}

const unguardedOk = <T>(value: T): Guarded<T> => ({ ok: true, value });
const unguardedFailure = (error: unknown): Guarded<never> => ({
  ok: false,
  error: error instanceof Error ? error : new StoreError('store failed', { cause: error }),
});
/**
 * A guard without deadline or circuit, for in-process stores that cannot hang (the insurance stores);
 * it only turns a rejection into a `Guarded` failure.
 */
export const unguarded: StoreGuard = {
  run: <T>(call: () => Promise<T>) => call().then(unguardedOk<T>, unguardedFailure),
  runWith: <A, T>(call: (arg: A) => Promise<T>, arg: A) => call(arg).then(unguardedOk<T>, unguardedFailure),
  runInto: <A, T>(call: (arg: A, sink: AnswerSink<T>) => void, arg: A) =>
    new Promise<T>((resolve, reject) => call(arg, { resolve, reject })).then(
      unguardedOk<T>,
      unguardedFailure,
    ),
  runMapped: <A, T, R>(call: (arg: A, sink: AnswerSink<T>) => void, arg: A, outcomes: Outcomes<A, T, R>) =>
    new Promise<T>((resolve, reject) => call(arg, { resolve, reject })).then(
      (value) => outcomes.value(arg, value),
      (error: unknown) =>
        outcomes.error(
          arg,
          error instanceof Error ? error : new StoreError('store failed', { cause: error }),
        ),
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

  const core: GuardCore = {
    timeoutMs,
    circuit,
    /** The store answered (in time or late): it is alive. */
    answered(late) {
      lastAnswerAt = performance.now();
      // A late answer proves the store alive too: clear the failure count, as an answer in time would.
      if (late && circuit.state === 'closed') circuit.record(circuit.acquire(), 'success');
    },
    timeoutOutcome(pending) {
      if (lastAnswerAt >= pending.startedAt || pending.startedAt < silenceCountedAt) return 'neutral';
      silenceCountedAt = performance.now();
      return 'failure';
    },
  };

  const runWith = <A, T>(call: (arg: A) => Promise<T>, arg: A): Promise<Guarded<T>> => {
    const ticket = circuit.acquire();
    if (ticket === 'refused') return Promise.resolve(REFUSED);
    const guarded = new GuardedCall(core, ticket, arg, guardedOutcomes as Outcomes<A, T, Guarded<T>>);
    const promise = guarded.takePromise();
    let started: Promise<T>;
    try {
      started = Promise.resolve(call(arg)); // the same promise when it is one (no extra hop)
    } catch (error) {
      guarded.fail(error); // a store that throws instead of rejecting
      return promise;
    }
    deadlines.add(guarded);
    started.then(
      (value) => guarded.succeed(value),
      (error: unknown) => guarded.fail(error),
    );
    return promise;
  };
  const runMapped = <A, T, R>(
    call: (arg: A, sink: AnswerSink<T>) => void,
    arg: A,
    outcomes: Outcomes<A, T, R>,
  ): Promise<R> => {
    const ticket = circuit.acquire();
    if (ticket === 'refused') return Promise.resolve(outcomes.error(arg, REFUSED_ERROR));
    const guarded = new GuardedCall(core, ticket, arg, outcomes);
    const promise = guarded.takePromise();
    try {
      call(arg, guarded);
    } catch (error) {
      guarded.fail(error); // a store that throws instead of answering
      return promise;
    }
    // Added after the call, like runWith's; an answer given synchronously has already settled it.
    if (!guarded.settled) deadlines.add(guarded);
    return promise;
  };
  const callThunk = <T>(call: () => Promise<T>): Promise<T> => call();

  return {
    run: <T>(call: () => Promise<T>) => runWith(callThunk<T>, call),
    runWith,
    runInto: <A, T>(call: (arg: A, sink: AnswerSink<T>) => void, arg: A) =>
      runMapped(call, arg, guardedOutcomes as Outcomes<A, T, Guarded<T>>),
    runMapped,
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
      // Let go of the calls answered since (they mostly answer in call order): a settled call would
      // otherwise stay here until the next timer, a whole timeout later, and outlive the young generation.
      while (head < queue.length && (queue[head] as Pending).settled) head++;
      if (head === queue.length) {
        queue.length = 0;
        head = 0;
      } else if (head > 1024 && head * 2 > queue.length) {
        queue.splice(0, head);
        head = 0;
      }
      queue.push(pending);
      if (timer === undefined) schedule();
    },
  };
}
