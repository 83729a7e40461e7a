/**
 * Backend capabilities: a memory backend that declares less than it can (a real backend with a narrower
 * declaration) gets a typed ERR_UNSUPPORTED from the queue and worker for everything outside the
 * declaration, before the backend is called; the contract suite runs with such declarations, in wall
 * time too; and a worker hands prefetched jobs back (`releaseBuffered`) when it closes.
 */
import { describe, expect, it } from 'vitest';
import { systemClock } from '../../src/core/clock.js';
import { createManualClock } from '../../src/core/manual-clock.js';
import {
  createJobQueue,
  createMemoryJobBackend,
  createWorker,
  FULL_JOB_CAPABILITIES,
  type JobBackend,
  type JobBackendCapabilities,
} from '../../src/jobs/index.js';
import { jobBackendContract } from '../../src/testing/index.js';

/** What a RabbitMQ-like broker declares, on memory's timed leases. */
const BROKER_LIKE: JobBackendCapabilities = Object.freeze({
  lookup: false,
  idempotency: false,
  maxPriority: 0,
  overflow: Object.freeze(['reject'] as const),
  progress: false,
  lag: 'estimated',
  leases: 'timed',
  time: 'wall',
  pause: 'local',
  listDead: true,
  maxAttemptMs: 600_000,
});

/** Declares nothing optional at all. */
const BARE: JobBackendCapabilities = Object.freeze({
  ...BROKER_LIKE,
  overflow: Object.freeze([] as const),
  listDead: false,
  maxPriority: 3,
  time: 'injected',
  leases: 'connection',
});

/**
 * The memory backend declaring `caps`, with every port call recorded in `calls` (method names), so a
 * test can assert a refused request never reached it.
 */
function narrowed(caps: JobBackendCapabilities, inner: JobBackend = createMemoryJobBackend()) {
  const calls: string[] = [];
  const backend = new Proxy(inner, {
    get(target, key, receiver) {
      if (key === 'capabilities') return caps;
      if (key === 'kind') return 'narrow';
      const value: unknown = Reflect.get(target, key, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.push(String(key));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { backend, calls };
}

const refused = (capability: string) =>
  expect.objectContaining({ code: 'ERR_UNSUPPORTED', name: 'UnsupportedError', capability });

describe('capabilities: each refusal is typed and comes before any backend call', () => {
  const setup = (caps = BARE) => {
    const n = narrowed(caps);
    const queue = createJobQueue({ name: 'caps', backend: n.backend });
    return { ...n, queue };
  };

  it('lookup: getJob and deadLetters.get', async () => {
    const { queue, calls } = setup();
    await expect(queue.getJob('x')).rejects.toEqual(refused('lookup'));
    await expect(queue.deadLetters.get('x')).rejects.toEqual(refused('lookup'));
    await expect(queue.getJob('x')).rejects.toThrow(/getJob.*`narrow` job backend.*`lookup`/);
    await expect(queue.deadLetters.get('x')).rejects.toThrow(/deadLetters\.get/);
    expect(calls).toEqual([]);
  });

  it('idempotency: a key on add and on one job of a bulk', async () => {
    const { queue, calls } = setup();
    await expect(queue.add('j', 1, { idempotencyKey: 'k' })).rejects.toEqual(refused('idempotency'));
    const bulk = [
      { type: 'j', payload: 1 },
      { type: 'j', payload: 2, options: { idempotencyKey: 'k' } },
    ];
    await expect(queue.addBulk(bulk)).rejects.toEqual(refused('idempotency'));
    expect(calls).toEqual([]);
  });

  it('maxPriority: above the declared levels, after the range check', async () => {
    const { queue, calls } = setup();
    await expect(queue.add('j', 1, { priority: 4 })).rejects.toEqual(refused('maxPriority'));
    await expect(queue.add('j', 1, { priority: 4 })).rejects.toThrow(/priorities 0\.\.3/);
    await expect(queue.add('j', 1, { priority: 1001 })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
    });
    expect(calls).toEqual([]);
    await queue.add('j', 1, { priority: 3 });
    expect(calls).toEqual(['add']);
    const zero = setup(BROKER_LIKE).queue;
    await expect(zero.add('j', 1, { priority: 1 })).rejects.toThrow(/only priority 0/);
  });

  it('overflow: maxDepth or an overflow policy not offered, at createJobQueue', () => {
    const { backend } = narrowed(BARE);
    expect(() => createJobQueue({ name: 'q', backend, maxDepth: 10 })).toThrow(refused('overflow'));
    expect(() => createJobQueue({ name: 'q', backend, overflow: 'reject' })).toThrow(refused('overflow'));
    const broker = narrowed(BROKER_LIKE).backend;
    createJobQueue({ name: 'q', backend: broker, maxDepth: 10 });
    createJobQueue({ name: 'q', backend: broker, maxDepth: 10, overflow: 'reject' });
    for (const overflow of ['drop-oldest', 'dead-letter'] as const) {
      expect(() => createJobQueue({ name: 'q', backend: broker, maxDepth: 10, overflow })).toThrow(
        refused('overflow'),
      );
      expect(() => createJobQueue({ name: 'q', backend: broker, overflow })).toThrow(refused('overflow'));
    }
  });

  it('lookup and idempotency: keepCompletedMs > 0 and idempotencyWindowMs, at createJobQueue', () => {
    const { backend } = narrowed(BARE);
    expect(() => createJobQueue({ name: 'q', backend, keepCompletedMs: 1000 })).toThrow(refused('lookup'));
    createJobQueue({ name: 'q', backend, keepCompletedMs: 0 });
    expect(() => createJobQueue({ name: 'q', backend, idempotencyWindowMs: 1000 })).toThrow(
      refused('idempotency'),
    );
  });

  it("listDead: deadLetters.list and redrive('all'); redrive by ids still works", async () => {
    const { queue, calls } = setup();
    await expect(queue.deadLetters.list()).rejects.toEqual(refused('listDead'));
    await expect(queue.deadLetters.redrive('all')).rejects.toEqual(refused('listDead'));
    expect(calls).toEqual([]);
    expect(await queue.deadLetters.redrive(['nope'])).toBe(0);
    expect(calls).toEqual(['redrive']);
  });

  it('maxAttemptMs: a worker timeoutMs at construction, a job timeoutMs at add', async () => {
    const { queue, calls } = setup();
    expect(() => createWorker(queue, async () => {}, { timeoutMs: 600_001 })).toThrow(
      refused('maxAttemptMs'),
    );
    expect(() => createWorker(queue, async () => {}, { timeoutMs: 600_001 })).toThrow(/600001 ms.*600000 ms/);
    await expect(queue.add('j', 1, { timeoutMs: 600_001 })).rejects.toEqual(refused('maxAttemptMs'));
    expect(calls).toEqual([]);
    // The default worker timeout (300 s) is under the limit.
    await createWorker(queue, async () => {}, { sampleIntervalMs: 0 }).close();
  });

  it('progress: ctx.progress rejects inside the handler, never reaching the backend', async () => {
    const { queue, calls } = setup();
    const seen: unknown[] = [];
    const worker = createWorker(
      queue,
      async (_job, ctx) => {
        await ctx.progress(50).catch((e: unknown) => seen.push(e));
      },
      { sampleIntervalMs: 0 },
    );
    await queue.add('j', null);
    await expect.poll(() => seen.length).toBe(1);
    await worker.close();
    expect(seen[0]).toEqual(refused('progress'));
    expect(calls).not.toContain('progress');
  });

  it('a full declaration changes nothing, and memory and Redis declare none', async () => {
    const { queue } = setup(FULL_JOB_CAPABILITIES);
    const { id } = await queue.add('j', 1, { priority: 1000, idempotencyKey: 'k' });
    expect((await queue.getJob(id))?.priority).toBe(1000);
    expect(createMemoryJobBackend().capabilities).toBeUndefined();
  });

  it('a malformed declaration is an InvalidOptionError at construction', () => {
    const bad: [string, unknown][] = [
      ['not an object', 'all'],
      ['a flag not boolean', { ...BROKER_LIKE, lookup: 'yes' }],
      ['a missing flag', { ...BROKER_LIKE, listDead: undefined }],
      ['an unknown lease model', { ...BROKER_LIKE, leases: 'forever' }],
      ['maxPriority out of range', { ...BROKER_LIKE, maxPriority: 1001 }],
      ['maxPriority fractional', { ...BROKER_LIKE, maxPriority: 1.5 }],
      ['an unknown overflow policy', { ...BROKER_LIKE, overflow: ['block'] }],
      ['overflow not an array', { ...BROKER_LIKE, overflow: 'reject' }],
      ['maxAttemptMs zero', { ...BROKER_LIKE, maxAttemptMs: 0 }],
    ];
    for (const [what, caps] of bad) {
      const backend = { ...createMemoryJobBackend(), capabilities: caps } as unknown as JobBackend;
      expect(() => createJobQueue({ name: 'q', backend }), what).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
      );
      const queue = createJobQueue({ name: 'q', backend: createMemoryJobBackend() });
      expect(() => createWorker({ ...queue, backend }, async () => {}), what).toThrow(/createWorker/);
    }
  });
});

describe('releaseBuffered: called once when a worker closes, after its claim loop stopped', () => {
  it('is called after the last claim, and a backend without it is fine', async () => {
    const clock = createManualClock();
    const inner = createMemoryJobBackend({ clock });
    const calls: string[] = [];
    const backend: JobBackend = {
      ...inner,
      claim: (queue, request) => {
        calls.push('claim');
        return inner.claim(queue, request);
      },
      waitForWork: (queue, request) => {
        calls.push('wait');
        return inner.waitForWork(queue, request);
      },
      releaseBuffered: async (queue) => {
        calls.push(`releaseBuffered:${queue}`);
      },
    };
    const queue = createJobQueue({ name: 'rb', backend, clock });
    const worker = createWorker(queue, async () => {}, { sampleIntervalMs: 0 });
    await expect.poll(() => calls.includes('wait')).toBe(true);
    await worker.close();
    expect(calls.filter((c) => c.startsWith('releaseBuffered'))).toEqual(['releaseBuffered:rb']);
    expect(calls.at(-1)).toBe('releaseBuffered:rb');
    const plain = createWorker(createJobQueue({ name: 'p', backend: inner, clock }), async () => {});
    await plain.close();
  });

  it('a failing releaseBuffered is reported, and close still finishes', async () => {
    const inner = createMemoryJobBackend();
    const failure = new Error('broker gone');
    const backend: JobBackend = { ...inner, releaseBuffered: () => Promise.reject(failure) };
    const reported: unknown[] = [];
    const queue = createJobQueue({ name: 'rb', backend });
    const worker = createWorker(queue, async () => {}, {
      sampleIntervalMs: 0,
      onError: (e) => reported.push(e),
    });
    await worker.close();
    expect(reported).toContain(failure);
  });
});

// The contract on memory with narrower declarations: gating, the ERR_UNSUPPORTED cases, wall time.
jobBackendContract(
  { describe, it },
  {
    name: 'memory declared broker-like, wall time',
    capabilities: BROKER_LIKE,
    setup: () => ({ subject: narrowed(BROKER_LIKE, createMemoryJobBackend({ clock: systemClock })).backend }),
  },
);
jobBackendContract(
  { describe, it },
  {
    name: 'memory declared bare, connection leases',
    capabilities: BARE,
    setup: (clock) => ({ subject: narrowed(BARE, createMemoryJobBackend({ clock })).backend }),
  },
);
jobBackendContract(
  { describe, it },
  {
    name: 'memory in wall time',
    capabilities: { ...FULL_JOB_CAPABILITIES, time: 'wall' },
    setup: () => ({
      subject: narrowed(
        { ...FULL_JOB_CAPABILITIES, time: 'wall' },
        createMemoryJobBackend({ clock: systemClock }),
      ).backend,
    }),
  },
);
