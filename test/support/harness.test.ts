import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { onPath } from './processes.js';
import { canStartCluster, startRedisCluster } from './redis-cluster.js';
import { startRedisServer } from './redis-server.js';
import { pingRedis } from './redis-service.js';

const noServerBinary = !onPath('redis-server');

describe.skipIf(noServerBinary)('private redis-server helper', () => {
  it('starts, is killed, restarts with its AOF data, and is removed', async () => {
    const server = await startRedisServer({ args: ['--appendonly', 'yes', '--appendfsync', 'always'] });
    try {
      const client = new Redis(server.url, { maxRetriesPerRequest: 0, lazyConnect: true });
      await client.connect();
      await client.set('k', 'v');
      client.disconnect();
      await server.kill();
      expect(await pingRedis(server.url, 200)).toBe(false);
      await server.restart();
      const again = new Redis(server.url);
      expect(await again.get('k')).toBe('v');
      again.disconnect();
    } finally {
      await server.stop();
    }
    expect(await pingRedis(server.url, 200)).toBe(false);
  });
});

describe.skipIf(!canStartCluster())('local redis cluster helper', () => {
  it('starts 3 masters covering all slots; multi-key commands need a shared hash tag', async () => {
    const cluster = await startRedisCluster();
    const client = new Redis.Cluster([...cluster.nodes]);
    try {
      const info = await client.cluster('INFO');
      expect(String(info)).toContain('cluster_known_nodes:3');
      await client.mset('{t}:a', '1', '{t}:b', '2');
      expect(await client.mget('{t}:a', '{t}:b')).toEqual(['1', '2']);
      await expect(
        client.eval("return redis.call('MGET', KEYS[1], KEYS[2])", 2, 'a-no-tag', 'b-no-tag'),
      ).rejects.toThrow(/CROSSSLOT|different slots/i);
    } finally {
      client.disconnect();
      await cluster.stop();
    }
  });
});
