import { afterAll, describe, it } from 'vitest';
import {
  createMemoryRefreshStore,
  createMemoryRevocationStore,
  createMemorySessionStore,
} from '../../src/auth/index.js';
import { createRedisAuthStores, type RedisScriptClient } from '../../src/auth/redis.js';
import {
  refreshStoreContract,
  revocationStoreContract,
  sessionStoreContract,
} from '../../src/testing/index.js';
import { connectRedis, deleteByPrefix, noRedis, randomPrefix } from '../support/redis.js';
import { canStartCluster, useLocalRedisCluster } from '../support/redis-cluster.js';

const api = { describe, it };

describe('memory stores', () => {
  refreshStoreContract(api, { name: 'memory', setup: async () => ({ store: createMemoryRefreshStore() }) });
  revocationStoreContract(api, {
    name: 'memory',
    setup: async () => ({ store: createMemoryRevocationStore() }),
  });
  sessionStoreContract(api, { name: 'memory', setup: async () => ({ store: createMemorySessionStore() }) });
});

function redisContracts(name: string, client: () => RedisScriptClient, prefix: string) {
  let n = 0;
  const stores = () => createRedisAuthStores({ client: client(), prefix: `${prefix}-${n++}` });
  refreshStoreContract(api, { name, setup: async () => ({ store: stores().refresh }) });
  revocationStoreContract(api, { name, setup: async () => ({ store: stores().revocation }) });
  sessionStoreContract(api, { name, setup: async () => ({ store: stores().sessions }) });
}

describe.skipIf(noRedis)('redis stores (single server)', () => {
  const client = noRedis ? undefined : connectRedis();
  const prefix = randomPrefix('auth');
  afterAll(async () => {
    if (!client) return;
    await deleteByPrefix(client, prefix);
    client.disconnect();
  });
  redisContracts('redis', () => client!, prefix);
});

describe.skipIf(!canStartCluster())('redis stores (3-node cluster)', () => {
  const cluster = useLocalRedisCluster();
  redisContracts('redis cluster', () => cluster(), randomPrefix('auth'));
});
