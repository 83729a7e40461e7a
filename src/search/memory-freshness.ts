/**
 * Freshness of the memory source. Without a `sourceWatermark` the memory source is the source of truth
 * (`strong`, lag 0). With one, it is an index fed by the app's change feed (`eventual`): the lag is the
 * source of truth's newest change (the watermark, read at most once per `watermarkRefreshMs`) minus the
 * newest change applied here.
 */
import type { Clock } from '../core/clock.js';
import type { Freshness } from './types.js';

/** The app's newest `updated_at` in its source of truth, epoch ms, or null when it has none. */
export type SourceWatermark = () => number | null | Promise<number | null>;

/** Tracks the two watermarks of one memory source. */
export interface FreshnessTracker {
  /** Records changes applied through `ms` (the newest `updatedAt` of a batch, or a feed position). */
  applied(ms: number | null): void;
  /** The freshness to report with a result. */
  read(): Promise<Freshness>;
}

/** How long one call of the watermark function may take before it reads as unknown. */
export const WATERMARK_TIMEOUT_MS = 500;

const validWatermark = (value: unknown): number | null =>
  typeof value === 'number' && Number.isFinite(value) ? value : null;

/** Creates the tracker; `watermark` undefined means the source is its own source of truth. */
export function createFreshness(
  watermark: SourceWatermark | undefined,
  refreshMs: number,
  clock: Clock,
): FreshnessTracker {
  let indexedThroughMs: number | null = null;
  let cached: { value: number | null; atMs: number } | undefined;
  let pending: Promise<number | null> | undefined;

  const refresh = async (fn: SourceWatermark): Promise<number | null> => {
    const stop = new AbortController();
    try {
      // A watermark that never answers must not hold every later query: after the bound it reads as
      // unknown, and the next refresh calls the function again.
      const bound = clock.sleep(WATERMARK_TIMEOUT_MS, stop.signal).then(
        () => null,
        () => null,
      );
      return validWatermark(await Promise.race([Promise.resolve().then(fn), bound]));
    } catch {
      // An unreadable watermark means the lag is unknown (null), not that the query fails: search
      // stays up while the source of truth is down, and the freshness says it cannot vouch for it.
      return null;
    } finally {
      stop.abort();
    }
  };

  const sourceNewest = async (fn: SourceWatermark): Promise<number | null> => {
    const now = clock.now();
    if (cached !== undefined && now - cached.atMs < refreshMs) return cached.value;
    // Concurrent queries share one call to the watermark function.
    pending ??= refresh(fn).then((value) => {
      cached = { value, atMs: now };
      pending = undefined;
      return value;
    });
    return pending;
  };

  return {
    applied(ms) {
      if (ms !== null && (indexedThroughMs === null || ms > indexedThroughMs)) indexedThroughMs = ms;
    },
    async read() {
      if (watermark === undefined) {
        return {
          consistency: 'strong',
          sourceNewestMs: indexedThroughMs,
          indexedThroughMs,
          lagMs: 0,
        };
      }
      const newest = await sourceNewest(watermark);
      const through = indexedThroughMs;
      return {
        consistency: 'eventual',
        sourceNewestMs: newest,
        indexedThroughMs: through,
        lagMs: newest === null || through === null ? null : Math.max(0, newest - through),
      };
    },
  };
}
