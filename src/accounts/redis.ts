/**
 * backend-patterns/accounts/redis — the Redis `AccountsStore` (tokens, cooldowns, mail records). Pass an
 * ioredis `Redis` or `Cluster` you built; it is typed structurally (only `evalsha` and `eval`), so this
 * entry never imports ioredis. Every state change is one Lua script and every key has a TTL.
 */
export type { RedisScriptClient } from '../core/redis/script.js';
export { createRedisAccountsStore, type RedisAccountsStoreOptions } from './redis-store.js';
