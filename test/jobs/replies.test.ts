/**
 * Redis replies are decoded, never cast: a server (or proxy) answering with an unexpected shape makes
 * the call fail with a StoreError naming the script, instead of a wrong value surfacing later.
 */
import { describe, expect, it } from 'vitest';
import { createRedisJobBackend, type RedisJobClient } from '../../src/jobs/redis.js';

/** A client whose every script call answers `reply`. */
const answering = (reply: unknown): RedisJobClient => ({
  evalsha: async () => reply,
  eval: async () => reply,
  duplicate: () => ({ call: async () => null, disconnect: () => {}, on: () => undefined }),
});

describe('Redis job backend replies', () => {
  it('an unexpected claim reply is a StoreError naming the script and the path', async () => {
    const backend = createRedisJobBackend({ client: answering([0, 0, 0, 1, ['id', 'tok', 'x', []]]) });
    await expect(backend.claim('q', { count: 1, leaseMs: 1000, token: 't' })).rejects.toMatchObject({
      code: 'ERR_STORE',
      message: expect.stringMatching(/jobs-claim: \[4\]\[2\]: expected integer/),
    });
  });
  it('every method decodes: counts, fail, renew and getJob reject bad shapes', async () => {
    const backend = createRedisJobBackend({ client: answering('OK') });
    const lease = { id: 'a', token: 't' };
    await expect(backend.counts('q')).rejects.toMatchObject({ code: 'ERR_STORE' });
    await expect(
      backend.fail('q', { ...lease, error: { message: 'x' }, retryDelayMs: 0, chargedAttempts: 0 }),
    ).rejects.toMatchObject({ code: 'ERR_STORE' });
    await expect(backend.renew('q', { leases: [lease], leaseMs: 10 })).rejects.toMatchObject({
      code: 'ERR_STORE',
    });
    await expect(backend.getJob('q', 'a')).rejects.toMatchObject({ code: 'ERR_STORE' });
    await expect(backend.lagMs('q')).rejects.toMatchObject({ code: 'ERR_STORE' });
  });
  it('an unknown fail outcome is not taken for "lost"', async () => {
    const backend = createRedisJobBackend({ client: answering(7) });
    await expect(
      backend.fail('q', {
        id: 'a',
        token: 't',
        error: { message: 'x' },
        retryDelayMs: 0,
        chargedAttempts: 0,
      }),
    ).rejects.toMatchObject({ code: 'ERR_STORE' });
  });
});
