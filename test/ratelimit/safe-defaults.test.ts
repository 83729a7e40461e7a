/**
 * Safe defaults against a real redis-server of the test's own (never the shared one: it is stopped and
 * killed here). The burst: 8 processes × 500 calls at one key, limit 1 000, default options
 * (insurance at share 0.1, 50 ms deadline, the circuit), for every algorithm, plainly, with Redis stopped
 * (SIGSTOP) for 200 ms mid-burst, and with Redis killed mid-burst: the total admitted stays within the
 * documented bound `limit + processes × floor(limit × share)` and no call throws. Then the two sides of
 * "timeout or outage": a hung Redis opens the circuit, a loaded one does not. Count-based only.
 */
import type { ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRateLimiter, fixedWindow, slidingWindowLog } from '../../src/ratelimit/index.js';
import { createRedisRateLimitStore } from '../../src/ratelimit/redis.js';
import { createManualClock, createMemoryMetrics } from '../../src/testing/index.js';
import { onPath, spawnTracked, waitFor } from '../support/processes.js';
import { randomPrefix } from '../support/redis.js';
import { type PrivateRedis, startRedisServer } from '../support/redis-server.js';
import { counting } from './fixtures/helpers.js';

const noServer = !onPath('redis-server');
const worker = resolve(import.meta.dirname, 'fixtures/burst-worker.ts');
const PROCESSES = 8;
const CALLS = 500;
const LIMIT = 1000;
/** The documented bound with the default share 0.1. */
const BOUND = LIMIT + PROCESSES * Math.floor(LIMIT * 0.1);
const KINDS = [
  'fixed-window',
  'sliding-window-log',
  'sliding-window-counter',
  'token-bucket',
  'gcra',
  'leaky-bucket',
] as const;

interface Done {
  readonly allowed: number;
  readonly degraded: number;
  readonly insuranceAllowed: number;
  readonly opened: number;
  readonly thrown: readonly string[];
}

/** One worker process, spoken to over IPC. */
function startWorker(url: string) {
  const child: ChildProcess = spawnTracked(process.execPath, ['--import', 'tsx', worker, url], {
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.on('data', (d) => {
    stderr += d;
  });
  const next = (type: string) =>
    new Promise<Record<string, unknown>>((done, fail) => {
      const onMessage = (m: Record<string, unknown>) => {
        if (m.type === 'crashed') fail(new Error(`worker crashed: ${String(m.error)}`));
        if (m.type !== type) return;
        child.off('message', onMessage);
        child.off('exit', onExit);
        done(m);
      };
      const onExit = (code: number | null) => fail(new Error(`worker exited ${code}: ${stderr}`));
      child.on('message', onMessage);
      child.once('exit', onExit);
    });
  return { child, next, send: (m: object) => child.send(m) };
}
type Worker = ReturnType<typeof startWorker>;

describe.skipIf(noServer)(
  `${PROCESSES} processes × ${CALLS} calls at one key, limit ${LIMIT}, defaults`,
  () => {
    let server: PrivateRedis;
    let workers: Worker[] = [];
    beforeAll(async () => {
      server = await startRedisServer();
      workers = Array.from({ length: PROCESSES }, () => startWorker(server.url));
      await Promise.all(workers.map((w) => w.next('ready')));
    }, 60_000);
    afterAll(async () => {
      for (const w of workers) w.send({ type: 'exit' });
      await server?.stop();
    });

    /** Starts `during` (stall or kill Redis), then lets the paused workers go on; resolves when it ends. */
    function startBreaking(during: (() => Promise<void> | void) | undefined): Promise<void> {
      const breaking = Promise.resolve(during?.());
      for (const w of workers) w.send({ type: 'go' });
      return breaking;
    }

    /** Runs one round on every worker; `during` runs once all reported `paused` (mid rounds). */
    async function round(kind: string, during?: () => Promise<void> | void) {
      const prefix = randomPrefix(`burst-${kind}`);
      const mid = during !== undefined;
      const done = workers.map((w) => w.next('done'));
      const paused = mid ? workers.map((w) => w.next('paused')) : [];
      for (const w of workers) {
        w.send({ type: 'round', prefix, kind, calls: CALLS, mid, pauseAfter: 100, waveSize: 50 });
      }
      // Mid rounds: once every worker is paused, break Redis and let them go on against it.
      const breaking = mid ? Promise.all(paused).then(() => startBreaking(during)) : undefined;
      const results = (await Promise.all(done)) as unknown as Done[];
      await breaking;
      const sum = (f: (d: Done) => number) => results.reduce((a, d) => a + f(d), 0);
      const totals = {
        allowed: sum((d) => d.allowed),
        degraded: sum((d) => d.degraded),
        insuranceAllowed: sum((d) => d.insuranceAllowed),
        opened: sum((d) => d.opened),
        thrown: results.flatMap((d) => d.thrown),
      };
      return totals;
    }
    const within = (t: Awaited<ReturnType<typeof round>>) => {
      expect(t.thrown).toEqual([]);
      expect(t.allowed).toBeLessThanOrEqual(BOUND);
      // What Redis admitted is within the limit; the rest came from the insurance, within its share.
      expect(t.allowed - t.insuranceAllowed).toBeLessThanOrEqual(LIMIT);
      expect(t.insuranceAllowed).toBeLessThanOrEqual(PROCESSES * LIMIT * 0.1);
    };

    for (const kind of KINDS) {
      it(`${kind}: the burst admits at most ${BOUND}, exactly ${LIMIT} when every call was answered`, async () => {
        const t = await round(kind);
        within(t);
        if (t.degraded === 0) expect(t.allowed).toBe(LIMIT);
      });
    }

    for (const kind of KINDS) {
      it(`${kind}: Redis stopped for 200 ms mid-burst: within the bound, nothing thrown`, async () => {
        const t = await round(kind, async () => {
          server.pause();
          await new Promise((r) => setTimeout(r, 200));
          server.resume();
        });
        within(t);
      });
    }

    for (const kind of KINDS) {
      it(`${kind}: Redis killed mid-burst: within the bound, nothing thrown`, async () => {
        const t = await round(kind, () => server.kill());
        within(t);
        expect(t.degraded).toBeGreaterThan(0); // the calls after the kill were answered by the insurance
        await server.restart();
      });
    }
  },
);

describe.skipIf(noServer)('timeout or outage, against a real redis-server', () => {
  let server: PrivateRedis;
  let client: Redis;
  beforeAll(async () => {
    server = await startRedisServer();
    client = new Redis(server.url, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    await waitFor('redis ready', async () => client.status === 'ready');
  });
  afterAll(async () => {
    client?.disconnect();
    await server?.stop();
  });

  it('a hung Redis (SIGSTOP) opens the circuit after three silent deadlines; one probe closes it', async () => {
    const clock = createManualClock(1_000_000); // the circuit's open period; Redis decides on its own TIME
    const metrics = createMemoryMetrics();
    const { store, calls } = counting(createRedisRateLimitStore({ client, prefix: randomPrefix('hung') }));
    const limiter = createRateLimiter({
      name: 'hung',
      algorithm: slidingWindowLog({ limit: 1000, windowMs: 60_000 }),
      store,
      clock,
      metrics,
    });
    expect((await limiter.limit('k')).degraded).toBe(false);
    server.pause();
    try {
      for (let i = 1; i <= 3; i++) {
        expect(metrics.counterValue('ratelimit.store.circuit', { state: 'open' })).toBe(0);
        expect(await limiter.limit('k')).toMatchObject({ allowed: true, degraded: true, reason: 'ok' });
      }
      expect(metrics.counterValue('ratelimit.store.circuit', { state: 'open' })).toBe(1);
      const reached = calls.decide;
      const open = await Promise.all(Array.from({ length: 200 }, () => limiter.limit('k')));
      expect(open.filter((r) => r.allowed)).toHaveLength(100 - 3); // insurance: 100, 3 used while silent
      expect(calls.decide).toBe(reached); // answered at once, Redis untouched
    } finally {
      server.resume();
    }
    clock.advance(1000);
    const [probe, ...others] = await Promise.all(Array.from({ length: 20 }, () => limiter.limit('k')));
    expect(probe?.degraded).toBe(false); // the one probe, answered by Redis: the circuit closes
    expect(others.every((r) => r.degraded)).toBe(true); // the others did not wait for it
    expect(metrics.counterValue('ratelimit.store.circuit', { state: 'closed' })).toBe(1);
    expect((await limiter.limit('k')).degraded).toBe(false);
  });

  it('an answer waiting in the socket while the event loop is blocked past the deadline is not a timeout', async () => {
    const metrics = createMemoryMetrics();
    const limiter = createRateLimiter({
      name: 'stall',
      algorithm: fixedWindow({ limit: 10, windowMs: 60_000 }),
      store: createRedisRateLimitStore({ client, prefix: randomPrefix('stall') }),
      metrics,
      storeTimeoutMs: 5,
    });
    for (let round = 0; round < 5; round++) {
      const pending = limiter.limit('k');
      await new Promise<void>((r) => queueMicrotask(r)); // the command is written to the socket
      const blockedUntil = performance.now() + 100; // a GC pause, a saturated CPU: Redis answers meanwhile
      while (performance.now() < blockedUntil) {
        // busy: the deadline timer is due long before the event loop reads the answer
      }
      expect((await pending).degraded).toBe(false);
    }
    expect(metrics.counterValue('ratelimit.requests', { outcome: 'error' })).toBe(0);
  });
});
