import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeyspace } from '../../src/core/redis/keys.js';
import { defineScript, runScript } from '../../src/core/redis/script.js';
import { connectRedis, deleteByPrefix, noRedis, randomPrefix } from '../support/redis.js';

const incrWithTtl = defineScript(
  'incr-ttl-1',
  1,
  `-- KEYS[1] counter key
-- ARGV[1] ttl in ms
-- returns the new value
local v = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return v`,
);

describe.skipIf(noRedis)('redis script runner (real Redis)', () => {
  let redis: Redis;
  const prefix = randomPrefix('script');
  const keys = createKeyspace(prefix, 'core');

  beforeAll(() => {
    redis = connectRedis();
  });
  afterAll(async () => {
    await deleteByPrefix(redis, prefix);
    redis.disconnect();
  });

  it('runs with EVALSHA and falls back to EVAL after SCRIPT FLUSH', async () => {
    const key = keys.key('a', 'n');
    await redis.script('FLUSH');
    expect(await runScript(redis, incrWithTtl, [key], [60_000])).toBe(1);
    const [loaded] = (await redis.script('EXISTS', incrWithTtl.sha1)) as number[];
    expect(loaded).toBe(1); // EVAL cached it again
    expect(await runScript(redis, incrWithTtl, [key], [60_000])).toBe(2);
    await redis.script('FLUSH');
    expect(await runScript(redis, incrWithTtl, [key], [60_000])).toBe(3);
    expect(await redis.pttl(key)).toBeGreaterThan(59_000);
  });

  it('wraps Redis errors in a StoreError naming the script, keeping the cause', async () => {
    const broken = defineScript('broken-0', 0, `return redis.call('NOSUCHCOMMAND')`);
    await expect(runScript(redis, broken, [], [])).rejects.toMatchObject({
      code: 'ERR_STORE',
      message: 'redis script broken-0 failed',
      cause: expect.any(Error),
    });
  });

  it('refuses a call with the wrong number of keys before touching Redis', async () => {
    await expect(runScript(redis, incrWithTtl, [], [1])).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
    });
  });
});

describe('keyspace', () => {
  it('puts the hash tag around the tag part', () => {
    const keys = createKeyspace('app', 'rl');
    expect(keys.key('api:u1', 'fw', '42')).toBe('app:rl:{api:u1}:fw:42');
    expect(keys.key('api')).toBe('app:rl:{api}');
    expect(keys.pattern()).toBe('app:rl:*');
  });

  it('rejects prefixes that would break hash tags or key hygiene', () => {
    for (const bad of ['', 'a{b', 'a}b', 'with space', 'x'.repeat(65)]) {
      expect(() => createKeyspace(bad, 'rl')).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
      );
    }
  });
});
