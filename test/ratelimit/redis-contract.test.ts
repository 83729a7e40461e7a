import { afterAll, describe, expect, it } from 'vitest';
import { keySlot } from '../../src/core/redis/slot.js';
import { createRedisRateLimitStore } from '../../src/ratelimit/redis.js';
import { rateLimitStoreContract } from '../../src/testing/index.js';
import { connectRedis, deleteByPrefix, noRedis, randomPrefix } from '../support/redis.js';
import { canStartCluster, useLocalRedisCluster } from '../support/redis-cluster.js';

describe.skipIf(noRedis)('redis (single server)', () => {
  const client = noRedis ? undefined : connectRedis();
  const prefix = randomPrefix('rl');
  afterAll(async () => {
    if (!client) return;
    await deleteByPrefix(client, prefix);
    client.disconnect();
  });
  let n = 0;
  rateLimitStoreContract(
    { describe, it },
    {
      name: 'redis',
      setup: (clock) => ({
        subject: createRedisRateLimitStore({ client: client!, prefix: `${prefix}-${n++}`, clock }),
      }),
    },
  );
});

describe.skipIf(!canStartCluster())('redis (3-node cluster)', () => {
  const cluster = useLocalRedisCluster();
  it('our slot arithmetic matches CLUSTER KEYSLOT (batches are formed per slot)', async () => {
    const keys = [
      'plain',
      '{tag}:a',
      'x{tag}y',
      '{}empty',
      'a{b}c{d}',
      'bp:rl:{api:ü-ñ}:p:ü-ñ:fw',
      'no}brace{',
    ];
    for (let i = 0; i < 50; i++) keys.push(`bp:rl:{limiter:user-${i}}:p:user-${i}:vs`);
    for (const key of keys) expect(keySlot(key), key).toBe(await cluster().cluster('KEYSLOT', key));
  });

  let n = 0;
  rateLimitStoreContract(
    { describe, it },
    {
      name: 'redis cluster',
      setup: (clock) => ({
        subject: createRedisRateLimitStore({ client: cluster(), prefix: `cl-${n++}`, clock }),
      }),
    },
  );
});
