/**
 * A local 3-node Redis Cluster (3 masters, no replicas) on loopback ports, for tests that must prove
 * every multi-key operation stays within one hash slot.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { type Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { freePort, onPath, waitFor } from './processes.js';
import { type PrivateRedis, startRedisServer } from './redis-server.js';

const run = promisify(execFile);

/** A running local cluster. */
export interface LocalRedisCluster {
  /** `{ host, port }` of each master, for `new Redis.Cluster(nodes)`. */
  readonly nodes: readonly { host: string; port: number }[];
  stop(): Promise<void>;
}

/** True when this machine can start a local cluster. */
export const canStartCluster = () => onPath('redis-server') && onPath('redis-cli');

/** Starts 3 cluster-enabled redis-servers and joins them with `redis-cli --cluster create`. */
export async function startRedisCluster(): Promise<LocalRedisCluster> {
  const servers: PrivateRedis[] = [];
  try {
    for (let i = 0; i < 3; i++) {
      // The cluster bus listens on port + 10000, so that one must be free as well.
      const port = await freePort(10_000);
      servers.push(
        await startRedisServer({
          port,
          args: [
            '--cluster-enabled',
            'yes',
            '--cluster-config-file',
            `nodes-${port}.conf`,
            '--cluster-node-timeout',
            '5000',
          ],
        }),
      );
    }
    const addresses = servers.map((s) => `127.0.0.1:${s.port}`);
    await run('redis-cli', ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes']);
    await waitFor(
      'cluster_state:ok on every node',
      async () => {
        for (const s of servers) {
          const { stdout } = await run('redis-cli', ['-p', String(s.port), 'cluster', 'info']);
          if (!stdout.includes('cluster_state:ok')) return false;
        }
        return true;
      },
      20_000,
    );
  } catch (error) {
    await Promise.all(servers.map((s) => s.stop()));
    throw error;
  }
  return {
    nodes: servers.map((s) => ({ host: '127.0.0.1', port: s.port })),
    stop: async () => {
      await Promise.all(servers.map((s) => s.stop()));
    },
  };
}

/**
 * For use inside a `describe`: starts a local cluster before the suite and stops it after, even when a test
 * fails. Returns a getter for a connected ioredis Cluster client (valid once the suite has started).
 */
export function useLocalRedisCluster(): () => Cluster {
  let cluster: LocalRedisCluster | undefined;
  let client: Cluster | undefined;
  beforeAll(async () => {
    cluster = await startRedisCluster();
    client = new Redis.Cluster([...cluster.nodes]);
  });
  afterAll(async () => {
    client?.disconnect();
    await cluster?.stop();
  });
  return () => {
    if (!client) throw new Error('the local cluster is not started yet');
    return client;
  };
}
