/**
 * Redis restarted mid-run: a private `redis-server` with AOF `appendfsync always` is SIGKILLed and
 * started again while a producer adds and a worker drains. No job whose add() resolved may be lost.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJobQueue, createWorker } from '../../src/jobs/index.js';
import { createRedisJobBackend } from '../../src/jobs/redis.js';
import { onPath } from '../support/processes.js';
import { type PrivateRedis, startRedisServer } from '../support/redis-server.js';

const JOBS = 600;

describe.skipIf(!onPath('redis-server'))('Redis restart with AOF (appendfsync always)', () => {
  let server: PrivateRedis;
  beforeAll(async () => {
    server = await startRedisServer({ args: ['--appendonly', 'yes', '--appendfsync', 'always'] });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('loses no job whose add() resolved', { timeout: 90_000 }, async () => {
    // The app's clients: retry each command once, reconnect forever.
    const producerClient = new Redis(server.url, { maxRetriesPerRequest: 1 });
    const workerClient = new Redis(server.url, { maxRetriesPerRequest: 1 });
    for (const client of [producerClient, workerClient]) client.on('error', () => {}); // expected while down
    const producer = createJobQueue({
      name: 'restart',
      backend: createRedisJobBackend({ client: producerClient }),
    });
    const consumerBackend = createRedisJobBackend({ client: workerClient });
    const consumerQueue = createJobQueue({ name: 'restart', backend: consumerBackend });
    const handled = new Set<number>();
    const worker = createWorker<{ n: number }>(
      consumerQueue,
      async (job) => {
        await new Promise((r) => setTimeout(r, 2));
        handled.add(job.payload.n);
      },
      { concurrency: 5, leaseMs: 1000, sampleIntervalMs: 0, onError: () => {} },
    );

    const runId = async () => /run_id:(\w+)/.exec(String(await producerClient.info('server')))?.[1];
    const runIdBefore = await runId();
    const acknowledged: number[] = [];
    let failedAdds = 0;
    let restarted: Promise<void> | undefined;
    for (let n = 0; n < JOBS; n++) {
      if (n === JOBS / 3) {
        // SIGKILL, stay down for a moment (adds fail and are retried), then start on the same AOF.
        restarted = (async () => {
          await server.kill();
          await new Promise((r) => setTimeout(r, 500));
          await server.restart();
        })();
      }
      // An add that fails during the outage is retried by the producer, as an app would.
      for (;;) {
        try {
          await producer.add('work', { n }, { backoff: { type: 'fixed', delayMs: 50 } });
          acknowledged.push(n);
          break;
        } catch {
          failedAdds++;
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    }
    await restarted;
    expect(await runId()).not.toBe(runIdBefore); // the server really was restarted mid-run
    const deadline = Date.now() + 60_000;
    while (acknowledged.some((n) => !handled.has(n)) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    await worker.close({ timeoutMs: 1000 });
    const missing = acknowledged.filter((n) => !handled.has(n));
    console.log(
      `[redis restart] acknowledged=${acknowledged.length} failedAddsRetried=${failedAdds} handled=${handled.size} missing=${missing.length}`,
    );
    expect(acknowledged).toHaveLength(JOBS);
    expect(missing).toEqual([]);
    await producer.close();
    await consumerQueue.close();
    await consumerBackend.close();
    producerClient.disconnect();
    workerClient.disconnect();
  });
});
