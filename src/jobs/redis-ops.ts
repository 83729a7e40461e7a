/**
 * The Redis backend's port methods, in three groups with one reason to change each: the producer side
 * (add, reads, pause), the worker side (claim, settle, fail, renew, ...) and the dead-letter queue.
 * Each method is one script call; its arguments follow the script's generated header.
 */
import { type RedisScript, type RedisScriptClient, runScript } from '../core/redis/script.js';
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
import { decodeJob, toClaimResult } from './redis-records.js';
import type { JobBackend, JobRecord, SettleRequest, SettleResult } from './types.js';

/** The keys of one queue (all share its `{queue}` hash tag). */
export interface QueueKeys {
  readonly ready: string;
  readonly age: string;
  readonly delayed: string;
  readonly active: string;
  readonly dead: string;
  readonly paused: string;
  readonly wake: string;
  /** A job's hash is `jobPrefix + id`. */
  readonly jobPrefix: string;
  /** An idempotency key's entry is `idemPrefix + key`. */
  readonly idemPrefix: string;
}

/** What the op groups share: how to run a script, the keys of a queue, and the time argument. */
export interface RedisOpsContext {
  readonly client: RedisScriptClient;
  keys(queue: string): QueueKeys;
  /** `timeArg(clock)`: the clock's reading, or REDIS_TIME. */
  now(): number | string;
}

type Args = (string | number)[];

const run = <R>(ctx: RedisOpsContext, script: RedisScript<R>, keys: readonly string[], args: Args) =>
  runScript(ctx.client, script, keys, args);

/** KEYS[1..7] of the claim and settle scripts. */
const claimKeys = (k: QueueKeys) => [k.ready, k.age, k.delayed, k.active, k.dead, k.paused, k.wake];

type ProducerOps = Pick<JobBackend, 'add' | 'setPaused' | 'getJob' | 'counts' | 'lagMs'>;

/** add, setPaused, getJob, counts, lagMs. */
export function producerOps(ctx: RedisOpsContext): ProducerOps {
  return {
    async add(queue, { jobs, limits }) {
      const k = ctx.keys(queue);
      const keys = [k.ready, k.age, k.delayed, k.dead, k.wake];
      const args: Args = [
        ctx.now(),
        limits.maxDepth,
        limits.overflow,
        limits.idempotencyWindowMs,
        k.jobPrefix,
        jobs.length,
      ];
      for (const job of jobs) {
        const key = k.jobPrefix + job.id;
        keys.push(key, job.idempotencyKey ? k.idemPrefix + job.idempotencyKey : key);
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
      const { head, rest } = await run(ctx, addScript, keys, args);
      if (head[0]) return { rejected: true, dropped: 0, jobs: [] };
      return { rejected: false, dropped: head[1], jobs: rest.map(([id, status]) => ({ id, status })) };
    },
    async setPaused(queue, paused) {
      const k = ctx.keys(queue);
      await run(ctx, pauseScript, [k.paused, k.wake], [paused ? '1' : '0']);
    },
    async getJob(queue, id) {
      const k = ctx.keys(queue);
      return decodeJob(id, await run(ctx, getScript, [k.jobPrefix + id], []));
    },
    async counts(queue) {
      const k = ctx.keys(queue);
      const keys = [k.ready, k.delayed, k.active, k.dead, k.paused];
      const [ready, delayed, active, dead, paused] = await run(ctx, countsScript, keys, []);
      return { ready, delayed, active, dead, paused };
    },
    lagMs(queue) {
      const k = ctx.keys(queue);
      return run(ctx, lagScript, [k.ready, k.age, k.delayed], [ctx.now()]);
    },
  };
}

/** One `settle` call: completions (each fenced on its own), then an optional claim. */
async function settle(ctx: RedisOpsContext, queue: string, request: SettleRequest): Promise<SettleResult> {
  const { completions, claim } = request;
  const k = ctx.keys(queue);
  const keys = claimKeys(k);
  const args: Args = [
    ctx.now(),
    completions.length,
    completions[0]?.keepCompletedMs ?? 0,
    claim?.count ?? 0,
    claim?.leaseMs ?? 0,
    claim?.token ?? '',
    k.jobPrefix,
  ];
  for (const c of completions) {
    keys.push(k.jobPrefix + c.id);
    args.push(c.id, c.token, c.resultJson, c.chargedAttempts);
  }
  const [completed, claimed] = await run(ctx, settleScript, keys, args);
  return claimed ? { completed, claimed: toClaimResult(claimed) } : { completed };
}

type WorkerOps = Pick<
  JobBackend,
  'claim' | 'settle' | 'complete' | 'renew' | 'progress' | 'fail' | 'release'
>;

/** claim, settle, complete, renew, progress, fail, release. */
export function workerOps(ctx: RedisOpsContext): WorkerOps {
  return {
    async claim(queue, { count, leaseMs, token }) {
      const k = ctx.keys(queue);
      const args = [ctx.now(), count, leaseMs, token, k.jobPrefix];
      return toClaimResult(await run(ctx, claimScript, claimKeys(k), args));
    },
    settle: (queue, request) => settle(ctx, queue, request),
    async complete(queue, input) {
      return (await settle(ctx, queue, { completions: [input] })).completed[0] === true;
    },
    async renew(queue, { leases, leaseMs }) {
      if (leases.length === 0) return [];
      const k = ctx.keys(queue);
      const keys = [k.active, ...leases.map((l) => k.jobPrefix + l.id)];
      const args: Args = [ctx.now(), leaseMs, leases.length];
      for (const l of leases) args.push(l.id, l.token);
      return run(ctx, renewScript, keys, args);
    },
    progress(queue, { id, token, progressJson }) {
      const k = ctx.keys(queue);
      return run(ctx, progressScript, [k.jobPrefix + id, k.active], [ctx.now(), id, token, progressJson]);
    },
    fail(queue, input) {
      const k = ctx.keys(queue);
      const keys = [k.jobPrefix + input.id, k.active, k.ready, k.age, k.delayed, k.dead, k.wake];
      const retryDelayMs = input.retryDelayMs === null ? -1 : input.retryDelayMs;
      const args = [
        ctx.now(),
        input.id,
        input.token,
        JSON.stringify(input.error),
        retryDelayMs,
        input.chargedAttempts,
      ];
      return run(ctx, failScript, keys, args);
    },
    release(queue, { id, token }) {
      const k = ctx.keys(queue);
      const keys = [k.jobPrefix + id, k.active, k.ready, k.age, k.wake];
      return run(ctx, releaseScript, keys, [ctx.now(), id, token]);
    },
  };
}

type DeadLetterOps = Pick<JobBackend, 'listDead' | 'redrive' | 'purgeDead'>;

/** listDead, redrive, purgeDead. */
export function deadLetterOps(ctx: RedisOpsContext): DeadLetterOps {
  return {
    async listDead(queue, { offset, limit }) {
      const k = ctx.keys(queue);
      const reply = await run(ctx, listDeadScript, [k.dead], [offset, limit, k.jobPrefix]);
      return reply.map(([id, fields]) => decodeJob(id, fields)).filter((r): r is JobRecord => !!r);
    },
    async redrive(queue, ids) {
      if (ids.length === 0) return 0;
      const k = ctx.keys(queue);
      const keys = [k.dead, k.ready, k.age, k.wake, ...ids.map((id) => k.jobPrefix + id)];
      return run(ctx, redriveScript, keys, [ctx.now(), ...ids]);
    },
    purgeDead(queue, limit) {
      const k = ctx.keys(queue);
      return run(ctx, purgeDeadScript, [k.dead], [limit, k.jobPrefix]);
    },
  };
}
