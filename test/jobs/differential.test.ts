/**
 * Memory vs Redis differential for the JobBackend port: the same seeded random operations (add, claim,
 * complete, fail, release, renew, advance time, pause, resume, counts, get, lag, dead letters) on both
 * backends under manual clocks kept in step, with every observation compared. Ids come from the test
 * and tokens from the claim request, so they match across backends; leases are remembered per backend.
 */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { createMemoryJobBackend, type JobBackend, type LeaseRef, type NewJob } from '../../src/jobs/index.js';
import { createRedisJobBackend } from '../../src/jobs/redis.js';
import { type DifferentialRandom, runDifferential } from '../../src/testing/index.js';
import { connectRedis, deleteByPrefix, noRedis, randomPrefix } from '../support/redis.js';

const QUEUE = 'diff';
// Completed jobs expire by Redis PEXPIRE (real time) but by the clock in memory: keep them past the run.
const KEEP_COMPLETED_MS = 3_600_000;

type Op =
  | { op: 'add'; jobs: NewJob[]; maxDepth: number; overflow: 'reject' | 'drop-oldest' | 'dead-letter' }
  | { op: 'claim'; count: number; leaseMs: number; token: string }
  | { op: 'complete' | 'release' | 'renew' | 'progress'; lease: number; keep?: boolean }
  | { op: 'fail'; lease: number; retryDelayMs: number | null; charged: number }
  | { op: 'advance'; ms: number }
  | { op: 'pause' | 'resume' | 'counts' | 'lag' | 'listDead' | 'redriveAll' }
  | { op: 'get'; job: number };

const backoffs = [
  { type: 'fixed', delayMs: 0 },
  { type: 'fixed', delayMs: 700 },
  // jitter 0: the expired-lease backoff is then the same on both sides (no random draw to compare)
  { type: 'exponential', delayMs: 300, maxDelayMs: 2000, jitter: 0 },
] as const;

function newJob(r: DifferentialRandom, step: number, i: number): NewJob {
  const idempotent = r.next() < 0.2;
  return {
    id: `j${String(step).padStart(3, '0')}-${i}`,
    type: r.pick(['a', 'b']),
    payloadJson: JSON.stringify({ step, i }),
    priority: r.pick([0, 0, 0, 1, 5]),
    attempts: r.int(1, 3),
    delivery: r.next() < 0.15 ? 'at-most-once' : 'at-least-once',
    timeoutMs: 0,
    backoff: r.pick(backoffs),
    delayMs: r.pick([0, 0, 0, 500, 3000]),
    ...(idempotent ? { idempotencyKey: `k${r.int(0, 3)}` } : {}),
  };
}

function generate(r: DifferentialRandom, step: number): Op {
  const roll = r.int(0, 99);
  if (roll < 22) {
    const jobs = Array.from({ length: r.int(1, 3) }, (_, i) => newJob(r, step, i));
    // at-most-once jobs must have one attempt (the queue enforces it; the port trusts the queue)
    const fixed = jobs.map((j) => (j.delivery === 'at-most-once' ? { ...j, attempts: 1 } : j));
    return {
      op: 'add',
      jobs: fixed,
      maxDepth: r.pick([0, 0, 4]),
      overflow: r.pick(['reject', 'drop-oldest', 'dead-letter']),
    };
  }
  if (roll < 40) return { op: 'claim', count: r.int(1, 3), leaseMs: r.pick([500, 2000]), token: `w${step}` };
  if (roll < 52) return { op: 'complete', lease: r.int(0, 9), keep: r.next() < 0.7 };
  if (roll < 60)
    return { op: 'fail', lease: r.int(0, 9), retryDelayMs: r.pick([null, 0, 400]), charged: r.int(0, 1) };
  if (roll < 64) return { op: 'release', lease: r.int(0, 9) };
  if (roll < 68) return { op: 'renew', lease: r.int(0, 9) };
  if (roll < 71) return { op: 'progress', lease: r.int(0, 9) };
  if (roll < 82) return { op: 'advance', ms: r.pick([1, 300, 501, 1000, 2500]) };
  if (roll < 85) return { op: r.pick(['pause', 'resume'] as const) };
  if (roll < 90) return { op: 'get', job: r.int(0, 30) };
  return { op: r.pick(['counts', 'lag', 'listDead', 'redriveAll'] as const) };
}

/** Leases each backend handed out, in claim order (the same order on both when they agree). */
const leases = new WeakMap<JobBackend, LeaseRef[]>();
/** Job ids each backend was given, in add order. */
const added = new WeakMap<JobBackend, string[]>();

const leaseOf = (b: JobBackend, i: number): LeaseRef => {
  const list = leases.get(b) ?? [];
  return list.length ? list[i % list.length]! : { id: 'none', token: 'none' };
};

/** JSON round trip: `undefined` fields and missing fields compare equal, as they mean the same. */
const plain = (value: unknown) => (value === undefined ? null : JSON.parse(JSON.stringify(value)));

async function apply(b: JobBackend, op: Op, clock: { advance(ms: number): void }): Promise<unknown> {
  switch (op.op) {
    case 'add': {
      added.set(b, [...(added.get(b) ?? []), ...op.jobs.map((j) => j.id)]);
      const limits = { maxDepth: op.maxDepth, overflow: op.overflow, idempotencyWindowMs: 5000 };
      return b.add(QUEUE, { jobs: op.jobs, limits });
    }
    case 'claim': {
      const result = await b.claim(QUEUE, op);
      const held = result.jobs.filter((j) => j.token !== '').map((j) => ({ id: j.id, token: j.token }));
      leases.set(b, [...(leases.get(b) ?? []), ...held]);
      return plain(result);
    }
    case 'complete': {
      const lease = leaseOf(b, op.lease);
      const keepCompletedMs = op.keep ? KEEP_COMPLETED_MS : 0;
      return b.complete(QUEUE, { ...lease, resultJson: '"ok"', chargedAttempts: 0, keepCompletedMs });
    }
    case 'fail': {
      const error = { message: 'boom', code: 'E_TEST' };
      const input = {
        ...leaseOf(b, op.lease),
        error,
        retryDelayMs: op.retryDelayMs,
        chargedAttempts: op.charged,
      };
      return b.fail(QUEUE, input);
    }
    case 'release':
      return b.release(QUEUE, leaseOf(b, op.lease));
    case 'renew':
      return b.renew(QUEUE, { leases: [leaseOf(b, op.lease)], leaseMs: 1000 });
    case 'progress':
      return b.progress(QUEUE, { ...leaseOf(b, op.lease), progressJson: '{"pct":50}' });
    case 'advance':
      clock.advance(op.ms);
      return op.ms;
    case 'pause':
    case 'resume':
      return b.setPaused(QUEUE, op.op === 'pause');
    case 'counts':
      return b.counts(QUEUE);
    case 'lag':
      return b.lagMs(QUEUE);
    case 'listDead':
      return plain(await b.listDead(QUEUE, { offset: 0, limit: 50 }));
    case 'redriveAll': {
      const dead = await b.listDead(QUEUE, { offset: 0, limit: 50 });
      return b.redrive(
        QUEUE,
        dead.map((j) => j.id),
      );
    }
    case 'get': {
      const ids = added.get(b) ?? [];
      return plain(ids.length ? await b.getJob(QUEUE, ids[op.job % ids.length]!) : undefined);
    }
  }
}

describe.skipIf(noRedis)('JobBackend differential: memory vs Redis', () => {
  let redis: Redis;
  const prefix = randomPrefix('jobs-diff');
  beforeAll(() => {
    redis = connectRedis();
  });
  afterAll(async () => {
    await deleteByPrefix(redis, prefix);
    redis.disconnect();
  });

  it('the same random operations give the same observations', async () => {
    let run = 0;
    await runDifferential<JobBackend, Op>({
      reference: (clock) => ({ subject: createMemoryJobBackend({ clock }) }),
      candidate: (clock) => {
        const subject = createRedisJobBackend({ client: redis, prefix: `${prefix}-${run++}`, clock });
        return { subject, close: () => subject.close() };
      },
      generate,
      apply,
      runs: 12,
      steps: 60,
      seed: Number(process.env.DIFF_SEED ?? 20_260_101),
    });
  }, 60_000);
});
