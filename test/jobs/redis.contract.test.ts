import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { createRedisJobBackend } from '../../src/jobs/redis.js';
import { jobBackendContract } from '../../src/testing/index.js';
import { connectRedis, deleteByPrefix, noRedis, randomPrefix } from '../support/redis.js';
import { canStartCluster, useLocalRedisCluster } from '../support/redis-cluster.js';

describe.skipIf(noRedis)('jobs on Redis', () => {
  let redis: Redis;
  const prefix = randomPrefix('jobs');
  beforeAll(() => {
    redis = connectRedis();
  });
  afterAll(async () => {
    await deleteByPrefix(redis, prefix);
    redis.disconnect();
  });

  jobBackendContract(
    { describe, it },
    {
      name: 'redis',
      setup: (clock) => ({ subject: createRedisJobBackend({ client: redis, prefix, clock }) }),
    },
  );
});

describe.skipIf(!canStartCluster())('jobs on a 3-node Redis Cluster', () => {
  const cluster = useLocalRedisCluster();

  jobBackendContract(
    { describe, it },
    {
      name: 'redis cluster',
      setup: (clock) => ({ subject: createRedisJobBackend({ client: cluster(), prefix: 'cl', clock }) }),
    },
  );
});
