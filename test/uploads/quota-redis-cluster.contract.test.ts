/** The QuotaStore contract on a local 3-node Redis Cluster: every script stays within one slot. */
import { describe, it } from 'vitest';
import { quotaStoreContract } from '../../src/testing/index.js';
import { createRedisQuotaStore } from '../../src/uploads/redis.js';
import { canStartCluster, useLocalRedisCluster } from '../support/redis-cluster.js';

describe.skipIf(!canStartCluster())('redis quota store (3-node cluster)', () => {
  const cluster = useLocalRedisCluster();
  let n = 0;
  quotaStoreContract(
    { describe, it },
    {
      name: 'redis cluster',
      // The cluster is thrown away after the suite, so its keys need no cleanup.
      setup: () => ({ subject: createRedisQuotaStore({ client: cluster(), prefix: `qc-${n++}` }) }),
    },
  );
});
