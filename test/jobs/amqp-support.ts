/**
 * RabbitMQ for the amqp job backend's tests: backends on random prefixes whose connections the test
 * can reach (to destroy a socket), and deletion of every queue they declared afterwards.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { type ChannelModel, connect } from 'amqplib';
import { afterEach } from 'vitest';
import {
  type AmqpJobBackend,
  type AmqpJobBackendOptions,
  createAmqpJobBackend,
} from '../../src/jobs/amqp.js';
import { createJobQueue, type JobQueue, type JobQueueOptions, type Worker } from '../../src/jobs/index.js';

/** The shared broker (guest/guest). */
export const AMQP_URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

/** Short ladder steps, so delays and backoffs take tens of ms. */
export const DEFAULT_TEST_STEPS_MS: readonly number[] = [50, 200, 1000];

/** A backend under test, the connections it opened, and its queue names. */
export interface AmqpFixture {
  readonly backend: AmqpJobBackend;
  readonly prefix: string;
  /** Every connection the backend opened, newest last. */
  readonly models: ChannelModel[];
  /** A fresh queue name, deleted by `cleanup`. */
  queue(): string;
  /** Deletes the queues of every name from `queue()`, then closes the backend. */
  cleanup(): Promise<void>;
}

/**
 * Destroys the socket under `model`, as a network failure (ECONNRESET) would. With an error: amqplib
 * watches the socket's `error` and `end`, and a bare `destroy()` emits neither.
 */
export function destroySocket(model: ChannelModel | undefined): void {
  assert.ok(model, 'no connection to destroy');
  const inner = model.connection as unknown as { stream: Socket };
  inner.stream.destroy(Object.assign(new Error('test: connection reset'), { code: 'ECONNRESET' }));
}

/** Waits (real time) until `check` passes. Not a timing assertion: the bound is generous. */
export async function eventually(what: string, check: () => boolean | Promise<boolean>, limitMs = 15_000) {
  const deadline = Date.now() + limitMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) assert.fail(`never happened: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A backend on a random prefix; `extra` overrides the defaults (short ladder steps). */
export function amqpFixture(extra: Partial<AmqpJobBackendOptions> = {}, prefix?: string): AmqpFixture {
  const models: ChannelModel[] = [];
  const ownPrefix = prefix ?? `bpt${randomBytes(4).toString('hex')}`;
  const names: string[] = [];
  const backend = createAmqpJobBackend({
    connect: async () => {
      const model = await connect(AMQP_URL);
      models.push(model);
      return model;
    },
    prefix: ownPrefix,
    delayStepsMs: DEFAULT_TEST_STEPS_MS,
    reconnect: { initialDelayMs: 20, maxDelayMs: 200 },
    publishTimeoutMs: 5000,
    ...extra,
  });
  return {
    backend,
    prefix: ownPrefix,
    models,
    queue() {
      const name = `q${randomBytes(4).toString('hex')}`;
      names.push(name);
      return name;
    },
    async cleanup() {
      await backend.close();
      await deleteQueues(ownPrefix, names, extra.delayStepsMs);
    },
  };
}

/** Deletes the topology of `names` under `prefix` on a connection of its own. */
export async function deleteQueues(
  prefix: string,
  names: readonly string[],
  delayStepsMs: readonly number[] = DEFAULT_TEST_STEPS_MS,
): Promise<void> {
  if (names.length === 0) return;
  const cleaner = createAmqpJobBackend({ url: AMQP_URL, prefix, delayStepsMs });
  try {
    for (const name of names) await cleaner.deleteTopology(name);
  } finally {
    await cleaner.close();
  }
}

/** A raw connection for publishing what the backend would not (foreign messages). */
export async function rawChannel(): Promise<{ model: ChannelModel; close(): Promise<void> }> {
  const model = await connect(AMQP_URL);
  return { model, close: () => model.close() };
}

/**
 * Fixtures, queues and workers of one test file, closed after each test (workers first, then queues,
 * then the fixtures' topology and connections). Call it at the top level of the file.
 */
export function amqpTestScope() {
  const fixtures: AmqpFixture[] = [];
  const queues: JobQueue[] = [];
  const workers: Worker[] = [];
  afterEach(async () => {
    for (const w of workers.splice(0)) await w.close({ timeoutMs: 1000 });
    for (const q of queues.splice(0)) await q.close();
    for (const f of fixtures.splice(0)) await f.cleanup();
  });
  return {
    /** A backend on a random prefix (see {@link amqpFixture}), cleaned up after the test. */
    fixture(...args: Parameters<typeof amqpFixture>): AmqpFixture {
      const f = amqpFixture(...args);
      fixtures.push(f);
      return f;
    },
    /** A queue on `f`'s backend, closed after the test. */
    queueOn(
      f: AmqpFixture,
      name = f.queue(),
      extra: Omit<JobQueueOptions, 'name' | 'backend'> = {},
    ): JobQueue {
      const q = createJobQueue({ name, backend: f.backend, ...extra });
      queues.push(q);
      return q;
    },
    /** Closes `worker` after the test. */
    track(worker: Worker): Worker {
      workers.push(worker);
      return worker;
    },
  };
}
