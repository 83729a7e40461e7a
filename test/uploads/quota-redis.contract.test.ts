import { afterAll, describe, expect, it } from 'vitest';
import { quotaStoreContract } from '../../src/testing/index.js';
import { createRedisQuotaStore } from '../../src/uploads/redis.js';
import { connectRedis, deleteByPrefix, noRedis, randomPrefix } from '../support/redis.js';

describe.skipIf(noRedis)('redis quota store (single server)', () => {
  const client = noRedis ? undefined : connectRedis();
  const prefix = randomPrefix('quota');
  let n = 0;
  afterAll(async () => {
    if (!client) return;
    await deleteByPrefix(client, prefix);
    expect(await client.scan('0', 'MATCH', `${prefix}*`, 'COUNT', 1000)).toEqual(['0', []]);
    client.disconnect();
  });
  quotaStoreContract(
    { describe, it },
    {
      name: 'redis',
      setup: () => ({ subject: createRedisQuotaStore({ client: client!, prefix: `${prefix}-${n++}` }) }),
    },
  );
});
