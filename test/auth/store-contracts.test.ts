import { afterAll, describe, it } from 'vitest';
import {
  createMemoryRefreshStore,
  createMemoryRevocationStore,
  createMemorySessionStore,
} from '../../src/auth/index.js';
import { createRedisAuthStores, type RedisScriptClient } from '../../src/auth/redis.js';
import type { ManualClock } from '../../src/testing/index.js';
import {
  refreshStoreContract,
  revocationStoreContract,
  sessionStoreContract,
} from '../../src/testing/index.js';
import { connectRedis, deleteByPrefix, noRedis, randomPrefix } from '../support/redis.js';
import { canStartCluster, useLocalRedisCluster } from '../support/redis-cluster.js';

const api = { describe, it };

describe('memory stores', () => {
  refreshStoreContract(api, {
    name: 'memory',
    setup: (clock) => ({ subject: createMemoryRefreshStore({ clock }) }),
  });
  revocationStoreContract(api, {
    name: 'memory',
    setup: (clock) => ({ subject: createMemoryRevocationStore({ clock }) }),
  });
  revocationStoreContract(api, {
    name: 'memory with clockSkewMs',
    clockSkewMs: 30_000,
    setup: (clock) => ({ subject: createMemoryRevocationStore({ clock, clockSkewMs: 30_000 }) }),
  });
  sessionStoreContract(api, {
    name: 'memory',
    setup: (clock) => ({ subject: createMemorySessionStore({ clock }) }),
  });
});

function redisContracts(name: string, client: () => RedisScriptClient, prefix: string) {
  let n = 0;
  const stores = (clock: ManualClock) =>
    createRedisAuthStores({ client: client(), prefix: `${prefix}-${n++}`, clock });
  refreshStoreContract(api, { name, setup: (clock) => ({ subject: stores(clock).refresh }) });
  // The default tolerance (1 min): the contract checks both sides of it.
  revocationStoreContract(api, {
    name,
    clockSkewMs: 60_000,
    setup: (clock) => ({ subject: stores(clock).revocation }),
  });
  sessionStoreContract(api, { name, setup: (clock) => ({ subject: stores(clock).sessions }) });
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
