/**
 * Per-attempt timeouts on one timer per worker instead of one per job: jobs mostly share a timeout, so
 * a new deadline rarely comes before the armed one, and arming is a Map insert.
 */
import type { Clock } from '../core/clock.js';

/** Reason for cancelling internal timers: preallocated, because `abort()` without one builds a DOMException. */
const CANCELLED = new Error('cancelled');
const ignore = () => {};

/** Deadlines of running items on one timer. */
export interface Timeouts<T> {
  /** Fires `item` at `atMs` unless disarmed first. */
  arm(item: T, atMs: number, limitMs: number): void;
  /** Forgets the item; the armed timer stays (it finds nothing due and stops), saving a re-arm per job. */
  disarm(item: T): void;
  /** Cancels the timer (worker closed). */
  clear(): void;
}

/** Creates the timeouts of one worker; `fire` runs for each item past its deadline. */
export function createTimeouts<T>(clock: Clock, fire: (item: T, limitMs: number) => void): Timeouts<T> {
  const deadlines = new Map<T, { atMs: number; limitMs: number }>();
  let armedAtMs = Number.POSITIVE_INFINITY;
  let timer: AbortController | undefined;

  const fireDue = () => {
    const nowMs = clock.now();
    let nextMs = Number.POSITIVE_INFINITY;
    for (const [item, d] of deadlines) {
      if (d.atMs <= nowMs) {
        deadlines.delete(item);
        fire(item, d.limitMs);
      } else if (d.atMs < nextMs) {
        nextMs = d.atMs;
      }
    }
    if (nextMs !== Number.POSITIVE_INFINITY) armAt(nextMs);
  };

  const armAt = (atMs: number) => {
    timer?.abort(CANCELLED);
    const current = new AbortController();
    timer = current;
    armedAtMs = atMs;
    clock.sleep(atMs - clock.now(), current.signal).then(() => {
      if (timer !== current) return;
      timer = undefined;
      armedAtMs = Number.POSITIVE_INFINITY;
      fireDue();
    }, ignore);
  };

  return {
    arm(item, atMs, limitMs) {
      deadlines.set(item, { atMs, limitMs });
      if (atMs < armedAtMs) armAt(atMs);
    },
    disarm(item) {
      deadlines.delete(item);
    },
    clear() {
      deadlines.clear();
      timer?.abort(CANCELLED);
      timer = undefined;
      armedAtMs = Number.POSITIVE_INFINITY;
    },
  };
}
