/**
 * The memory stores are the default, so they must behave exactly like Redis: random sequences of refresh
 * presentations (current, previous or older tokens, with time passing) give the same outcomes on both.
 */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createMemoryRefreshStore,
  createMemorySessionStore,
  type RefreshStore,
  type SessionStore,
} from '../../src/auth/index.js';
import { createRedisRefreshStore, createRedisSessionStore } from '../../src/auth/redis.js';
import { connectRedis, deleteByPrefix, noRedis, randomPrefix } from '../support/redis.js';

const T0 = Date.UTC(2026, 0, 1);
const hash = () => randomBytes(32).toString('base64url');

/** Plays one scenario on a store; returns the status of each step. */
async function play(
  store: RefreshStore,
  steps: readonly { back: number; advanceMs: number }[],
  graceMs: number,
) {
  const familyId = randomBytes(16).toString('base64url');
  const issued = [hash()];
  let nowMs = T0;
  await store.createFamily({
    familyId,
    userId: 'u',
    tokenHash: issued[0] as string,
    nowMs,
    expiresAtMs: T0 + 3_600_000,
  });
  const statuses: string[] = [];
  for (const step of steps) {
    nowMs += step.advanceMs;
    const presented = issued[Math.max(0, issued.length - 1 - step.back)] as string;
    const next = hash();
    const result = await store.rotate({ familyId, presentedHash: presented, nextHash: next, nowMs, graceMs });
    if (result.status === 'rotated' || result.status === 'grace') issued.push(next);
    statuses.push(result.status);
  }
  return statuses;
}

/** Touches one session after each pause; returns the status of each touch. */
async function touches(store: SessionStore, pausesMs: readonly number[]) {
  const id = randomBytes(32).toString('base64url');
  await store.create(
    {
      id,
      userId: `u-${id.slice(0, 8)}`,
      data: {},
      createdAtMs: T0,
      lastActiveAtMs: T0,
      idleTimeoutMs: 30 * 60_000,
      absoluteExpiresAtMs: T0 + 2 * 3_600_000,
    },
    10,
  );
  let nowMs = T0;
  const statuses: string[] = [];
  for (const pauseMs of pausesMs) {
    nowMs += pauseMs;
    statuses.push((await store.touch(id, nowMs)).status);
  }
  return statuses;
}

describe.skipIf(noRedis)('memory and Redis stores agree', () => {
  const client = noRedis ? undefined : connectRedis();
  const prefix = randomPrefix('auth-eq');
  afterAll(async () => {
    if (!client) return;
    await deleteByPrefix(client, prefix);
    client.disconnect();
  });

  it('on random presentation sequences', async () => {
    const redisStore = createRedisRefreshStore({ client: client!, prefix });
    const step = fc.record({
      back: fc.integer({ min: 0, max: 3 }),
      advanceMs: fc.integer({ min: 0, max: 20_000 }),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(step, { minLength: 1, maxLength: 12 }),
        fc.constantFrom(0, 5_000, 10_000),
        async (steps, graceMs) => {
          const memory = await play(createMemoryRefreshStore(), steps, graceMs);
          const redis = await play(redisStore, steps, graceMs);
          expect(redis).toEqual(memory);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('on random session activity (idle and absolute timeouts)', async () => {
    const redisStore = createRedisSessionStore({ client: client!, prefix });
    const pause = fc.integer({ min: 0, max: 40 * 60_000 });
    await fc.assert(
      fc.asyncProperty(fc.array(pause, { minLength: 1, maxLength: 10 }), async (pausesMs) => {
        expect(await touches(redisStore, pausesMs)).toEqual(
          await touches(createMemorySessionStore(), pausesMs),
        );
      }),
      { numRuns: 150 },
    );
  });
});
