/**
 * Redis for test files: whether it is available, a connected client with a random key prefix per file,
 * and cleanup of that prefix afterwards.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, inject } from 'vitest';

/** The Redis URL found by the global setup, or undefined when suites needing Redis must skip. */
export function redisUrl(): string | undefined {
  const status = inject('services').redis;
  return status?.available ? status.url : undefined;
}

/** True when Redis-backed suites must be skipped. Use with `describe.skipIf(noRedis)`. */
export const noRedis = redisUrl() === undefined;

/** A random key prefix, so test files never share keys on one Redis. */
export const randomPrefix = (label = 't') => `bp-test-${label}-${randomBytes(4).toString('hex')}`;

/** A client to the suite's Redis, with `enableOfflineQueue` off so a dead server fails fast. */
export function connectRedis(url = redisUrl()): Redis {
  if (!url) throw new Error('Redis is not available for this run');
  return new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 1 });
}

/** Deletes every key starting with `prefix` (SCAN, never KEYS). */
export async function deleteByPrefix(client: Redis, prefix: string): Promise<number> {
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) deleted += await client.del(...keys);
  } while (cursor !== '0');
  return deleted;
}

/**
 * For a `describe.skipIf(noRedis)` block: a client and a random key prefix, with the prefix's keys deleted
 * and the client closed after the block. Undefined fields when Redis is absent (the block is skipped).
 */
export function useRedisPrefix(label: string): { readonly client: Redis; readonly prefix: string } {
  const client = noRedis ? undefined : connectRedis();
  const prefix = randomPrefix(label);
  afterAll(async () => {
    if (!client) return;
    await deleteByPrefix(client, prefix);
    client.disconnect();
  });
  return { client: client as Redis, prefix };
}
