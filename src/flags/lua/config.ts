/**
 * Lua scripts of the Redis flag source: a capped read (the size is checked in Redis, so an oversized
 * value never crosses the network) and the publish (SET and PUBLISH together, so no subscriber hears of
 * a version before it can read it).
 */
import { reply } from '../../core/redis/reply.js';
import { defineScript } from '../../core/redis/script.js';

/** Reads the config string when it is at most `maxBytes`. */
export const readConfigScript = defineScript({
  name: 'flags-read',
  summary: 'reads the config string unless it is larger than the cap',
  keys: ['config: the config string'],
  args: ['maxBytes: the size cap'],
  returns: '{size in bytes, the value, or nil when missing or over the cap}',
  body: `local size = redis.call('STRLEN', KEYS[1])
if size > tonumber(ARGV[1]) then return {size, false} end
return {size, redis.call('GET', KEYS[1])}`,
  reply: reply.tuple(reply.integer, reply.nullable(reply.string)),
});

/** Stores a config and announces its version. */
export const publishConfigScript = defineScript({
  name: 'flags-publish',
  summary: 'sets the config string and publishes its version on the change channel',
  keys: ['config: the config string'],
  args: ['json: the config', 'channel: the change channel', 'version: the config version'],
  returns: 'the number of subscribers that received the message',
  body: `redis.call('SET', KEYS[1], ARGV[1])
return redis.call('PUBLISH', ARGV[2], ARGV[3])`,
  reply: reply.integer,
});
