/**
 * Memory stores: the default. They keep the real semantics of the Redis stores (rotation with a grace
 * window and reuse detection, denylist entries that expire, idle and absolute session timeouts, the
 * per-user cap) using the time passed in by the caller, so a manual clock drives them in tests. One
 * process only: use `backend-patterns/auth/redis` when more than one instance verifies.
 */
import type {
  RefreshFamilyInput,
  RefreshRotateInput,
  RefreshRotation,
  RefreshStore,
  RevocationStatus,
  RevocationStore,
  SessionLookup,
  SessionRecord,
  SessionStore,
} from './types.js';

// Expired entries are dropped lazily on access, and in a full sweep every this many writes.
const SWEEP_EVERY_WRITES = 1024;

function sweeper(sweep: () => void): () => void {
  let writes = 0;
  return () => {
    writes += 1;
    if (writes % SWEEP_EVERY_WRITES === 0) sweep();
  };
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

/**
 * Creates an in-memory {@link RefreshStore}.
 *
 * @example
 * ```ts
 * const tokens = createTokenService({ issuer, audience, keys, refreshStore: createMemoryRefreshStore() });
 * ```
 */
export function createMemoryRefreshStore(): RefreshStore {
  const families = new Map<string, Family>();
  const byUser = new Map<string, Set<string>>();
  let lastNowMs = 0;
  const dropFamily = (familyId: string, family: Family) => {
    families.delete(familyId);
    byUser.get(family.userId)?.delete(familyId);
    if (byUser.get(family.userId)?.size === 0) byUser.delete(family.userId);
  };
  const written = sweeper(() => {
    for (const [id, family] of families) if (family.expiresAtMs <= lastNowMs) dropFamily(id, family);
  });
  const live = (familyId: string, nowMs: number) => {
    lastNowMs = Math.max(lastNowMs, nowMs);
    const family = families.get(familyId);
    if (family !== undefined && family.expiresAtMs <= nowMs) {
      dropFamily(familyId, family);
      return 'expired' as const;
    }
    return family;
  };

  return {
    async createFamily(input: RefreshFamilyInput) {
      lastNowMs = Math.max(lastNowMs, input.nowMs);
      families.set(input.familyId, {
        userId: input.userId,
        expiresAtMs: input.expiresAtMs,
        generation: 0,
        rotatedAtMs: input.nowMs,
        graceUsed: true, // nothing to be graceful about before the first rotation
        revoked: false,
        tokens: new Map([[input.tokenHash, 0]]),
      });
      const ids = byUser.get(input.userId) ?? new Set<string>();
      ids.add(input.familyId);
      byUser.set(input.userId, ids);
      written();
    },
    async rotate(input: RefreshRotateInput): Promise<RefreshRotation> {
      const family = live(input.familyId, input.nowMs);
      if (family === 'expired') return { status: 'expired' };
      if (family === undefined) return { status: 'unknown' };
      if (family.revoked) return { status: 'revoked' };
      const generation = family.tokens.get(input.presentedHash);
      if (generation === undefined) return { status: 'unknown' };
      const result = { userId: family.userId, expiresAtMs: family.expiresAtMs };
      if (generation === family.generation) {
        family.generation += 1;
        family.tokens.set(input.nextHash, family.generation);
        family.rotatedAtMs = input.nowMs;
        family.graceUsed = false;
        return { status: 'rotated', ...result };
      }
      const inGrace = input.nowMs - family.rotatedAtMs < input.graceMs;
      if (generation === family.generation - 1 && inGrace && !family.graceUsed) {
        family.graceUsed = true;
        family.tokens.set(input.nextHash, family.generation);
        return { status: 'grace', ...result };
      }
      family.revoked = true;
      return { status: 'reused', userId: family.userId };
    },
    async revokeFamily(familyId, nowMs, tokenHash) {
      const family = live(familyId, nowMs);
      if (family === undefined || family === 'expired') return false;
      if (family.revoked) return false;
      if (tokenHash !== undefined && !family.tokens.has(tokenHash)) return false;
      family.revoked = true;
      return true;
    },
    async revokeUser(userId, nowMs) {
      let count = 0;
      for (const familyId of [...(byUser.get(userId) ?? [])]) {
        const family = live(familyId, nowMs);
        if (family === undefined || family === 'expired' || family.revoked) continue;
        family.revoked = true;
        count += 1;
      }
      return count;
    },
  };
}

/**
 * Creates an in-memory {@link RevocationStore}: no round trip at all on verify.
 *
 * @example
 * ```ts
 * const revocationStore = createMemoryRevocationStore();
 * ```
 */
export function createMemoryRevocationStore(): RevocationStore {
  const denied = new Map<string, number>();
  const versions = new Map<string, { version: number; keepUntilMs: number }>();
  let lastNowMs = 0;
  const written = sweeper(() => {
    for (const [key, untilMs] of denied) if (untilMs <= lastNowMs) denied.delete(key);
    for (const [key, entry] of versions) if (entry.keepUntilMs <= lastNowMs) versions.delete(key);
  });
  const jtiKey = (userId: string, jti: string) => `${userId}\u0000${jti}`;
  const version = (userId: string, nowMs: number) => {
    lastNowMs = Math.max(lastNowMs, nowMs);
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
    async revokeJti(userId, jti, expiresAtMs, nowMs) {
      lastNowMs = Math.max(lastNowMs, nowMs);
      if (expiresAtMs <= nowMs) return;
      denied.set(jtiKey(userId, jti), Math.max(expiresAtMs, denied.get(jtiKey(userId, jti)) ?? 0));
      written();
    },
    async bumpUserVersion(userId, keepMs, nowMs) {
      const next = version(userId, nowMs) + 1;
      versions.set(userId, { version: next, keepUntilMs: nowMs + keepMs });
      written();
      return next;
    },
    async userVersion(userId, nowMs) {
      return version(userId, nowMs);
    },
    async check(userId, jti, nowMs): Promise<RevocationStatus> {
      return { jtiRevoked: isDenied(userId, jti, nowMs), userVersion: version(userId, nowMs) };
    },
  };
}

/**
 * Creates an in-memory {@link SessionStore}.
 *
 * @example
 * ```ts
 * const sessions = createSessionManager({ store: createMemorySessionStore() });
 * ```
 */
export function createMemorySessionStore(): SessionStore {
  const sessions = new Map<string, SessionRecord>();
  const byUser = new Map<string, Set<string>>();
  let lastNowMs = 0;

  const expiry = (record: SessionRecord, nowMs: number): SessionLookup['status'] =>
    nowMs >= record.absoluteExpiresAtMs
      ? 'absolute-timeout'
      : nowMs - record.lastActiveAtMs >= record.idleTimeoutMs
        ? 'idle-timeout'
        : 'active';
  const remove = (id: string) => {
    const record = sessions.get(id);
    if (record === undefined) return undefined;
    sessions.delete(id);
    const ids = byUser.get(record.userId);
    ids?.delete(id);
    if (ids?.size === 0) byUser.delete(record.userId);
    return record;
  };
  const written = sweeper(() => {
    for (const [id, record] of sessions) if (expiry(record, lastNowMs) !== 'active') remove(id);
  });
  const liveOfUser = (userId: string, nowMs: number) => {
    const records: SessionRecord[] = [];
    for (const id of [...(byUser.get(userId) ?? [])]) {
      const record = sessions.get(id);
      if (record === undefined) continue;
      if (expiry(record, nowMs) !== 'active') remove(id);
      else records.push(record);
    }
    // Oldest = earliest absolute deadline, the order the Redis index keeps.
    return records.sort((a, b) => a.absoluteExpiresAtMs - b.absoluteExpiresAtMs);
  };

  return {
    async create(record, maxPerUser) {
      lastNowMs = Math.max(lastNowMs, record.lastActiveAtMs);
      sessions.set(record.id, { ...record, data: { ...record.data } });
      const ids = byUser.get(record.userId) ?? new Set<string>();
      ids.add(record.id);
      byUser.set(record.userId, ids);
      // The new session itself is never the one evicted, even when it inherited an early deadline.
      const others = liveOfUser(record.userId, record.lastActiveAtMs).filter((r) => r.id !== record.id);
      const evictedIds = others.slice(0, Math.max(0, others.length + 1 - maxPerUser)).map((r) => r.id);
      for (const id of evictedIds) remove(id);
      written();
      return { evictedIds };
    },
    async touch(id, nowMs) {
      lastNowMs = Math.max(lastNowMs, nowMs);
      const record = sessions.get(id);
      if (record === undefined) return { status: 'unknown' };
      const status = expiry(record, nowMs);
      if (status !== 'active') {
        remove(id);
        return { status };
      }
      const touched = { ...record, lastActiveAtMs: nowMs };
      sessions.set(id, touched);
      return { status: 'active', record: touched };
    },
    async take(id, nowMs) {
      const record = remove(id);
      return record !== undefined && expiry(record, nowMs) === 'active' ? record : undefined;
    },
    async delete(id) {
      return remove(id) !== undefined;
    },
    async listByUser(userId, nowMs) {
      lastNowMs = Math.max(lastNowMs, nowMs);
      return liveOfUser(userId, nowMs);
    },
    async deleteByUser(userId) {
      let count = 0;
      for (const id of [...(byUser.get(userId) ?? [])]) if (remove(id)) count += 1;
      return count;
    },
  };
}
