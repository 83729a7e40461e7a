/**
 * Guards store calls: a deadline per call, and a small circuit that stops calling a store which failed
 * several times in a row, so a dead Redis costs no latency. Shared by the rate and concurrency limiters.
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

/** Creates a guard with `timeoutMs` per call and a circuit open for `retryAfterMs` after repeated failures. */
export function createStoreGuard(clock: Clock, timeoutMs: number, retryAfterMs: number): StoreGuard {
  let consecutiveFailures = 0;
  let openUntilMs = 0;

  const withDeadline = <T>(call: () => Promise<T>) =>
    new Promise<T>((resolve, reject) => {
      // A real timer even under a manual clock: the deadline protects real requests from a real socket.
      const timer = setTimeout(
        () => reject(new TimeoutError(`store call exceeded ${timeoutMs} ms`)),
        timeoutMs,
      );
      timer.unref?.();
      call().then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });

  return {
    async run(call) {
      if (consecutiveFailures >= FAILURES_TO_OPEN && clock.now() < openUntilMs) {
        return { ok: false, error: new StoreError('store circuit open after repeated failures') };
      }
      try {
        const value = await withDeadline(call);
        consecutiveFailures = 0;
        return { ok: true, value };
      } catch (error) {
        consecutiveFailures++;
        if (consecutiveFailures >= FAILURES_TO_OPEN) openUntilMs = clock.now() + retryAfterMs;
        return {
          ok: false,
          error: error instanceof Error ? error : new StoreError('store failed', { cause: error }),
        };
      }
    },
  };
}
