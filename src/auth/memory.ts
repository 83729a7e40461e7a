/**
 * Memory stores: the default. They keep the real semantics of the Redis stores (rotation with a grace
 * window and reuse detection, denylist entries that expire, idle and absolute session timeouts, the
 * per-user cap) on the store's `clock`, so a manual clock drives them in tests. One process only: use
 * `backend-patterns/auth/redis` when more than one instance verifies.
 */
export { createMemoryRefreshStore, type MemoryRefreshStoreOptions } from './memory-refresh.js';
export { createMemoryRevocationStore, type MemoryRevocationStoreOptions } from './memory-revocation.js';
export { createMemorySessionStore, type MemorySessionStoreOptions } from './memory-sessions.js';
