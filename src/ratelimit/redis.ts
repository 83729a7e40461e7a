/**
 * Redis adapter of the RateLimitStore port (`backend-patterns/ratelimit/redis`). At most one EVALSHA per
 * decision: decisions issued in the same tick are sent together in one script call (one round trip for
 * all of them), grouped by Cluster slot. Time comes from Redis `TIME`; every key of a decision is under its
 * hash tag and gets its TTL in the same script. Works with an ioredis `Redis` or `Cluster` you pass in.
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import { InvalidOptionError, StoreError } from '../core/errors.js';
import { createKeyspace } from '../core/redis/keys.js';
import { type RedisScriptClient, runScript } from '../core/redis/script.js';
import { keySlot } from '../core/redis/slot.js';
import { option } from '../core/validate.js';
import type { Algorithm } from './algorithms.js';
import { decideScript, resetScript } from './lua/decide.js';
import { acquireLeaseScript, extendLeaseScript, releaseLeaseScript } from './lua/lease.js';
import type {
  DecideRequest,
  DecideResponse,
  LeaseHandle,
  PolicyCheck,
  PolicyDecision,
  RateLimitStore,
  ResetRequest,
} from './store.js';

/** Options of {@link createRedisRateLimitStore}. */
export interface RedisRateLimitStoreOptions {
  /** An ioredis `Redis` or `Cluster` (anything with `evalsha` and `eval`). */
  readonly client: RedisScriptClient;
  /** Key prefix, no braces. Default `bp`. Keys look like `bp:rl:{api:u1}:per-user:u1:fw`. */
  readonly prefix?: string;
  /**
   * Most decisions sent in one script call when many are issued in the same tick. Default 16: large enough
   * to save round trips, small enough that several batches overlap on the wire. 1 sends every decision on
   * its own (exactly one command per decision).
   */
  readonly maxBatchSize?: number;
  /**
   * Only for deterministic tests: decide at this clock's time instead of Redis `TIME`. In production leave it
   * unset, so that app servers with drifting clocks still agree.
   */
  readonly clock?: Clock;
}

const ENGINE_CODES = {
  'fixed-window': 'fw',
  'sliding-window-counter': 'swc',
  'sliding-window-log': 'log',
  'virtual-scheduling': 'vs',
} as const;

/** The script arguments of an algorithm, computed once per (frozen) algorithm value. */
const algorithmArgs = new WeakMap<Algorithm, readonly (string | number)[]>();

function pushPolicyArgs(check: PolicyCheck, into: (string | number)[]): void {
  const a = check.algorithm;
  let head = algorithmArgs.get(a);
  if (!head) {
    head =
      a.engine === 'virtual-scheduling'
        ? [ENGINE_CODES[a.engine], a.capacity, a.intervalUs, a.shaping ? 1 : 0]
        : [ENGINE_CODES[a.engine], a.limit, a.windowMs, 0];
    algorithmArgs.set(a, head);
  }
  into.push(...head, check.blockDurationMs);
}

const toNumbers = (reply: unknown, what: string): number[] => {
  if (!Array.isArray(reply) || reply.some((x) => typeof x !== 'number')) {
    throw new StoreError(`unexpected reply from ${what}`);
  }
  return reply as number[];
};

interface Pending {
  readonly request: DecideRequest;
  readonly keys: readonly string[];
  readonly args: readonly (string | number)[];
  readonly resolve: (response: DecideResponse) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Creates the Redis rate-limit store.
 *
 * @example
 * ```ts
 * const client = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
 * const store = createRedisRateLimitStore({ client, prefix: 'myapp' });
 * ```
 */
export function createRedisRateLimitStore(options: RedisRateLimitStoreOptions): RateLimitStore {
  if (typeof options !== 'object' || options === null) throw new InvalidOptionError('options are required');
  option.knownKeys('createRedisRateLimitStore', options, ['client', 'prefix', 'clock', 'maxBatchSize']);
  const { client, clock } = options;
  if (!client || typeof client.evalsha !== 'function' || typeof client.eval !== 'function') {
    throw new InvalidOptionError('`client` must be an ioredis client (Redis or Cluster)');
  }
  const maxBatchSize = option.integer('maxBatchSize', options.maxBatchSize ?? 16, 1, 1000);
  // A Cluster can only run one script over keys of one slot: batches are formed per slot there.
  const isCluster = (client as { isCluster?: unknown }).isCluster === true;
  const keys = createKeyspace(options.prefix ?? 'bp', 'rl');
  const now = () => (clock ? String(clock.now()) : '');

  /**
   * KEYS and ARGV of one decision (see lua/decide.ts). The state key names its engine, so changing a
   * policy's algorithm starts from fresh state instead of misreading the old one.
   */
  const decisionInput = (request: DecideRequest | ResetRequest, mode: 'c' | 'p', cost: number) => {
    const keyList: string[] = [];
    const args: (string | number)[] = [mode, cost, request.checks.length];
    for (const check of request.checks) {
      const base = keys.key(request.hashTag, check.policy, check.key);
      const engine = ENGINE_CODES[check.algorithm.engine];
      keyList.push(`${base}:${engine}`);
      if (engine === 'log') keyList.push(`${base}:n`);
      if (check.blockDurationMs > 0) keyList.push(`${base}:b`);
      pushPolicyArgs(check, args);
    }
    return { keyList, args };
  };

  const send = (batch: readonly Pending[]) => {
    const allKeys: string[] = [];
    const allArgs: (string | number)[] = [now(), batch.length];
    for (const p of batch) {
      allKeys.push(...p.keys);
      allArgs.push(...p.args);
    }
    runScript(client, decideScript, allKeys, allArgs).then(
      (reply) => {
        let values: number[];
        try {
          values = toNumbers(reply, decideScript.name);
          const expected = 1 + 6 * batch.reduce((sum, p) => sum + p.request.checks.length, 0);
          if (values.length !== expected) throw new StoreError('unexpected reply from ratelimit-decide');
        } catch (error) {
          for (const p of batch) p.reject(error);
          return;
        }
        const nowMs = values[0] as number;
        let at = 1;
        for (const p of batch) {
          const decisions: PolicyDecision[] = [];
          for (let i = 0; i < p.request.checks.length; i++, at += 6) {
            decisions.push({
              allowed: values[at] === 1,
              remaining: values[at + 1] as number,
              resetAfterMs: values[at + 2] as number,
              retryAfterMs: values[at + 3] as number,
              delayMs: values[at + 4] as number,
              blocked: values[at + 5] === 1,
            });
          }
          p.resolve({ nowMs, decisions });
        }
      },
      (error: unknown) => {
        for (const p of batch) p.reject(error);
      },
    );
  };

  // Decisions issued in the same tick wait for one microtask and leave together.
  let queued: Pending[] = [];
  const flush = () => {
    const all = queued;
    queued = [];
    const groups = new Map<number, Pending[]>();
    for (const p of all) {
      const slot = isCluster ? keySlot(p.keys[0] as string) : 0;
      let group = groups.get(slot);
      if (!group) {
        group = [];
        groups.set(slot, group);
      }
      group.push(p);
      if (group.length === maxBatchSize) {
        send(group);
        groups.set(slot, []);
      }
    }
    for (const group of groups.values()) if (group.length) send(group);
  };

  const decide = (request: DecideRequest): Promise<DecideResponse> =>
    new Promise((resolve, reject) => {
      const { keyList, args } = decisionInput(request, request.mode === 'peek' ? 'p' : 'c', request.cost);
      if (queued.length === 0) queueMicrotask(flush);
      queued.push({ request, keys: keyList, args, resolve, reject });
    });

  const leaseKey = (hashTag: string, key: string) => `${keys.key(hashTag, key)}:l`;

  return {
    decide,
    async reset(request) {
      await runScript(client, resetScript, decisionInput(request, 'c', 1).keyList, []);
    },
    async acquireLease(request) {
      const leaseId = `${randomBytes(12).toString('base64url')}.${request.cost}`;
      const [allowed, nowMs, inUse, last] = toNumbers(
        await runScript(
          client,
          acquireLeaseScript,
          [leaseKey(request.hashTag, request.key)],
          [now(), request.limit, request.cost, request.leaseMs, leaseId],
        ),
        acquireLeaseScript.name,
      );
      if (allowed === 1) {
        return {
          allowed: true,
          nowMs: nowMs ?? 0,
          leaseId,
          expiresAtMs: last,
          inUse: inUse ?? 0,
          retryAfterMs: 0,
        };
      }
      return { allowed: false, nowMs: nowMs ?? 0, inUse: inUse ?? 0, retryAfterMs: last ?? 0 };
    },
    async releaseLease(handle: LeaseHandle) {
      const reply = await runScript(
        client,
        releaseLeaseScript,
        [leaseKey(handle.hashTag, handle.key)],
        [now(), handle.leaseId],
      );
      return reply === 1;
    },
    async extendLease(handle: LeaseHandle, leaseMs: number) {
      const reply = await runScript(
        client,
        extendLeaseScript,
        [leaseKey(handle.hashTag, handle.key)],
        [now(), handle.leaseId, leaseMs],
      );
      return typeof reply === 'number' && reply >= 0 ? reply : undefined;
    },
  };
}
