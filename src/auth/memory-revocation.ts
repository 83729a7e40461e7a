/**
 * The memory {@link RevocationStore}: denylist entries and user versions that expire, on the store's
 * clock. No round trip at all on verify.
 */
import type { Clock } from '../core/clock.js';
import { defineOptions, opt } from '../core/options.js';
import { sweeper } from './memory-sweep.js';
import { nextUserVersion } from './store-constants.js';
import type { RevocationStatus, RevocationStore } from './types.js';

/** Options of {@link createMemoryRevocationStore}. */
export interface MemoryRevocationStoreOptions {
  /** The store's time. Default the system clock (the TokenService passes its own). */
  readonly clock?: Clock;
  /**
   * How much longer than asked denylist entries and user versions are kept. Default 0: a memory store
   * shares the process's clock with the service that mints the tokens, so there is no drift to cover.
   * 0 .. 1 h.
   */
  readonly clockSkewMs?: number;
}

const parseOptions = defineOptions('createMemoryRevocationStore', {
  clock: opt.clock(),
  clockSkewMs: opt.integer({ default: 0, min: 0, max: 3_600_000 }),
});

/**
 * Creates an in-memory {@link RevocationStore}. One process only.
 *
 * @example
 * ```ts
 * const revocationStore = createMemoryRevocationStore({ clock });
 * ```
 */
export function createMemoryRevocationStore(options: MemoryRevocationStoreOptions = {}): RevocationStore {
  const { clock, clockSkewMs } = parseOptions(options);
  const denied = new Map<string, number>();
  const versions = new Map<string, { version: number; keepUntilMs: number }>();
  const written = sweeper(() => {
    const nowMs = clock.now();
    for (const [key, untilMs] of denied) if (untilMs <= nowMs) denied.delete(key);
    for (const [key, entry] of versions) if (entry.keepUntilMs <= nowMs) versions.delete(key);
  });
  const jtiKey = (userId: string, jti: string) => `${userId}\u0000${jti}`;
  const version = (userId: string, nowMs: number) => {
    const entry = versions.get(userId);
    if (entry === undefined) return 0;
    if (entry.keepUntilMs <= nowMs) {
      versions.delete(userId);
      return 0;
    }
    return entry.version;
  };
  const isDenied = (userId: string, jti: string, nowMs: number) => {
    const untilMs = denied.get(jtiKey(userId, jti));
    if (untilMs === undefined) return false;
    if (untilMs <= nowMs) {
      denied.delete(jtiKey(userId, jti));
      return false;
    }
    return true;
  };

  return {
    kind: 'memory',
    async revokeJti({ userId, jti, expiresAtMs }) {
      const untilMs = expiresAtMs + clockSkewMs;
      if (untilMs <= clock.now()) return;
      denied.set(jtiKey(userId, jti), Math.max(untilMs, denied.get(jtiKey(userId, jti)) ?? 0));
      written();
    },
    async bumpUserVersion(userId, keepMs) {
      const nowMs = clock.now();
      // Monotonic even after the previous version was forgotten (see RevocationStore.bumpUserVersion).
      const next = nextUserVersion(version(userId, nowMs), nowMs);
      const keepUntilMs = Math.max(nowMs + keepMs + clockSkewMs, versions.get(userId)?.keepUntilMs ?? 0);
      versions.set(userId, { version: next, keepUntilMs });
      written();
      return next;
    },
    userVersion: async (userId) => version(userId, clock.now()),
    async check(userId, jti): Promise<RevocationStatus> {
      const nowMs = clock.now();
      return { jtiRevoked: isDenied(userId, jti, nowMs), userVersion: version(userId, nowMs) };
    },
  };
}
