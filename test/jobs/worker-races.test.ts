/**
 * Races between a worker's own store calls on real Redis, made deterministic with a pass-through client
 * that sees each script call (every command still runs on the real server, in the order sent):
 *
 * - a renewal that reaches Redis after the job's completion (or failure) must not be reported as a lost
 *   lease: a run whose result is on its way is not renewed, and a "lost" reply for a run that has since
 *   been recorded is not a loss;
 * - a worker that stalls between sending a claim and starting the handler (a GC pause, a blocked event
 *   loop, a slow reply) must not start a handler whose lease may have expired: another worker may have
 *   taken and completed the job meanwhile.
 *
 * The stall is reproduced three ways: a claim reply held in this process, a worker process that stops
 * itself (SIGSTOP) right after its claim is applied, and (on memory and Redis, manual clock) a reply that
 * arrives past the start deadline while the lease still holds, which must hand the job back uncharged.
 *
 * No timing assertions: the clock is driven by hand where the renewal tick matters, and the stalls wait
 * for the other worker's outcome rather than for a duration.
 */
import { once } from 'node:events';
import { resolve } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJobQueue, createWorker, type Job, type JobQueue } from '../../src/jobs/index.js';
import { claimScript } from '../../src/jobs/lua/claim.js';
import { failScript, renewScript, settleScript } from '../../src/jobs/lua/finish.js';
import { createMemoryJobBackend } from '../../src/jobs/memory.js';
import { createRedisJobBackend, type RedisJobClient } from '../../src/jobs/redis.js';
import { createManualClock, createMemoryMetrics } from '../../src/testing/index.js';
import { spawnTracked } from '../support/processes.js';
import { connectRedis, deleteByPrefix, noRedis, randomPrefix, redisUrl } from '../support/redis.js';

type Send = () => Promise<unknown>;
/** Sees every EVALSHA by script sha; returns the reply (or a promise of it) the worker gets. */
type Interceptor = (sha1: string, send: Send) => Promise<unknown>;

/** The real client, with `intercept` between the backend and each EVALSHA. */
function interceptedClient(redis: Redis, intercept: Interceptor): RedisJobClient {
  return {
    evalsha: (sha1, numberOfKeys, ...rest) =>
      intercept(sha1, () => redis.evalsha(sha1, numberOfKeys, ...rest)),
    eval: (source, numberOfKeys, ...rest) => redis.eval(source, numberOfKeys, ...rest),
    duplicate: () => redis.duplicate(),
  };
}

const deferred = <T = void>() => {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
};
const nextTurn = () => new Promise((r) => setImmediate(r));

async function until(check: () => boolean | Promise<boolean>, limitMs = 20_000) {
  const deadline = Date.now() + limitMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition never met');
    await new Promise((r) => setTimeout(r, 5));
  }
}

const codes = (errors: unknown[]) => errors.map((e) => (e as { code?: string }).code ?? String(e));
const LEASE_MS = 30_000;
const RENEW_EVERY_MS = LEASE_MS / 3;

describe.skipIf(noRedis)('worker races (Redis; one case also on memory)', () => {
  let redis: Redis;
  const prefix = randomPrefix('jobs-races');
  beforeAll(() => {
    redis = connectRedis();
  });
  afterAll(async () => {
    await deleteByPrefix(redis, prefix);
    redis.disconnect();
  });

  /** A queue on `client` whose workers renew on a manual clock (the scripts read Redis TIME). */
  const setup = (name: string, intercept: Interceptor) => {
    const clock = createManualClock(Date.now());
    const metrics = createMemoryMetrics();
    const backend = createRedisJobBackend({ client: interceptedClient(redis, intercept), prefix });
    const queue = createJobQueue({ name, backend, clock, metrics });
    const close = async () => {
      await queue.close();
      await backend.close();
    };
    return { clock, metrics, queue, close };
  };

  const stateOf = async (queue: JobQueue, id: string) => (await queue.getJob(id))?.state;

  it.each([
    { finish: 'completion', script: settleScript.sha1, outcome: 'completed', attempts: 1 },
    { finish: 'failure', script: failScript.sha1, outcome: 'dead', attempts: 1 },
  ])(
    'a renewal tick while the $finish is in flight is not a lost lease',
    async ({ finish, script, outcome, attempts }) => {
      let tick: (() => void) | undefined;
      let renewals = 0;
      const { clock, metrics, queue, close } = setup(`inflight-${finish}`, (sha1, send) => {
        if (sha1 === renewScript.sha1) renewals++;
        const reply = send();
        // The result has just been written to the socket: the renewal timer fires now, so a renewal of
        // this run would reach Redis right after the result.
        if (sha1 === script) tick?.();
        return reply;
      });
      tick = () => clock.advance(RENEW_EVERY_MS);
      const errors: unknown[] = [];
      const worker = createWorker(
        queue,
        () => {
          if (finish === 'failure') throw new Error('handler failed');
          return 'done';
        },
        { leaseMs: LEASE_MS, sampleIntervalMs: 0, onError: (e) => errors.push(e) },
      );
      const { id } = await queue.add('work', null, { attempts });
      await until(async () => (await stateOf(queue, id)) === outcome);
      await until(() => worker.inFlight() === 0);
      await nextTurn();
      tick = undefined;
      await worker.close();
      expect(codes(errors)).toEqual([]);
      expect(metrics.counterValue('jobs.lease.lost', { queue: `inflight-${finish}` })).toBe(0);
      expect(metrics.counterValue('jobs.processed', { queue: `inflight-${finish}`, outcome })).toBe(1);
      expect(renewals).toBe(0); // nothing else was held: the tick had nothing to renew
      await close();
    },
  );

  it('a renewal that reaches Redis after the completion is applied is not a lost lease', async () => {
    const handlerMayReturn = deferred();
    const completed = deferred();
    let holdRenewal = true;
    const { clock, metrics, queue, close } = setup('late-renewal', (sha1, send) => {
      if (sha1 === renewScript.sha1 && holdRenewal) {
        holdRenewal = false;
        // The renewal was built while the handler ran; it reaches Redis only after the completion
        // (as on a pool or a reconnect), so Redis answers "not held" for a job that completed.
        handlerMayReturn.resolve();
        return completed.promise.then(nextTurn).then(send);
      }
      const reply = send();
      if (sha1 === settleScript.sha1) void reply.then(() => completed.resolve());
      return reply;
    });
    const errors: unknown[] = [];
    const worker = createWorker(
      queue,
      async () => {
        await handlerMayReturn.promise;
        return 'done';
      },
      { leaseMs: LEASE_MS, sampleIntervalMs: 0, onError: (e) => errors.push(e) },
    );
    const { id } = await queue.add('work', null);
    await until(() => worker.inFlight() === 1);
    clock.advance(RENEW_EVERY_MS); // renew while the handler runs
    await until(async () => (await stateOf(queue, id)) === 'completed');
    await until(() => !holdRenewal && worker.inFlight() === 0);
    for (let i = 0; i < 5; i++) await nextTurn(); // let the late renewal's reply land
    await worker.close();
    expect(codes(errors)).toEqual([]);
    expect(metrics.counterValue('jobs.lease.lost', { queue: 'late-renewal' })).toBe(0);
    expect(metrics.counterValue('jobs.processed', { queue: 'late-renewal', outcome: 'completed' })).toBe(1);
    await close();
  });

  it('handlers finishing near leaseMs in real time report no lost lease for jobs they completed', async () => {
    const name = 'near-lease';
    const leaseMs = 300;
    const metrics = createMemoryMetrics();
    const backend = createRedisJobBackend({ client: redis, prefix });
    const queue = createJobQueue({ name, backend, metrics });
    const lostIds = new Set<string>();
    const worker = createWorker(
      queue,
      // Durations spread over one renewal interval around leaseMs: every phase of the renewal tick.
      (job: Job<{ n: number }>) => new Promise((r) => setTimeout(r, leaseMs - 50 + (job.payload.n % 100))),
      {
        concurrency: 100,
        leaseMs,
        sampleIntervalMs: 0,
        onError: (e) => {
          const jobId = (e as { jobId?: string }).jobId;
          if (jobId) lostIds.add(jobId);
        },
      },
    );
    const added = await queue.addBulk(
      Array.from({ length: 600 }, (_, n) => ({ type: 'work', payload: { n }, options: { attempts: 5 } })),
    );
    await until(async () => (await queue.counts()).active + (await queue.counts()).ready === 0, 60_000);
    await worker.close();
    const jobs = await Promise.all(added.map((a) => queue.getJob(a.id)));
    // A job completed by its first attempt never lost its lease: no report may name it.
    const firstTry = jobs.filter((j) => j?.state === 'completed' && j.attemptsMade === 1).map((j) => j!.id);
    expect(firstTry.length).toBeGreaterThan(0);
    expect(firstTry.filter((id) => lostIds.has(id))).toEqual([]);
    expect(metrics.counterValue('jobs.lease.lost', { queue: name })).toBe(lostIds.size);
    await queue.close();
    await backend.close();
  });

  it('a worker stalled between claim and start does not start a job whose lease may have expired', async () => {
    const name = 'stalled-claim';
    const metrics = createMemoryMetrics();
    const otherDone = deferred();
    let stallNextClaim = true;
    // Worker A: its first claim reply is held until worker B has completed the job (A is frozen
    // between sending the claim and starting the handler; its lease runs out meanwhile).
    const backendA = createRedisJobBackend({
      client: interceptedClient(redis, (sha1, send) => {
        const reply = send();
        if (sha1 !== claimScript.sha1 || !stallNextClaim) return reply;
        stallNextClaim = false;
        return reply.then(async (raw) => {
          await otherDone.promise;
          return raw;
        });
      }),
      prefix,
    });
    const backendB = createRedisJobBackend({ client: redis, prefix });
    const queueA = createJobQueue({ name, backend: backendA, metrics });
    const queueB = createJobQueue({ name, backend: backendB });
    const starts: string[] = [];
    const errorsOfA: unknown[] = [];
    const handler = (who: string) => (job: Job) => void starts.push(`${who}:${job.id}`);
    const { id } = await queueB.add('charge', null, { attempts: 3, backoff: { type: 'fixed', delayMs: 0 } });
    const workerA = createWorker(queueA, handler('A'), {
      leaseMs: 300,
      sampleIntervalMs: 0,
      onError: (e) => errorsOfA.push(e),
    });
    await until(() => !stallNextClaim); // A's claim has been sent and holds the job
    await until(async () => (await stateOf(queueB, id)) === 'active');
    // B recovers the lease once it has expired (it claims at least every 20 ms) and completes the job.
    const workerB = createWorker(queueB, handler('B'), {
      leaseMs: 10_000,
      maxIdleMs: 20,
      sampleIntervalMs: 0,
    });
    await until(async () => (await stateOf(queueB, id)) === 'completed');
    await workerB.close();
    otherDone.resolve(); // A wakes up with the stale claim
    const stale = () => metrics.counterValue('jobs.lease.stale', { queue: name });
    await until(() => stale() === 1 || starts.length > 1);
    await workerA.close();
    expect(starts).toEqual([`B:${id}`]); // A's handler never started on the completed job
    expect(stale()).toBe(1);
    expect(codes(errorsOfA)).toEqual([]);
    expect(metrics.counterValue('jobs.lease.lost', { queue: name })).toBe(0);
    const job = await queueB.getJob(id);
    expect(job?.state).toBe('completed');
    await queueA.close();
    await queueB.close();
    await backendA.close();
    await backendB.close();
  });

  it('a worker process stopped (SIGSTOP) between claim and start does not start the job another worker completed', async () => {
    const name = 'sigstop-claim';
    const queue = createJobQueue({ name, backend: createRedisJobBackend({ client: redis, prefix }) });
    const { id } = await queue.add('charge', null, { attempts: 3, backoff: { type: 'fixed', delayMs: 0 } });
    const fixture = resolve(import.meta.dirname, 'fixtures/stall-worker.ts');
    const child = spawnTracked(
      process.execPath,
      ['--import', 'tsx', fixture, redisUrl()!, prefix, name, '300'],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const lines: string[] = [];
    let buffered = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const parts = buffered.split('\n');
      buffered = parts.pop() ?? '';
      lines.push(...parts);
    });
    await until(() => lines.includes('claimed'), 30_000); // the child holds the job and is stopped
    const starts: string[] = [];
    const other = createWorker(queue, (job) => void starts.push(job.id), {
      leaseMs: 10_000, // only the stopped worker's lease matters here
      maxIdleMs: 20,
      sampleIntervalMs: 0,
    });
    await until(async () => (await stateOf(queue, id)) === 'completed');
    await other.close();
    child.kill('SIGCONT');
    await until(() => lines.length > 1, 30_000);
    const report = JSON.parse(lines[1]!) as {
      started: string[];
      stale: number;
      lost: number;
      errors: string[];
    };
    await once(child, 'exit');
    expect({ starts, report }).toEqual({
      starts: [id],
      report: { started: [], stale: 1, lost: 0, errors: [] },
    });
    expect((await queue.getJob(id))?.state).toBe('completed');
    await queue.close();
  });

  it.each(['memory', 'redis'] as const)(
    'a claim reached after its start deadline, while its lease still holds, is handed back uncharged and runs later (%s)',
    async (kind) => {
      const name = `late-start-${kind}`;
      const clock = createManualClock(Date.now());
      const metrics = createMemoryMetrics();
      const inner =
        kind === 'memory'
          ? createMemoryJobBackend({ clock })
          : createRedisJobBackend({ client: redis, prefix, clock });
      let stall = true;
      // The first claim's reply reaches the worker 80% of a lease after it was sent: past the start
      // deadline (two thirds of the lease), before the lease ends.
      const backend = {
        ...inner,
        claim: async (...args: Parameters<typeof inner.claim>) => {
          const result = await inner.claim(...args);
          if (stall && result.jobs.length > 0) {
            stall = false;
            clock.advance(LEASE_MS * 0.8);
          }
          return result;
        },
      };
      const queue = createJobQueue({ name, backend, clock, metrics });
      const starts: string[] = [];
      const worker = createWorker(queue, (job) => void starts.push(job.id), {
        leaseMs: LEASE_MS,
        sampleIntervalMs: 0,
        onError: () => {},
      });
      const { id } = await queue.add('work', null, { attempts: 1 });
      await until(async () => (await stateOf(queue, id)) === 'completed');
      await worker.close();
      const job = await queue.getJob(id);
      expect(starts).toEqual([id]); // started once, by the second claim
      expect(job?.attemptsMade).toBe(1); // the stale claim was released without charging its attempt
      expect(job?.history).toEqual([]);
      expect(metrics.counterValue('jobs.lease.stale', { queue: name })).toBe(1);
      expect(metrics.counterValue('jobs.lease.lost', { queue: name })).toBe(0);
      await queue.close();
      await inner.close();
    },
  );
});
