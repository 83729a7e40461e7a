/**
 * Redis adapter of the RateLimitStore port (`backend-patterns/ratelimit/redis`). One EVALSHA per decision,
 * time from Redis `TIME`, every key under the decision's hash tag with its TTL set in the same script.
 * Works with an ioredis `Redis` or `Cluster` that you build and pass in.
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import { InvalidOptionError, StoreError } from '../core/errors.js';
import { createKeyspace } from '../core/redis/keys.js';
import { type RedisScriptClient, runScript } from '../core/redis/script.js';
import { option } from '../core/validate.js';
import { decideScript } from './lua/decide.js';
import { acquireLeaseScript, extendLeaseScript, releaseLeaseScript } from './lua/lease.js';
import type {
  DecideRequest,
  DecideResponse,
  LeaseHandle,
  PolicyCheck,
  PolicyDecision,
  RateLimitStore,
} from './store.js';

/** Options of {@link createRedisRateLimitStore}. */
export interface RedisRateLimitStoreOptions {
  /** An ioredis `Redis` or `Cluster` (anything with `evalsha` and `eval`). */
  readonly client: RedisScriptClient;
  /** Key prefix, no braces. Default `bp`. Keys look like `bp:rl:{api:u1}:per-user:u1:s`. */
  readonly prefix?: string;
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

function policyArgs(check: PolicyCheck): (string | number)[] {
  const a = check.algorithm;
  const head = [ENGINE_CODES[a.engine]];
  const params =
    a.engine === 'virtual-scheduling'
      ? [a.capacity, a.intervalUs, a.shaping ? 1 : 0]
      : [a.limit, a.windowMs, 0];
  return [...head, ...params, check.blockDurationMs];
}

const toNumbers = (reply: unknown, what: string): number[] => {
  if (!Array.isArray(reply) || reply.some((x) => typeof x !== 'number')) {
    throw new StoreError(`unexpected reply from ${what}`);
  }
  return reply as number[];
};

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
  option.knownKeys('createRedisRateLimitStore', options, ['client', 'prefix', 'clock']);
  const { client, clock } = options;
  if (!client || typeof client.evalsha !== 'function' || typeof client.eval !== 'function') {
    throw new InvalidOptionError('`client` must be an ioredis client (Redis or Cluster)');
  }
  const keys = createKeyspace(options.prefix ?? 'bp', 'rl');
  const now = () => (clock ? String(clock.now()) : '');
  const policyKeys = (hashTag: string, check: PolicyCheck) => {
    const base = keys.key(hashTag, check.policy, check.key);
    return [`${base}:s`, `${base}:a`, `${base}:b`];
  };
  const leaseKey = (hashTag: string, key: string) => `${keys.key(hashTag, key)}:l`;

  const decide = async (request: DecideRequest): Promise<DecideResponse> => {
    const reply = toNumbers(
      await runScript(
        client,
        decideScript,
        request.checks.flatMap((check) => policyKeys(request.hashTag, check)),
        [now(), request.cost, request.mode, request.checks.length, ...request.checks.flatMap(policyArgs)],
      ),
      decideScript.name,
    );
    if (reply.length !== 1 + 6 * request.checks.length)
      throw new StoreError('unexpected reply from ratelimit-decide');
    const decisions = request.checks.map((_, i): PolicyDecision => {
      const [allowed, remaining, resetAfterMs, retryAfterMs, delayMs, blocked] = reply.slice(
        1 + 6 * i,
        7 + 6 * i,
      );
      return {
        allowed: allowed === 1,
        remaining: remaining ?? 0,
        resetAfterMs: resetAfterMs ?? 0,
        retryAfterMs: retryAfterMs ?? 0,
        delayMs: delayMs ?? 0,
        blocked: blocked === 1,
      };
    });
    return { nowMs: reply[0] ?? 0, decisions };
  };

  return {
    decide,
    async reset(request) {
      await runScript(
        client,
        decideScript,
        request.checks.flatMap((check) => policyKeys(request.hashTag, check)),
        [now(), 1, 'reset', request.checks.length, ...request.checks.flatMap(policyArgs)],
      );
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
