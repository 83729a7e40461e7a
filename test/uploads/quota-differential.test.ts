/** Memory vs Redis QuotaStore under the same seeded operations and the same `nowMs`. */
import { afterAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/core/manual-clock.js';
import { type DifferentialRandom, runDifferential, seededRandom } from '../../src/testing/index.js';
import { createMemoryQuotaStore } from '../../src/uploads/quota-memory.js';
import { createRedisQuotaStore } from '../../src/uploads/redis.js';
import type { QuotaStore, Reservation } from '../../src/uploads/types.js';
import { connectRedis, deleteByPrefix, noRedis, randomPrefix } from '../support/redis.js';

const OWNERS = ['alice', '{bob}:', 'ç\n'];
const IDS = ['a', 'b', 'c', 'd', 'e'];
/** Settle attempt ids: few, so a settle often meets a record of its own attempt (undefined: none). */
const ATTEMPTS = [undefined, 'p', 'q'];

type Op =
  | {
      readonly op: 'reserve';
      readonly owner: number;
      readonly id: number;
      readonly bytes: number;
      readonly limit: number;
      readonly ttlMs: number;
    }
  | { readonly op: 'get' | 'release'; readonly owner: number; readonly id: number }
  | {
      readonly op: 'settle';
      readonly owner: number;
      readonly id: number;
      readonly actual: number;
      readonly attempt: number;
    }
  | { readonly op: 'free'; readonly owner: number; readonly id: number }
  | { readonly op: 'usage'; readonly owner: number }
  | { readonly op: 'sweep'; readonly limit: number }
  | { readonly op: 'advance'; readonly ms: number };

function generate(random: DifferentialRandom): Op {
  const owner = random.int(0, OWNERS.length - 1);
  const id = random.int(0, IDS.length - 1);
  return random.pick<Op>([
    {
      op: 'reserve',
      owner,
      id,
      bytes: random.int(0, 60),
      limit: random.pick([40, 100, 150]),
      ttlMs: random.pick([500, 2000, 10_000]),
    },
    {
      op: 'reserve',
      owner,
      id,
      bytes: random.int(0, 30),
      limit: 100,
      ttlMs: random.pick([500, 2000]),
    },
    { op: 'get', owner, id },
    { op: 'settle', owner, id, actual: random.int(0, 65), attempt: random.int(0, ATTEMPTS.length - 1) },
    // Small and with an attempt id: often commits, and often asks again for a commit of its own.
    { op: 'settle', owner, id, actual: random.int(0, 20), attempt: random.int(1, ATTEMPTS.length - 1) },
    { op: 'release', owner, id },
    { op: 'free', owner, id },
    { op: 'usage', owner },
    { op: 'sweep', limit: random.int(1, 3) },
    { op: 'advance', ms: random.pick([1, 499, 1500, 5000]) },
  ]);
}

const byKey = (list: readonly Reservation[]) =>
  [...list].sort((a, b) => `${a.owner}\u0000${a.uploadId}`.localeCompare(`${b.owner}\u0000${b.uploadId}`));

async function apply(store: QuotaStore, op: Op, clock: { now(): number; advance(ms: number): void }) {
  const now = clock.now();
  switch (op.op) {
    case 'reserve':
      return store.reserve({
        owner: OWNERS[op.owner]!,
        uploadId: IDS[op.id]!,
        bytes: op.bytes,
        limitBytes: op.limit,
        ttlMs: op.ttlMs,
        nowMs: now,
        state: `s${op.bytes}:${op.ttlMs}`,
      });
    case 'get':
      return store.get(OWNERS[op.owner]!, IDS[op.id]!, now);
    case 'settle':
      return store.settle(OWNERS[op.owner]!, IDS[op.id]!, op.actual, now, ATTEMPTS[op.attempt]);
    case 'release':
      return store.release(OWNERS[op.owner]!, IDS[op.id]!, now);
    case 'free':
      return store.free(OWNERS[op.owner]!, IDS[op.id]!);
    case 'usage':
      return store.usage(OWNERS[op.owner]!, now);
    case 'sweep': {
      // Which of many expired ones a bounded sweep takes is the adapter's choice; how many is not, and a
      // second, unbounded sweep right after must leave both stores with the same reservations.
      const first = await store.sweepExpired(now, op.limit);
      const rest = await store.sweepExpired(now, 1000);
      return { firstCount: first.length, all: byKey([...first, ...rest]) };
    }
    case 'advance':
      clock.advance(op.ms);
      return op.ms;
  }
}

describe.skipIf(noRedis)('QuotaStore: memory and Redis agree', () => {
  const client = noRedis ? undefined : connectRedis();
  const prefix = randomPrefix('quota-diff');
  let n = 0;
  const redisStore = () => createRedisQuotaStore({ client: client!, prefix: `${prefix}-${n++}` });
  afterAll(async () => {
    if (!client) return;
    await deleteByPrefix(client, prefix);
    client.disconnect();
  });

  it('on seeded random reserves, settles (with and without attempt ids), releases, frees, sweeps and time steps', async () => {
    await runDifferential<QuotaStore, Op>({
      reference: () => ({ subject: createMemoryQuotaStore() }),
      candidate: () => ({ subject: redisStore() }),
      generate,
      apply,
      runs: 25,
      steps: 60,
    });
  }, 60_000);

  it('on 200 concurrent reserves of random sizes: the same decisions and the same final usage', async () => {
    const clock = createManualClock(Date.UTC(2026, 0, 1));
    const random = seededRandom(7);
    const sizes = Array.from({ length: 200 }, () => random.int(0, 2000));
    const limitBytes = 80_000;
    const run = (store: QuotaStore) =>
      Promise.all(
        sizes.map((bytes, i) =>
          store.reserve({
            owner: 'o',
            uploadId: `r${i}`,
            bytes,
            limitBytes,
            ttlMs: 60_000,
            nowMs: clock.now(),
            state: '',
          }),
        ),
      );
    const memory = createMemoryQuotaStore();
    const redis = redisStore();
    const [m, r] = [await run(memory), await run(redis)];
    const admitted = (results: typeof m) => sizes.filter((_, i) => results[i]?.ok).reduce((a, b) => a + b, 0);
    expect(admitted(r)).toBeLessThanOrEqual(limitBytes);
    expect(admitted(m)).toBeLessThanOrEqual(limitBytes);
    expect(await redis.usage('o', clock.now())).toEqual(await memory.usage('o', clock.now()));
    // One connection keeps the order the reserves were sent in, so even the decisions match.
    expect(r.map((x) => x.ok)).toEqual(m.map((x) => x.ok));
  });
});
