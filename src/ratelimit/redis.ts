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
import type { Algorithm } from './algorithms.js';
import { decideScript } from './lua/decide.js';
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

/** The five script arguments of an algorithm, computed once per (frozen) algorithm value. */
const algorithmArgs = new WeakMap<Algorithm, readonly (string | number)[]>();

function policyArgs(check: PolicyCheck, into: (string | number)[]): void {
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
  const leaseKey = (hashTag: string, key: string) => `${keys.key(hashTag, key)}:l`;

  /**
   * KEYS and ARGV of the decide script (see lua/decide.ts), built with plain loops: this is the hot path.
   * The state key names its engine, so changing a policy's algorithm starts from fresh state instead of
   * misreading the old one.
   */
  const scriptInput = (request: DecideRequest | ResetRequest, cost: number, mode: 'c' | 'p' | 'r') => {
    const keyList: string[] = [];
    const args: (string | number)[] = [now(), cost, mode, request.checks.length];
    for (const check of request.checks) {
      const base = keys.key(request.hashTag, check.policy, check.key);
      const engine = ENGINE_CODES[check.algorithm.engine];
      keyList.push(`${base}:${engine}`);
      if (engine === 'log') keyList.push(`${base}:n`);
      if (check.blockDurationMs > 0) keyList.push(`${base}:b`);
      policyArgs(check, args);
    }
    return { keyList, args };
  };

  const parseDecisions = (reply: unknown, checks: number): DecideResponse => {
    const values = toNumbers(reply, decideScript.name);
    if (values.length !== 1 + 6 * checks) throw new StoreError('unexpected reply from ratelimit-decide');
    const decisions: PolicyDecision[] = [];
    for (let i = 1; i < values.length; i += 6) {
      decisions.push({
        allowed: values[i] === 1,
        remaining: values[i + 1] as number,
        resetAfterMs: values[i + 2] as number,
        retryAfterMs: values[i + 3] as number,
        delayMs: values[i + 4] as number,
        blocked: values[i + 5] === 1,
      });
    }
    return { nowMs: values[0] as number, decisions };
  };

  const decide = (request: DecideRequest): Promise<DecideResponse> => {
    const { keyList, args } = scriptInput(request, request.cost, request.mode === 'peek' ? 'p' : 'c');
    return runScript(client, decideScript, keyList, args).then((reply) =>
      parseDecisions(reply, request.checks.length),
    );
  };

  return {
    decide,
    async reset(request) {
      const { keyList, args } = scriptInput(request, 1, 'r');
      await runScript(client, decideScript, keyList, args);
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
