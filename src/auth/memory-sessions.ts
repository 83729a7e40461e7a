/**
 * The memory {@link SessionStore}: idle and absolute timeouts and the per-user cap, with the semantics
 * of the Redis store, on the store's clock.
 */
import type { Clock } from '../core/clock.js';
import { defineOptions, opt } from '../core/options.js';
import { sweeper } from './memory-sweep.js';
import type { SessionLookup, SessionRecord, SessionStore } from './types.js';

/** Options of {@link createMemorySessionStore}. */
export interface MemorySessionStoreOptions {
  /** The store's time. Default the system clock (pass the session manager's). */
  readonly clock?: Clock;
}

const parseOptions = defineOptions('createMemorySessionStore', { clock: opt.clock() });

const expiry = (record: SessionRecord, nowMs: number): SessionLookup['status'] =>
  nowMs >= record.absoluteExpiresAtMs
    ? 'absolute-timeout'
    : nowMs - record.lastActiveAtMs >= record.idleTimeoutMs
      ? 'idle-timeout'
      : 'active';

/** The records and the per-user index, kept in step. */
function sessionTable() {
  const sessions = new Map<string, SessionRecord>();
  const byUser = new Map<string, Set<string>>();
  const remove = (id: string) => {
    const record = sessions.get(id);
    if (record === undefined) return undefined;
    sessions.delete(id);
    const ids = byUser.get(record.userId);
    ids?.delete(id);
    if (ids?.size === 0) byUser.delete(record.userId);
    return record;
  };
  const put = (record: SessionRecord) => {
    sessions.set(record.id, record);
    const ids = byUser.get(record.userId) ?? new Set<string>();
    ids.add(record.id);
    byUser.set(record.userId, ids);
  };
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
  const sweep = (nowMs: number) => {
    for (const [id, record] of sessions) if (expiry(record, nowMs) !== 'active') remove(id);
  };
  const idsOf = (userId: string) => [...(byUser.get(userId) ?? [])];
  return { get: (id: string) => sessions.get(id), put, remove, liveOfUser, sweep, idsOf };
}

/**
 * Creates an in-memory {@link SessionStore}. One process only.
 *
 * @example
 * ```ts
 * const sessions = createSessionManager({ store: createMemorySessionStore({ clock }), clock });
 * ```
 */
export function createMemorySessionStore(options: MemorySessionStoreOptions = {}): SessionStore {
  const { clock } = parseOptions(options);
  const table = sessionTable();
  const written = sweeper(() => table.sweep(clock.now()));

  return {
    kind: 'memory',
    async create(record, maxPerUser) {
      const nowMs = clock.now();
      table.put({ ...record, data: { ...record.data } });
      // The new session itself is never the one evicted, even when it inherited an early deadline.
      const others = table.liveOfUser(record.userId, nowMs).filter((r) => r.id !== record.id);
      const evictedIds = others.slice(0, Math.max(0, others.length + 1 - maxPerUser)).map((r) => r.id);
      for (const id of evictedIds) table.remove(id);
      written();
      return { evictedIds };
    },
    async touch(id) {
      const nowMs = clock.now();
      const record = table.get(id);
      if (record === undefined) return { status: 'unknown' };
      const status = expiry(record, nowMs);
      if (status !== 'active') {
        table.remove(id);
        return { status };
      }
      const touched = { ...record, lastActiveAtMs: nowMs };
      table.put(touched);
      return { status: 'active', record: touched };
    },
    async take(id) {
      const record = table.remove(id);
      return record !== undefined && expiry(record, clock.now()) === 'active' ? record : undefined;
    },
    delete: async (id) => table.remove(id) !== undefined,
    listByUser: async (userId) => table.liveOfUser(userId, clock.now()),
    async deleteByUser(userId) {
      let count = 0;
      for (const id of table.idsOf(userId)) if (table.remove(id)) count += 1;
      return count;
    },
  };
}
