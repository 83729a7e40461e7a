import type { Clock } from './clock.js';
import { InvalidArgumentError } from './errors.js';

/** A clock that moves only when told to. Sleepers wake, in deadline order, as time passes them. */
export interface ManualClock extends Clock {
  /** Moves time forward by `ms` (>= 0) and wakes every sleeper whose deadline has passed. */
  advance(ms: number): void;
  /** Sets the time to `ms` since the epoch; time may not go backwards. */
  set(ms: number): void;
  /** Number of sleepers still waiting, for tests that assert nothing is left pending. */
  pendingSleepers(): number;
}

interface Sleeper {
  readonly wakeAtMs: number;
  readonly resolve: () => void;
}

/**
 * Creates a manual clock starting at `startMs` (default `0`).
 *
 * @example
 * ```ts
 * const clock = createManualClock(Date.UTC(2026, 0, 1));
 * const limiter = createRateLimiter({ name: 'api', algorithm: fixedWindow({ limit: 2, windowMs: 1000 }), clock });
 * clock.advance(1000); // next window
 * ```
 */
export function createManualClock(startMs = 0): ManualClock {
  if (!Number.isFinite(startMs)) throw new InvalidArgumentError('`startMs` must be a finite number');
  let nowMs = startMs;
  let sleepers: Sleeper[] = [];

  const wake = () => {
    const due = sleepers.filter((s) => s.wakeAtMs <= nowMs).sort((a, b) => a.wakeAtMs - b.wakeAtMs);
    sleepers = sleepers.filter((s) => s.wakeAtMs > nowMs);
    for (const sleeper of due) sleeper.resolve();
  };

  const moveTo = (ms: number) => {
    if (!Number.isFinite(ms)) throw new InvalidArgumentError('time must be a finite number');
    if (ms < nowMs) throw new InvalidArgumentError('a manual clock cannot go backwards');
    nowMs = ms;
    wake();
  };

  return {
    now: () => nowMs,
    sleep(ms, signal) {
      return new Promise<void>((resolve, reject) => {
        if (signal?.aborted) {
          reject(signal.reason);
          return;
        }
        const sleeper: Sleeper = {
          wakeAtMs: nowMs + Math.max(0, ms),
          resolve: () => {
            signal?.removeEventListener('abort', onAbort);
            resolve();
          },
        };
        const onAbort = () => {
          sleepers = sleepers.filter((s) => s !== sleeper);
          reject(signal?.reason);
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        sleepers.push(sleeper);
        if (ms <= 0) wake();
      });
    },
    advance: (ms) => {
      if (!Number.isFinite(ms) || ms < 0)
        throw new InvalidArgumentError('`advance(ms)` needs a finite ms >= 0');
      moveTo(nowMs + ms);
    },
    set: moveTo,
    pendingSleepers: () => sleepers.length,
  };
}
