/**
 * RabbitMQ restarted mid-run: a private node (its own name, port and data directory; never the shared
 * one) is SIGKILLed and started again on the same data while producers add and a worker drains. Every
 * add that resolved (its publisher confirm arrived) must be consumed afterwards: quorum queues keep
 * confirmed messages on the single node's disk. Adds during the outage reject (a typed error) or
 * resolve after the reconnection; the worker resumes by itself.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isBackendPatternsError } from '../../src/core/errors.js';
import { createAmqpJobBackend } from '../../src/jobs/amqp.js';
import { createJobQueue, createWorker, type JobQueue } from '../../src/jobs/index.js';
import { type PrivateRabbit, skipPrivateRabbit, startRabbitNode } from '../support/rabbitmq-node.js';

const JOBS = 600;
const PRODUCERS = 2;
/** The node stays down this long after the kill, on top of its restart (seconds on this machine). */
const DOWN_MS = 500;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface ProducerStats {
  readonly acknowledged: number[];
  /** Rejected adds, by error code (each was retried until it resolved). */
  readonly rejected: Map<string, number>;
  /** Adds begun before the restart completed that resolved after it (they waited for the reconnection). */
  resolvedAcrossOutage: number;
}

/** Adds `numbers` one by one, retrying a rejected add as an app would. `phase`: 0 up, 1 down, 2 restarted. */
async function produce(
  queue: JobQueue,
  numbers: readonly number[],
  stats: ProducerStats,
  phase: () => number,
) {
  for (const n of numbers) {
    for (;;) {
      const before = phase();
      try {
        await queue.add('work', { n }, { backoff: { type: 'fixed', delayMs: 50 } });
        if (before < 2 && phase() === 2) stats.resolvedAcrossOutage++;
        stats.acknowledged.push(n);
        break;
      } catch (error) {
        const code = isBackendPatternsError(error) ? error.code : `untyped ${String(error)}`;
        stats.rejected.set(code, (stats.rejected.get(code) ?? 0) + 1);
        await sleep(50);
      }
    }
  }
}

describe.skipIf(skipPrivateRabbit())('RabbitMQ restart (private node, SIGKILL mid-run)', () => {
  let node: PrivateRabbit;
  beforeAll(async () => {
    node = await startRabbitNode();
  }, 180_000);
  afterAll(async () => {
    await node?.stop();
  });

  it('loses no job whose add() resolved; the worker resumes by itself', { timeout: 300_000 }, async () => {
    const settings = {
      url: node.url,
      reconnect: { initialDelayMs: 50, maxDelayMs: 500 },
      publishTimeoutMs: 3000,
    };
    const producerBackend = createAmqpJobBackend(settings);
    const consumerBackend = createAmqpJobBackend(settings);
    const producer = createJobQueue({ name: 'restart', backend: producerBackend });
    const consumerQueue = createJobQueue({ name: 'restart', backend: consumerBackend, keepCompletedMs: 0 });
    // Declares the topology; RabbitMQ 3.10 saves a new quorum queue's Ra registration every 500 ms, and
    // one declared just before a crash comes back empty and leaderless: this test is not about that.
    await producer.counts();
    await sleep(2000);

    const handled = new Set<number>();
    let handledAfterRestart = 0;
    let restartedAt: number | undefined;
    const worker = createWorker<{ n: number }>(
      consumerQueue,
      async (job) => {
        await sleep(2);
        handled.add(job.payload.n);
        if (restartedAt !== undefined) handledAfterRestart++;
      },
      { concurrency: 5, sampleIntervalMs: 0, onError: () => {} },
    );

    const beamBefore = node.beamPid();
    let phase = 0;
    const stats: ProducerStats = { acknowledged: [], rejected: new Map(), resolvedAcrossOutage: 0 };
    const killAt = Math.floor(JOBS / 3);
    const numbers = Array.from({ length: JOBS }, (_, n) => n);
    const producers = Array.from({ length: PRODUCERS }, (_, p) =>
      produce(
        producer,
        numbers.filter((n) => n % PRODUCERS === p),
        stats,
        () => phase,
      ),
    );
    // SIGKILL once a third of the adds resolved; stay down a moment, then start on the same data.
    while (stats.acknowledged.length < killAt) await sleep(5);
    const restarted = (async () => {
      phase = 1;
      await node.kill();
      await sleep(DOWN_MS);
      await node.restart();
      phase = 2;
      restartedAt = Date.now();
    })();
    await Promise.all(producers);
    await restarted;
    expect(node.beamPid()).not.toBe(beamBefore); // the node really was restarted mid-run

    const acknowledged = stats.acknowledged;
    const deadline = Date.now() + 120_000;
    while (acknowledged.some((n) => !handled.has(n)) && Date.now() < deadline) await sleep(50);
    await worker.close({ timeoutMs: 2000 });
    const missing = acknowledged.filter((n) => !handled.has(n));
    console.log(
      `[amqp restart] acknowledged=${acknowledged.length} rejected=${JSON.stringify(Object.fromEntries(stats.rejected))} ` +
        `resolvedAcrossOutage=${stats.resolvedAcrossOutage} handled=${handled.size} handledAfterRestart=${handledAfterRestart} ` +
        `missing=${missing.length} nodeStartsMs=${node.startsMs.join(',')}`,
    );
    expect(acknowledged).toHaveLength(JOBS);
    expect(missing).toEqual([]);
    expect(handledAfterRestart).toBeGreaterThan(0); // the same worker, reconnected by itself
    for (const code of stats.rejected.keys()) expect(code).toMatch(/^ERR_/); // typed, never a bare Error
    await producer.close();
    await consumerQueue.close();
    await producerBackend.close();
    await consumerBackend.close();
  });
});
