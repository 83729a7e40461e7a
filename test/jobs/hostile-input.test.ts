/**
 * Bad input gets a typed error at the call and leaves nothing behind: checked on memory and on Redis
 * (where a SCAN of the queue's prefix must find no key at all).
 */
import fc from 'fast-check';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createJobQueue,
  createMemoryJobBackend,
  createWorker,
  type JobBackend,
  type JobQueue,
} from '../../src/jobs/index.js';
import { createRedisJobBackend } from '../../src/jobs/redis.js';
import { connectRedis, deleteByPrefix, noRedis, randomPrefix } from '../support/redis.js';

class Point {
  constructor(readonly x: number) {}
}
const cyclic: Record<string, unknown> = { a: 1 };
cyclic.self = cyclic;

const badPayloads: [string, unknown][] = [
  ['a BigInt', { n: 10n }],
  ['a function', { f: () => 1 }],
  ['a symbol', [Symbol('s')]],
  ['undefined', undefined],
  ['an undefined field', { a: undefined }],
  ['NaN', { n: Number.NaN }],
  ['Infinity', [Number.POSITIVE_INFINITY]],
  ['a Date', { at: new Date(0) }],
  ['a Map', new Map([[1, 2]])],
  ['a class instance', new Point(1)],
  ['a cycle', cyclic],
];

const badOptions: [string, unknown][] = [
  ['negative delay', { delayMs: -1 }],
  ['NaN delay', { delayMs: Number.NaN }],
  ['NaN attempts', { attempts: Number.NaN }],
  ['zero attempts', { attempts: 0 }],
  ['fractional attempts', { attempts: 1.5 }],
  ['unknown option', { atempts: 3 }],
  ['delayMs and runAtMs', { delayMs: 1, runAtMs: 1 }],
  ['priority out of range', { priority: 1001 }],
  ['negative priority', { priority: -1 }],
  ['bad delivery', { delivery: 'exactly-once' }],
  ['retried at-most-once', { delivery: 'at-most-once', attempts: 3 }],
  ['zero timeout', { timeoutMs: 0 }],
  ['empty idempotency key', { idempotencyKey: '' }],
  ['bad backoff type', { backoff: { type: 'linear' } }],
  ['unknown backoff field', { backoff: { type: 'fixed', delayMs: 1, jitter: 1 } }],
  ['jitter above 1', { backoff: { type: 'exponential', jitter: 2 } }],
  ['options not an object', 'fast'],
  ['a function backoff (it would exist only in this process)', { backoff: () => 1000 }],
  ['runAt without its unit (renamed runAtMs)', { runAt: 1 }],
  ['unknown custom backoff field', { backoff: { type: 'custom', fn: 'x' } }],
];

function hostileSuite(name: string, makeBackend: () => JobBackend, leftovers: () => Promise<number>) {
  describe(`hostile input: ${name}`, () => {
    let backend: JobBackend | undefined;
    const queue = (): JobQueue => {
      backend ??= makeBackend(); // one backend for the whole suite, so the final check sees every call
      return createJobQueue({ name: 'hostile', backend, maxPayloadBytes: 1024 });
    };

    for (const [what, payload] of badPayloads) {
      it(`rejects a payload with ${what}`, async () => {
        await expect(queue().add('j', payload)).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
      });
    }
    it('rejects a payload over maxPayloadBytes with its own code', async () => {
      await expect(queue().add('j', 'x'.repeat(2000))).rejects.toMatchObject({
        code: 'ERR_JOB_PAYLOAD_TOO_LARGE',
        maxPayloadBytes: 1024,
      });
      // bytes, not characters: 400 three-byte characters are 1200 bytes
      await expect(queue().add('j', '€'.repeat(400))).rejects.toMatchObject({
        code: 'ERR_JOB_PAYLOAD_TOO_LARGE',
      });
    });
    for (const [what, options] of badOptions) {
      it(`rejects ${what}`, async () => {
        await expect(queue().add('j', {}, options as never)).rejects.toMatchObject({
          code: 'ERR_INVALID_ARGUMENT',
        });
      });
    }
    it('rejects a bad job type', async () => {
      for (const type of ['', 42, 'x'.repeat(129)]) {
        await expect(queue().add(type as string, {})).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
      }
    });
    it('addBulk with one bad job adds none of them', async () => {
      const jobs = [
        { type: 'j', payload: 1 },
        { type: 'j', payload: 2, options: { attempts: Number.NaN } },
      ];
      await expect(queue().addBulk(jobs)).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
      await expect(queue().addBulk([{ type: 'j', payload: 1, extra: true } as never])).rejects.toMatchObject({
        code: 'ERR_INVALID_ARGUMENT',
      });
    });
    it('rejects bad ids and arguments on reads and the DLQ', async () => {
      const q = queue();
      await expect(q.getJob('')).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
      await expect(q.deadLetters.list({ limit: 0 })).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
      await expect(q.deadLetters.redrive('some' as never)).rejects.toMatchObject({
        code: 'ERR_INVALID_ARGUMENT',
      });
      await expect(q.deadLetters.redrive([], { ratePerSec: -1 })).rejects.toMatchObject({
        code: 'ERR_INVALID_ARGUMENT',
      });
    });
    it('left nothing behind', async () => {
      expect(await leftovers()).toBe(0);
      expect(await queue().counts()).toEqual({ ready: 0, delayed: 0, active: 0, dead: 0, paused: false });
    });
  });
}

describe('factory options', () => {
  it('rejects unknown and out-of-range queue options at construction', () => {
    const bad: unknown[] = [
      { name: 'q', maxDepht: 10 },
      { name: 'has space' },
      { name: 'q{tag}' },
      { name: '' },
      { name: 'q', maxDepth: 0 },
      { name: 'q', maxDepth: Number.NaN },
      { name: 'q', overflow: 'block' },
      { name: 'q', maxPayloadBytes: -1 },
      { name: 'q', keepCompletedMs: -1 },
      { name: 'q', backend: {} },
      'not an object',
      { name: 'q', idempotencyWindowMs: 0 },
    ];
    for (const options of bad) {
      expect(() => createJobQueue(options as never)).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
      );
    }
  });
  it('rejects unknown and out-of-range worker options', () => {
    const queue = createJobQueue({ name: 'q' });
    for (const options of [
      { concurency: 2 },
      { concurrency: 0 },
      { leaseMs: 1 },
      { timeoutMs: Number.NaN },
    ]) {
      expect(() => createWorker(queue, async () => {}, options as never)).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
      );
    }
    expect(() => createWorker(queue, async () => {}, { backoff: 5 } as never)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
    );
    expect(() => createWorker({ name: 'fake' } as never, async () => {})).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    );
  });
  it('rejects calls after close', async () => {
    const queue = createJobQueue({ name: 'q' });
    await queue.close();
    await expect(queue.add('j', {})).rejects.toMatchObject({ code: 'ERR_QUEUE_CLOSED' });
  });
  it('a Redis backend without a usable client fails at construction', () => {
    expect(() => createRedisJobBackend({ client: {} as never })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
    );
    expect(() => createRedisJobBackend({ client: {} as never, prefix: 'a{b}' })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
    );
  });
});

describe('JSON-safe payloads round-trip unchanged (property)', () => {
  it('any JSON value added is read back deep-equal', async () => {
    const queue = createJobQueue({ name: 'prop' });
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), async (value) => {
        const { id } = await queue.add('j', value);
        // -0 is JSON's 0
        expect((await queue.getJob(id))?.payload).toEqual(JSON.parse(JSON.stringify(value)));
      }),
      { numRuns: 200 },
    );
  });
});

hostileSuite(
  'memory',
  () => createMemoryJobBackend(),
  async () => 0,
);

describe.skipIf(noRedis)('on Redis', () => {
  let redis: Redis;
  const prefix = randomPrefix('jobs-hostile');
  beforeAll(() => {
    redis = connectRedis();
  });
  afterAll(async () => {
    await deleteByPrefix(redis, prefix);
    redis.disconnect();
  });
  hostileSuite(
    'redis',
    () => createRedisJobBackend({ client: redis, prefix }),
    async () => (await redis.scan('0', 'MATCH', `${prefix}*`, 'COUNT', 10_000))[1].length,
  );
});
