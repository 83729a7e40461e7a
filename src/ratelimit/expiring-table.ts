/**
 * A bounded map whose entries carry their own expiry, for the memory store. No timers: expired entries go
 * when read, and a persistent cursor walks the map a few entries per insertion, dropping the expired ones
 * (only insertions grow the map, so sweeping on them keeps it bounded without taxing the hot path).
 * Beyond `maxEntries`, the CLOCK algorithm picks a victim: entries read since the cursor last passed are
 * spared once, so hot keys survive and idle ones go (an O(1) approximation of least-recently-used).
 *
 * Entries are never moved on access (no delete + re-insert), because a Map that churns like that collects
 * holes its iterators must skip, which made every sweep slower the longer the process ran.
 */

/** What the table needs of a value. */
export interface Expiring {
  expiresAtMs: number;
  /** Set on every read; cleared when the cursor passes. */
  referenced: boolean;
}

/** Entries the cursor examines per call. */
const SWEEP_STEPS = 2;
/** Most referenced entries spared while looking for an eviction victim. */
const MAX_SECOND_CHANCES = 64;

/** The table described above; one per policy of each limiter in the memory store. */
export class ExpiringTable<V extends Expiring> {
  private readonly map = new Map<string, V>();
  private cursor: IterableIterator<[string, V]> | undefined;

  constructor(private readonly maxEntries: number) {}

  get size(): number {
    return this.map.size;
  }

  get(key: string, nowMs: number): V | undefined {
    const value = this.map.get(key);
    if (value === undefined) return undefined;
    if (value.expiresAtMs <= nowMs) {
      this.map.delete(key);
      return undefined;
    }
    value.referenced = true;
    return value;
  }

  set(key: string, value: V, nowMs: number): void {
    const isNew = !this.map.has(key);
    if (isNew) this.sweep(nowMs);
    this.map.set(key, value);
    if (isNew && this.map.size > this.maxEntries) this.evictOne();
  }

  delete(key: string): void {
    this.map.delete(key);
  }

  /** Moves the hand a few entries: drops the expired ones, clears the others' reference bit. */
  private sweep(nowMs: number): void {
    for (let i = 0; i < SWEEP_STEPS; i++) {
      const next = this.advance();
      if (!next) return;
      if (next[1].expiresAtMs <= nowMs) this.map.delete(next[0]);
      else next[1].referenced = false; // the CLOCK hand clears what it passes
    }
  }

  private evictOne(): void {
    for (let spared = 0; ; spared++) {
      const next = this.advance();
      if (!next) return;
      const [key, value] = next;
      if (value.referenced && spared < MAX_SECOND_CHANCES) {
        value.referenced = false;
        continue;
      }
      this.map.delete(key);
      return;
    }
  }

  private advance(): [string, V] | undefined {
    let step = this.cursor?.next();
    if (!step || step.done) {
      this.cursor = this.map.entries();
      step = this.cursor.next();
    }
    return step.done ? undefined : step.value;
  }
}
