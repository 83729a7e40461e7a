/**
 * Guards store calls: a deadline per call, and a small circuit that stops calling a store which failed
 * several times in a row, so a dead Redis costs no latency. Shared by the rate and concurrency limiters.
 *
 * Every call of one guard has the same timeout, so deadlines expire in call order: one queue and at most
 * one timer serve all calls in flight, instead of a timer per call on the hot path.
 */
import type { Clock } from '../core/clock.js';
import { StoreError, TimeoutError } from '../core/errors.js';

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

interface Pending {
  readonly deadline: number;
  settled: boolean;
  readonly expire: () => void;
}

/**
 * Creates a guard with `timeoutMs` per call and a circuit open for `retryAfterMs` after repeated failures.
 */
export function createStoreGuard(clock: Clock, timeoutMs: number, retryAfterMs: number): StoreGuard {
  let consecutiveFailures = 0;
  let openUntilMs = 0;
  const queue: Pending[] = [];
  let head = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;

  // Deadlines use real time even under a manual clock: they protect real requests from a real socket.
  const expireDue = () => {
    timer = undefined;
    const now = performance.now();
    while (head < queue.length) {
      const pending = queue[head] as Pending;
      if (!pending.settled) {
        if (pending.deadline > now) break;
        pending.settled = true;
        pending.expire();
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

  const withDeadline = <T>(call: () => Promise<T>): Promise<T> => {
    return new Promise<T>((resolve, reject) => {
      const pending: Pending = {
        deadline: performance.now() + timeoutMs,
        settled: false,
        expire: () => reject(new TimeoutError(`store call exceeded ${timeoutMs} ms`)),
      };
      queue.push(pending);
      if (timer === undefined) schedule();
      call().then(
        (value) => {
          if (pending.settled) return;
          pending.settled = true;
          resolve(value);
        },
        (error: unknown) => {
          if (pending.settled) return;
          pending.settled = true;
          reject(error);
        },
      );
    });
  };

  const succeeded = <T>(value: T): Guarded<T> => {
    consecutiveFailures = 0;
    return { ok: true, value };
  };
  const failed = (error: unknown): Guarded<never> => {
    consecutiveFailures++;
    if (consecutiveFailures >= FAILURES_TO_OPEN) openUntilMs = clock.now() + retryAfterMs;
    return {
      ok: false,
      error: error instanceof Error ? error : new StoreError('store failed', { cause: error }),
    };
  };

  return {
    run<T>(call: () => Promise<T>): Promise<Guarded<T>> {
      if (consecutiveFailures >= FAILURES_TO_OPEN && clock.now() < openUntilMs) {
        return Promise.resolve({
          ok: false,
          error: new StoreError('store circuit open after repeated failures'),
        });
      }
      let started: Promise<T>;
      try {
        started = withDeadline(call);
      } catch (error) {
        return Promise.resolve(failed(error)); // a store that throws instead of rejecting
      }
      return started.then(succeeded, failed);
    },
  };
}
