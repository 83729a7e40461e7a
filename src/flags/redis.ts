/**
 * backend-patterns/flags/redis — the Redis flag source and its publisher. Pass ioredis connections you
 * built: a `client` for reads and writes and a `subscriber` of its own for SUBSCRIBE. Both are typed
 * structurally, so this file never imports ioredis, and neither is ever closed by the source.
 */
export type { RedisScriptClient } from '../core/redis/script.js';
export {
  type PublishFlagConfigResult,
  type PublishFlagConfigTarget,
  publishFlagConfig,
} from './redis-publish.js';
export {
  createRedisFlagSource,
  type RedisFlagSource,
  type RedisFlagSourceOptions,
  type RedisFlagSubscriber,
} from './redis-source.js';
