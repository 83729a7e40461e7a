/** Shared pieces of the QuotaStore contract files. */
import type { ManualClock } from '../../core/manual-clock.js';
import type { QuotaStore, ReserveInput } from '../../uploads/index.js';

/** A test of the suite: a title and a body run on a fresh store and its manual clock. */
export type QuotaCase = readonly [title: string, body: (store: QuotaStore, clock: ManualClock) => unknown];

/** A reserve input at the clock's time (owner `alice`, id `u1`, 10 of 100 bytes, 1 min); `over` replaces any field. */
export function reservation(clock: ManualClock, over: Partial<ReserveInput> = {}): ReserveInput {
  return {
    owner: 'alice',
    uploadId: 'u1',
    bytes: 10,
    limitBytes: 100,
    ttlMs: 60_000,
    nowMs: clock.now(),
    state: '{"key":"quarantine/a"}',
    ...over,
  };
}
