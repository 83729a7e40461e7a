/**
 * The Redis job backend (`backend-patterns/jobs/redis`). Every state change is one Lua script; every key
 * of a queue shares the `{<queue>}` hash tag, so a Redis Cluster keeps a queue in one slot. The client is
 * yours (ioredis `Redis` or `Cluster`), typed structurally: this file never imports ioredis.
 */
import { type Clock, systemClock } from '../core/clock.js';
import { defineOptions, opt } from '../core/options.js';
import { createKeyspace } from '../core/redis/keys.js';
import { type RedisScriptClient, timeArg } from '../core/redis/script.js';
import { deadLetterOps, producerOps, type QueueKeys, type RedisOpsContext, workerOps } from './redis-ops.js';
import { createRedisWaits, type RedisBlockingClient } from './redis-wait.js';
import type { JobBackend } from './types.js';

export type { RedisBlockingClient } from './redis-wait.js';

/** What the backend needs from your client: scripts, and a duplicate connection for blocking waits. */
export interface RedisJobClient extends RedisScriptClient {
  /** A new connection with the same options (ioredis `duplicate()`), used for BLPOP. */
  duplicate(): RedisBlockingClient;
}

/** Options of {@link createRedisJobBackend}. */
export interface RedisJobBackendOptions {
  /** An ioredis `Redis` or `Cluster` (or anything with `evalsha`, `eval` and `duplicate`). */
  readonly client: RedisJobClient;
  /** Key prefix. Default `bp`. Keys are `<prefix>:jobs:{<queue>}:<part>`. */
  readonly prefix?: string;
  /**
   * Time source for the scripts. Default: Redis `TIME`, so app servers with drifting clocks agree. Pass
   * a clock only for tests driving time by hand (and for the idle timers, which always use a clock).
   */
  readonly clock?: Clock;
  /** Longest single blocking wait in ms, 10..300000. Default 5000. */
  readonly maxBlockMs?: number;
}

/** The Redis backend: a {@link JobBackend} whose `close()` disconnects its blocking connections. */
export interface RedisJobBackend extends JobBackend {
  readonly kind: 'redis';
  /** Disconnects the connections it duplicated for blocking waits (never your client). */
  close(): Promise<void>;
}

const parseOptions = defineOptions('createRedisJobBackend', {
  client: opt.port<RedisJobClient>(['evalsha', 'eval', 'duplicate'], 'required'),
  prefix: opt.keyPrefix(),
  clock: opt.optionalClock(),
  maxBlockMs: opt.duration({ default: 5000, min: 10, max: 300_000 }),
});

/**
 * Creates a Redis job backend over a client you built.
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis';
 * const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: null });
 * const queue = createJobQueue({ name: 'email', backend: createRedisJobBackend({ client: redis, prefix: 'myapp' }) });
 * ```
 */
export function createRedisJobBackend(options: RedisJobBackendOptions): RedisJobBackend {
  const o = parseOptions(options);
  const keyspace = createKeyspace(o.prefix, 'jobs');
  const byQueue = new Map<string, QueueKeys>();
  // Key strings of a queue are built once: they are part of every call.
  const keys = (queue: string): QueueKeys => {
    let k = byQueue.get(queue);
    if (!k) {
      const part = (name: string) => keyspace.key(queue, name);
      k = {
        ready: part('ready'),
        age: part('age'),
        delayed: part('delayed'),
        active: part('active'),
        dead: part('dead'),
        paused: part('paused'),
        wake: part('wake'),
        jobPrefix: `${part('job')}:`,
        idemPrefix: `${part('idem')}:`,
      };
      byQueue.set(queue, k);
    }
    return k;
  };
  const { clock } = o;
  const ctx: RedisOpsContext = { client: o.client, keys, now: () => timeArg(clock) };
  // Idle timers need a clock even when the scripts read Redis TIME.
  const waits = createRedisWaits(() => o.client.duplicate(), clock ?? systemClock, o.maxBlockMs);
  return {
    kind: 'redis',
    ...producerOps(ctx),
    ...workerOps(ctx),
    ...deadLetterOps(ctx),
    waitForWork: (queue, request) => waits.wait(keys(queue).wake, request),
    async close() {
      waits.close();
    },
  };
}
