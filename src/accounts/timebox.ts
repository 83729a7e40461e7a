/**
 * The response-time floor: a call that must not reveal which path it took (a known or an unknown
 * email) finishes no sooner than `floorMs` after it started. The floor hides differences smaller than
 * itself; it cannot hide a path slower than the floor, so the slow parts (sending mail) run in the
 * queue, and both paths do the same hashing.
 */
import type { Clock } from '../core/clock.js';

/** Runs `work`, then waits out the rest of `floorMs` (on success and on failure alike). */
export async function withFloor<T>(clock: Clock, floorMs: number, work: () => Promise<T>): Promise<T> {
  const startedAtMs = clock.now();
  try {
    return await work();
  } finally {
    const leftMs = startedAtMs + floorMs - clock.now();
    if (leftMs > 0) await clock.sleep(leftMs);
  }
}
