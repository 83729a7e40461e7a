/**
 * The memory {@link RefreshStore}: rotation with a grace window and reuse detection, with the semantics
 * of the Redis store, on the store's clock.
 */
import type { Clock } from '../core/clock.js';
import { defineOptions, opt } from '../core/options.js';
import { sweeper } from './memory-sweep.js';
import { FIRST_GENERATION } from './store-constants.js';
import type { RefreshRotateInput, RefreshRotation, RefreshStore } from './types.js';

/** Options of {@link createMemoryRefreshStore}. */
export interface MemoryRefreshStoreOptions {
  /** The store's time. Default the system clock (the TokenService passes its own). */
  readonly clock?: Clock;
}

interface Family {
  readonly userId: string;
  readonly expiresAtMs: number;
  generation: number;
  rotatedAtMs: number;
  graceUsed: boolean;
  revoked: boolean;
  readonly tokens: Map<string, number>;
}

const parseOptions = defineOptions('createMemoryRefreshStore', { clock: opt.clock() });

/** The decision of one presentation, on a live family (mutates it as the Redis script does). */
function present(family: Family, input: RefreshRotateInput, nowMs: number): RefreshRotation {
  if (family.revoked) return { status: 'revoked' };
  const generation = family.tokens.get(input.presentedHash);
  if (generation === undefined) return { status: 'unknown' };
  const result = { userId: family.userId, expiresAtMs: family.expiresAtMs };
  if (generation === family.generation) {
    family.generation += 1;
    family.tokens.set(input.nextHash, family.generation);
    family.rotatedAtMs = nowMs;
    family.graceUsed = false;
    return { status: 'rotated', ...result };
  }
  const inGrace = nowMs - family.rotatedAtMs < input.graceMs;
  if (generation === family.generation - 1 && inGrace && !family.graceUsed) {
    family.graceUsed = true;
    family.tokens.set(input.nextHash, family.generation);
    return { status: 'grace', ...result };
  }
  family.revoked = true;
  return { status: 'reused', userId: family.userId };
}

/**
 * Creates an in-memory {@link RefreshStore}. One process only.
 *
 * @example
 * ```ts
 * const tokens = createTokenService({ issuer, audience, keys, refreshStore: createMemoryRefreshStore({ clock }) });
 * ```
 */
export function createMemoryRefreshStore(options: MemoryRefreshStoreOptions = {}): RefreshStore {
  const { clock } = parseOptions(options);
  const families = new Map<string, Family>();
  const byUser = new Map<string, Set<string>>();
  const dropFamily = (familyId: string, family: Family) => {
    families.delete(familyId);
    byUser.get(family.userId)?.delete(familyId);
    if (byUser.get(family.userId)?.size === 0) byUser.delete(family.userId);
  };
  const written = sweeper(() => {
    const nowMs = clock.now();
    for (const [id, family] of families) if (family.expiresAtMs <= nowMs) dropFamily(id, family);
  });
  const live = (familyId: string, nowMs: number) => {
    const family = families.get(familyId);
    if (family !== undefined && family.expiresAtMs <= nowMs) {
      dropFamily(familyId, family);
      return 'expired' as const;
    }
    return family;
  };
  const revoke = (familyId: string, tokenHash?: string) => {
    const family = live(familyId, clock.now());
    if (family === undefined || family === 'expired' || family.revoked) return false;
    if (tokenHash !== undefined && !family.tokens.has(tokenHash)) return false;
    family.revoked = true;
    return true;
  };

  return {
    kind: 'memory',
    async createFamily(input) {
      const nowMs = clock.now();
      families.set(input.familyId, {
        userId: input.userId,
        expiresAtMs: input.expiresAtMs,
        generation: FIRST_GENERATION,
        rotatedAtMs: nowMs,
        graceUsed: true, // nothing to be graceful about before the first rotation
        revoked: false,
        tokens: new Map([[input.tokenHash, FIRST_GENERATION]]),
      });
      const ids = byUser.get(input.userId) ?? new Set<string>();
      ids.add(input.familyId);
      byUser.set(input.userId, ids);
      written();
    },
    async rotate(input) {
      const nowMs = clock.now();
      const family = live(input.familyId, nowMs);
      if (family === 'expired') return { status: 'expired' };
      if (family === undefined) return { status: 'unknown' };
      return present(family, input, nowMs);
    },
    revokeFamily: async (familyId, tokenHash) => revoke(familyId, tokenHash),
    async revokeUser(userId) {
      let count = 0;
      for (const familyId of [...(byUser.get(userId) ?? [])]) if (revoke(familyId)) count += 1;
      return count;
    },
  };
}
