/**
 * The Redis job backend (`backend-patterns/jobs/redis`). Every state change is one Lua script; every key
 * of a queue shares the `{<queue>}` hash tag, so a Redis Cluster keeps a queue in one slot. The client is
 * yours (ioredis `Redis` or `Cluster`), typed structurally: this file never imports ioredis.
 */
import { type Clock, systemClock } from '../core/clock.js';
import { InvalidOptionError, StoreError } from '../core/errors.js';
import { createKeyspace, type Keyspace } from '../core/redis/keys.js';
import { type RedisScript, type RedisScriptClient, runScript } from '../core/redis/script.js';
import { option } from '../core/validate.js';
import { DEFAULT_BACKOFF } from './backoff.js';
import { addScript } from './lua/add.js';
import {
  countsScript,
  getScript,
  lagScript,
  listDeadScript,
  pauseScript,
  purgeDeadScript,
  redriveScript,
} from './lua/admin.js';
import { claimScript } from './lua/claim.js';
import { failScript, progressScript, releaseScript, renewScript, settleScript } from './lua/finish.js';
import type {
  AddBatchResult,
  AttemptRecord,
  ClaimedJob,
  ClaimResult,
  CompleteInput,
  JobBackend,
  JobError,
  JobRecord,
  JobState,
  StoredBackoff,
} from './types.js';

/** The connection used for the blocking wait; `client.duplicate()` must return one. */
export interface RedisBlockingClient {
  call(command: string, ...args: (string | number)[]): Promise<unknown>;
  disconnect(): void;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

/** What the backend needs from your client: scripts, and a duplicate connection for blocking waits. */
export interface RedisJobClient extends RedisScriptClient {
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
  /** Longest single blocking wait in ms. Default 5000. */
  readonly maxBlockMs?: number;
}

/** Reason for cancelling internal timers: preallocated, because `abort()` without one builds a DOMException. */
const CANCELLED = new Error('cancelled');

/** Pause after a failed blocking wait before the worker claims again. */
const BLOCK_RETRY_MS = 100;

const STATES: readonly JobState[] = ['delayed', 'ready', 'active', 'completed', 'dead'];

const parseJson = <T>(raw: string | undefined, fallback: T): T => {
  if (raw === undefined || raw === '') return fallback;
  try {
    return JSON.parse(raw) as T;
  } catch {
    return fallback;
  }
};

const toNumber = (raw: string | undefined, fallback: number) => {
  const n = Number(raw);
  return raw !== undefined && Number.isFinite(n) ? n : fallback;
};

const NO_HISTORY: readonly AttemptRecord[] = Object.freeze([]);
// Jobs mostly share a handful of backoff settings: parse each distinct JSON once.
const backoffCache = new Map<string, StoredBackoff>();
const parseBackoff = (raw: string | undefined): StoredBackoff => {
  if (raw === undefined) return DEFAULT_BACKOFF;
  let parsed = backoffCache.get(raw);
  if (!parsed) {
    parsed = parseJson<StoredBackoff>(raw, DEFAULT_BACKOFF);
    if (backoffCache.size < 1000) backoffCache.set(raw, parsed);
  }
  return parsed;
};

/** Turns a flat HGETALL reply into a record; undefined when the hash is gone. Hot path: no spreads. */
function decodeJob(id: string, flat: unknown): JobRecord | undefined {
  if (!Array.isArray(flat) || flat.length === 0) return undefined;
  const f: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) f[String(flat[i])] = String(flat[i + 1]);
  const history = f.h === undefined ? NO_HISTORY : parseJson<unknown>(f.h, NO_HISTORY);
  const record: { -readonly [K in keyof JobRecord]: JobRecord[K] } = {
    id,
    type: f.t ?? '',
    payloadJson: f.d ?? 'null',
    state: STATES.includes(f.s as JobState) ? (f.s as JobState) : 'ready',
    priority: toNumber(f.p, 0),
    attempts: toNumber(f.a, 1),
    attemptsMade: toNumber(f.m, 0),
    delivery: f.dl === 'o' ? 'at-most-once' : 'at-least-once',
    timeoutMs: toNumber(f.to, 0),
    backoff: parseBackoff(f.b),
    createdAtMs: toNumber(f.c, 0),
    readyAtMs: toNumber(f.r, 0),
    history: Array.isArray(history) ? (history as AttemptRecord[]) : NO_HISTORY,
  };
  if (f.k) record.idempotencyKey = f.k;
  if (f.pg !== undefined) record.progressJson = f.pg;
  if (f.rv !== undefined) record.resultJson = f.rv;
  if (f.e) record.error = parseJson<JobError>(f.e, { message: 'unreadable error' });
  if (f.f) record.finishedAtMs = toNumber(f.f, 0);
  return record;
}

/** Turns a claimJobs reply into a ClaimResult. */
function decodeClaim(reply: unknown[]): ClaimResult {
  const jobs: ClaimedJob[] = [];
  for (const entry of reply.slice(4) as [string, string, number, unknown][]) {
    const [id, token, startedAtMs, fields] = entry;
    const record = decodeJob(String(id), fields) as
      | { -readonly [K in keyof ClaimedJob]: ClaimedJob[K] }
      | undefined;
    if (!record) continue;
    record.state = 'active';
    record.token = String(token);
    record.startedAtMs = Number(startedAtMs);
    jobs.push(record);
  }
  const nextWakeMs = Number(reply[0]);
  return {
    jobs,
    nextWakeMs: nextWakeMs < 0 ? null : nextWakeMs,
    stalledRetried: Number(reply[1]),
    stalledDead: Number(reply[2]),
    paused: Number(reply[3]) === 1,
  };
}

/**
 * Creates a Redis job backend over a client you built.
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis';
 * const redis = new Redis(process.env.REDIS_URL, { maxRetriesPerRequest: null });
 * const queue = createJobQueue({ name: 'email', backend: createRedisJobBackend({ client: redis, prefix: 'myapp' }) });
 * ```
 */
export function createRedisJobBackend(options: RedisJobBackendOptions): JobBackend {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidOptionError('createRedisJobBackend needs an options object');
  }
  option.knownKeys('createRedisJobBackend', options, ['client', 'prefix', 'clock', 'maxBlockMs']);
  const { client } = options;
  if (
    typeof client !== 'object' ||
    client === null ||
    typeof client.evalsha !== 'function' ||
    typeof client.eval !== 'function' ||
    typeof client.duplicate !== 'function'
  ) {
    throw new InvalidOptionError('`client` must be an ioredis Redis or Cluster (evalsha, eval, duplicate)');
  }
  const keyspace: Keyspace = createKeyspace(options.prefix ?? 'bp', 'jobs');
  const clock = options.clock ?? systemClock;
  const useClock = options.clock !== undefined;
  const maxBlockMs =
    options.maxBlockMs === undefined ? 5000 : option.integer('maxBlockMs', options.maxBlockMs, 10, 300_000);
  const now = () => (useClock ? clock.now() : -1);
  const blocking = new Map<string, { conn: RedisBlockingClient; pending?: Promise<unknown> }>();
  let closed = false;

  const k = (queue: string, part: string) => keyspace.key(queue, part);
  const jobPrefix = (queue: string) => `${keyspace.key(queue, 'job')}:`;
  const jobKey = (queue: string, id: string) => `${jobPrefix(queue)}${id}`;
  const run = (script: RedisScript, keys: string[], args: (string | number)[]) =>
    runScript(client, script, keys, args);

  const blockOnce = (queue: string, waitMs: number): Promise<unknown> => {
    let entry = blocking.get(queue);
    if (!entry) {
      const conn = client.duplicate();
      // This connection is ours: its errors (Redis restarting) must not surface as unhandled 'error'
      // events. Nothing is lost: a failed wait is bounded by its timer, and the next claim reports.
      conn.on('error', () => {});
      entry = { conn };
      blocking.set(queue, entry);
    }
    const current = entry;
    // Every waiter of this queue in this process shares one BLPOP: one marker wakes them all.
    current.pending ??= current.conn
      .call('BLPOP', k(queue, 'wake'), Math.max(0.01, Math.min(waitMs, maxBlockMs) / 1000))
      .finally(() => {
        current.pending = undefined;
      });
    return current.pending;
  };

  const queueKeys = (queue: string) => [
    k(queue, 'ready'),
    k(queue, 'age'),
    k(queue, 'delayed'),
    k(queue, 'active'),
    k(queue, 'dead'),
    k(queue, 'paused'),
    k(queue, 'wake'),
  ];

  const settle = async (
    queue: string,
    completions: readonly CompleteInput[],
    claim?: { count: number; leaseMs: number; token: string },
  ) => {
    const keys = queueKeys(queue);
    const args: (string | number)[] = [
      now(),
      completions.length,
      completions[0]?.keepCompletedMs ?? 0,
      claim?.count ?? 0,
      claim?.leaseMs ?? 0,
      claim?.token ?? '',
      jobPrefix(queue),
    ];
    for (const c of completions) {
      keys.push(jobKey(queue, c.id));
      args.push(c.id, c.token, c.resultJson, c.chargedAttempts);
    }
    const [applied, claimed] = (await run(settleScript, keys, args)) as [number[], unknown];
    return {
      completed: applied.map((v) => Number(v) === 1),
      ...(Array.isArray(claimed) ? { claimed: decodeClaim(claimed) } : {}),
    };
  };

  return {
    kind: 'redis',

    async add(queue, jobs, limits): Promise<AddBatchResult> {
      const keys = [
        k(queue, 'ready'),
        k(queue, 'age'),
        k(queue, 'delayed'),
        k(queue, 'dead'),
        k(queue, 'wake'),
      ];
      const args: (string | number)[] = [
        now(),
        limits.maxDepth,
        limits.overflow,
        limits.idempotencyWindowMs,
        jobPrefix(queue),
        jobs.length,
      ];
      for (const job of jobs) {
        const key = jobKey(queue, job.id);
        keys.push(key, job.idempotencyKey ? k(queue, `idem:${job.idempotencyKey}`) : key);
        const meta = [
          job.id,
          job.type,
          job.priority,
          job.attempts,
          job.delivery === 'at-most-once' ? 'o' : 'l',
          job.timeoutMs,
          JSON.stringify(job.backoff),
          job.delayMs,
          job.idempotencyKey ?? '',
        ];
        args.push(JSON.stringify(meta), job.payloadJson);
      }
      const reply = (await run(addScript, keys, args)) as (string | number)[];
      if (Number(reply[0]) === -1) return { rejected: true, dropped: 0, jobs: [] };
      const out: { id: string; status: 'added' | 'duplicate' | 'dead' }[] = [];
      for (let i = 2; i + 1 < reply.length; i += 2) {
        out.push({ id: String(reply[i]), status: reply[i + 1] as 'added' | 'duplicate' | 'dead' });
      }
      return { rejected: false, dropped: Number(reply[1]), jobs: out };
    },

    async claim(queue, request) {
      const reply = (await run(claimScript, queueKeys(queue), [
        now(),
        request.count,
        request.leaseMs,
        request.token,
        jobPrefix(queue),
      ])) as unknown[];
      return decodeClaim(reply);
    },

    async renew(queue, leases, leaseMs) {
      if (leases.length === 0) return [];
      const keys = [k(queue, 'active'), ...leases.map((l) => jobKey(queue, l.id))];
      const args: (string | number)[] = [now(), leaseMs, leases.length];
      for (const l of leases) args.push(l.id, l.token);
      const reply = (await run(renewScript, keys, args)) as number[];
      return reply.map((v) => Number(v) === 1);
    },

    async progress(queue, id, token, progressJson) {
      const reply = await run(
        progressScript,
        [jobKey(queue, id), k(queue, 'active')],
        [now(), id, token, progressJson],
      );
      return Number(reply) === 1;
    },

    async complete(queue, input) {
      return (await settle(queue, [input])).completed[0] === true;
    },

    settle: (queue, completions, claim) => settle(queue, completions, claim),

    async fail(queue, input) {
      const reply = await run(
        failScript,
        [
          jobKey(queue, input.id),
          k(queue, 'active'),
          k(queue, 'ready'),
          k(queue, 'age'),
          k(queue, 'delayed'),
          k(queue, 'dead'),
          k(queue, 'wake'),
        ],
        [
          now(),
          input.id,
          input.token,
          JSON.stringify(input.error),
          input.retryDelayMs === null ? -1 : input.retryDelayMs,
          input.chargedAttempts,
        ],
      );
      const code = Number(reply);
      return code === 1 ? 'retried' : code === 2 ? 'dead' : 'lost';
    },

    async release(queue, id, token) {
      const reply = await run(
        releaseScript,
        [jobKey(queue, id), k(queue, 'active'), k(queue, 'ready'), k(queue, 'age'), k(queue, 'wake')],
        [now(), id, token],
      );
      return Number(reply) === 1;
    },

    async setPaused(queue, paused) {
      await run(pauseScript, [k(queue, 'paused'), k(queue, 'wake')], [paused ? '1' : '0']);
    },

    async getJob(queue, id) {
      return decodeJob(id, await run(getScript, [jobKey(queue, id)], []));
    },

    async counts(queue) {
      const reply = (await run(
        countsScript,
        [k(queue, 'ready'), k(queue, 'delayed'), k(queue, 'active'), k(queue, 'dead'), k(queue, 'paused')],
        [],
      )) as number[];
      const [ready, delayed, active, dead, paused] = reply.map(Number);
      return {
        ready: ready ?? 0,
        delayed: delayed ?? 0,
        active: active ?? 0,
        dead: dead ?? 0,
        paused: paused === 1,
      };
    },

    async lagMs(queue) {
      return Number(await run(lagScript, [k(queue, 'ready'), k(queue, 'age'), k(queue, 'delayed')], [now()]));
    },

    async listDead(queue, offset, limit) {
      const reply = (await run(listDeadScript, [k(queue, 'dead')], [offset, limit, jobPrefix(queue)])) as [
        string,
        unknown,
      ][];
      return reply.map(([id, fields]) => decodeJob(String(id), fields)).filter((r): r is JobRecord => !!r);
    },

    async redrive(queue, ids) {
      if (ids.length === 0) return 0;
      const keys = [
        k(queue, 'dead'),
        k(queue, 'ready'),
        k(queue, 'age'),
        k(queue, 'wake'),
        ...ids.map((id) => jobKey(queue, id)),
      ];
      return Number(await run(redriveScript, keys, [now(), ...ids]));
    },

    async purgeDead(queue, limit) {
      return Number(await run(purgeDeadScript, [k(queue, 'dead')], [limit, jobPrefix(queue)]));
    },

    waitForWork(queue, maxWaitMs, signal) {
      return new Promise<void>((resolve, reject) => {
        if (signal.aborted) {
          reject(signal.reason);
          return;
        }
        if (closed) {
          reject(new StoreError('the Redis job backend is closed'));
          return;
        }
        const sleeper = new AbortController();
        let settled = false;
        const settle = (fn: () => void) => {
          if (settled) return;
          settled = true;
          sleeper.abort(CANCELLED);
          signal.removeEventListener('abort', onAbort);
          fn();
        };
        const onAbort = () => settle(() => reject(signal.reason));
        signal.addEventListener('abort', onAbort, { once: true });
        // A failed BLPOP (connection lost, or a lazy client not connected yet) ends the wait after a short
        // real-time pause: the worker then claims, which reports a dead Redis and backs off.
        blockOnce(queue, maxWaitMs).then(
          () => settle(resolve),
          () => {
            const retry = setTimeout(() => settle(resolve), BLOCK_RETRY_MS);
            sleeper.signal.addEventListener('abort', () => clearTimeout(retry), { once: true });
          },
        );
        clock.sleep(maxWaitMs, sleeper.signal).then(
          () => settle(resolve),
          () => {},
        );
      });
    },

    async close() {
      closed = true;
      for (const entry of blocking.values()) entry.conn.disconnect();
      blocking.clear();
    },
  };
}
