/**
 * The QuotaStore contract on stored-file records (settle records, free by upload id, once) and on
 * reservations dropped lazily (still returned by the sweep, once).
 */
import assert from 'node:assert/strict';
import type { ManualClock } from '../../core/manual-clock.js';
import type { QuotaStore } from '../../uploads/index.js';
import { type QuotaCase, reservation } from './quota-store-fixtures.js';

const usageOf = (usedBytes: number, reservedBytes: number) => ({ usedBytes, reservedBytes });

/** Reserves and settles `uploadId` for alice with `bytes`, at the clock's time. */
async function storeFile(store: QuotaStore, clock: ManualClock, uploadId: string, bytes: number) {
  assert.equal(
    (await store.reserve(reservation(clock, { uploadId, bytes }))).ok,
    true,
    `reserve ${uploadId}`,
  );
  assert.equal(await store.settle('alice', uploadId, bytes, clock.now()), true, `settle ${uploadId}`);
}

const fileCases: readonly QuotaCase[] = [
  [
    'free subtracts what the settle recorded, once; unknown ids and live reservations free nothing',
    async (store, clock) => {
      await store.reserve(reservation(clock, { bytes: 50 }));
      assert.equal(await store.settle('alice', 'u1', 30, clock.now()), true);
      await store.reserve(reservation(clock, { uploadId: 'u2', bytes: 20 }));
      assert.deepEqual(await store.free('alice', 'u2'), usageOf(30, 20), 'a reservation is no file');
      assert.deepEqual(await store.free('alice', 'nope'), usageOf(30, 20), 'unknown id');
      assert.deepEqual(await store.free('bob', 'u1'), usageOf(0, 0), "another owner's id");
      assert.deepEqual(await store.free('alice', 'u1'), usageOf(0, 20));
      assert.deepEqual(await store.free('alice', 'u1'), usageOf(0, 20), 'a second free frees nothing');
      assert.equal((await store.reserve(reservation(clock, { uploadId: 'u3', bytes: 80 }))).ok, true);
    },
  ],
  [
    'two files: freeing one twice never frees the other',
    async (store, clock) => {
      await storeFile(store, clock, 'a', 40);
      await storeFile(store, clock, 'b', 40);
      for (let i = 0; i < 3; i++) assert.deepEqual(await store.free('alice', 'a'), usageOf(40, 0));
      assert.deepEqual(await store.usage('alice', clock.now()), usageOf(40, 0));
      assert.equal((await store.reserve(reservation(clock, { uploadId: 'c', bytes: 61 }))).ok, false);
    },
  ],
  [
    'concurrent frees of one file subtract its bytes exactly once',
    async (store, clock) => {
      for (const [id, bytes] of [
        ['a', 10],
        ['b', 20],
        ['c', 30],
      ] as const) {
        await storeFile(store, clock, id, bytes);
      }
      const results = await Promise.all([
        ...Array.from({ length: 20 }, () => store.free('alice', 'a')),
        ...Array.from({ length: 20 }, () => store.free('alice', 'b')),
      ]);
      assert.deepEqual(await store.usage('alice', clock.now()), usageOf(30, 0));
      // Each answer is a state the ledger went through: 60, less a (10) and/or b (20), never less.
      for (const r of results) assert.ok([30, 40, 50].includes(r.usedBytes), String(r.usedBytes));
    },
  ],
  [
    'only a settle records a file: a refused, late or missing settle leaves nothing to free',
    async (store, clock) => {
      await store.reserve(reservation(clock, { bytes: 10, ttlMs: 1000 }));
      await assert.rejects(store.settle('alice', 'u1', 11, clock.now()), { code: 'ERR_INVALID_ARGUMENT' });
      assert.deepEqual(await store.free('alice', 'u1'), usageOf(0, 10), 'refused settle');
      clock.advance(1000);
      assert.equal(await store.settle('alice', 'u1', 10, clock.now()), false);
      assert.deepEqual(await store.free('alice', 'u1'), usageOf(0, 0), 'settle after expiry');
      await store.reserve(reservation(clock, { uploadId: 'u2', bytes: 10 }));
      assert.equal(await store.release('alice', 'u2', clock.now()), true);
      assert.deepEqual(await store.free('alice', 'u2'), usageOf(0, 0), 'released');
      await storeFile(store, clock, 'zero', 0);
      assert.deepEqual(await store.free('alice', 'zero'), usageOf(0, 0), 'a 0-byte file');
    },
  ],
  [
    "an id naming a stored file is a duplicate until it is freed (a sweep never returns a file's id)",
    async (store, clock) => {
      await storeFile(store, clock, 'u1', 10);
      assert.deepEqual(await store.reserve(reservation(clock, { bytes: 1 })), {
        ok: false,
        reason: 'duplicate',
        usage: usageOf(10, 0),
      });
      await store.free('alice', 'u1');
      assert.equal((await store.reserve(reservation(clock, { bytes: 1 }))).ok, true);
    },
  ],
];

const lazyCases: readonly QuotaCase[] = [
  [
    'a reservation dropped lazily (usage, reserve, get, settle, release) stops counting and is swept once',
    async (store, clock) => {
      const owners = ['alice', 'bob', 'carol', 'dave', 'erin'];
      for (const owner of owners) await store.reserve(reservation(clock, { owner, bytes: 100, ttlMs: 1000 }));
      clock.advance(1000);
      const now = clock.now();
      assert.deepEqual(await store.usage('alice', now), usageOf(0, 0));
      const fresh = reservation(clock, { owner: 'bob', uploadId: 'u2', bytes: 100 });
      assert.deepEqual(await store.reserve(fresh), { ok: true, usage: usageOf(0, 100) });
      assert.equal(await store.get('carol', 'u1', now), undefined);
      assert.equal(await store.settle('dave', 'u1', 1, now), false);
      assert.equal(await store.release('erin', 'u1', now), false);
      const swept = await store.sweepExpired(now, 100);
      assert.deepEqual(swept.map((r) => r.owner).sort(), owners);
      for (const r of swept) {
        assert.deepEqual(
          [r.uploadId, r.bytes, r.expiresAtMs, r.state],
          ['u1', 100, now, reservation(clock).state],
        );
      }
      assert.deepEqual(await store.sweepExpired(now + 1, 100), [], 'each exactly once');
      assert.equal((await store.get('bob', 'u2', now))?.bytes, 100, 'the live one stays');
    },
  ],
  [
    'bounded sweeps drain lazily dropped reservations across calls, each once',
    async (store, clock) => {
      for (let i = 0; i < 5; i++) await store.reserve(reservation(clock, { uploadId: `l${i}`, ttlMs: 1000 }));
      await store.reserve(reservation(clock, { owner: 'bob', ttlMs: 1000 }));
      clock.advance(2000);
      assert.deepEqual(await store.usage('alice', clock.now()), usageOf(0, 0));
      const counts: number[] = [];
      const ids: string[] = [];
      for (let i = 0; i < 4; i++) {
        const got = await store.sweepExpired(clock.now(), 2);
        counts.push(got.length);
        ids.push(...got.map((r) => `${r.owner}/${r.uploadId}`));
      }
      assert.deepEqual(counts, [2, 2, 2, 0]);
      assert.deepEqual(ids.sort(), ['alice/l0', 'alice/l1', 'alice/l2', 'alice/l3', 'alice/l4', 'bob/u1']);
    },
  ],
  [
    'one owner with a lazily dropped and a plainly expired reservation: one sweep returns both',
    async (store, clock) => {
      await store.reserve(reservation(clock, { uploadId: 'lazy', ttlMs: 1000 }));
      clock.advance(1000);
      assert.deepEqual(await store.usage('alice', clock.now()), usageOf(0, 0));
      await store.reserve(reservation(clock, { uploadId: 'plain', ttlMs: 1000 }));
      clock.advance(1000);
      const swept = await store.sweepExpired(clock.now(), 100);
      assert.deepEqual(swept.map((r) => r.uploadId).sort(), ['lazy', 'plain']);
      assert.deepEqual(await store.sweepExpired(clock.now(), 100), []);
    },
  ],
  [
    'an expired id reserved again: the sweep returns the new reservation, once, when it expires',
    async (store, clock) => {
      await store.reserve(reservation(clock, { ttlMs: 1000, state: 'old' }));
      clock.advance(1000);
      assert.deepEqual(await store.usage('alice', clock.now()), usageOf(0, 0));
      assert.equal((await store.reserve(reservation(clock, { ttlMs: 1000, state: 'new' }))).ok, true);
      assert.deepEqual(await store.sweepExpired(clock.now(), 10), [], 'the new one is live');
      clock.advance(1000);
      const swept = await store.sweepExpired(clock.now(), 10);
      assert.deepEqual(
        swept.map((r) => [r.uploadId, r.state]),
        [['u1', 'new']],
      );
    },
  ],
];

/** Cases on stored-file records and lazily dropped reservations, run by {@link quotaStoreContract}. */
export const quotaStoreFileCases: readonly QuotaCase[] = [...fileCases, ...lazyCases];
