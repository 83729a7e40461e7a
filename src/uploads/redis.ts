/**
 * backend-patterns/uploads/redis — the Redis {@link QuotaStore} for `createUploadPolicy({ quota })`. Pass
 * an ioredis `Redis` or `Cluster` you built; it is typed structurally (only `evalsha` and `eval`), so
 * this entry never imports ioredis. Semantics, key layout, TTLs and Cluster notes: see
 * {@link createRedisQuotaStore}.
 */
export type { RedisScriptClient } from '../core/redis/script.js';
export { MAX_OWNER_BYTES, MAX_STATE_BYTES, UPLOAD_ID_PATTERN } from './quota-args.js';
export { QUOTA_KEY_GRACE_MS } from './redis-quota-ledger.js';
export { createRedisQuotaStore, type RedisQuotaStoreOptions } from './redis-quota-store.js';
export type { QuotaStore, QuotaUsage, Reservation, ReserveInput, ReserveResult } from './types.js';
