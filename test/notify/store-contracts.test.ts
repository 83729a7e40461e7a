/** The NotifyStore contract on memory and on Redis (a real server), with the same manual clocks. */
import { describe, it } from 'vitest';
import { createMemoryNotifyStore } from '../../src/notify/index.js';
import { createRedisNotifyStore } from '../../src/notify/redis.js';
import { notifyStoreContract } from '../../src/testing/index.js';
import { noRedis, useRedisPrefix } from '../support/redis.js';

notifyStoreContract(
  { describe, it },
  { name: 'memory', setup: (clock) => ({ subject: createMemoryNotifyStore({ clock }) }) },
);

describe.skipIf(noRedis)('redis', () => {
  const { client, prefix } = useRedisPrefix('notify-contract');
  notifyStoreContract(
    { describe, it },
    { name: 'redis', setup: (clock) => ({ subject: createRedisNotifyStore({ client, prefix, clock }) }) },
  );
});
