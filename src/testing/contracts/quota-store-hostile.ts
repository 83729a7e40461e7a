/** The hostile half of the QuotaStore contract: owners, states, arguments, big numbers, concurrency. */
import assert from 'node:assert/strict';
import type { QuotaStore } from '../../uploads/index.js';
import { seededRandom } from './differential.js';
import { type QuotaCase, reservation } from './quota-store-fixtures.js';

const invalid = { code: 'ERR_INVALID_ARGUMENT' } as const;
const MAX = Number.MAX_SAFE_INTEGER;

/** Owners that must neither break a key nor share a ledger. */
const HOSTILE_OWNERS = [
  '{',
  '}',
  '{alice}',
  'alice}',
  ':',
  'a:b',
  'a\nb',
  '*',
  'bp:up:{o:x}:ledger',
  'é'.repeat(256), // exactly 512 bytes of UTF-8
  '😀'.repeat(128), // 512 bytes, 256 UTF-16 units
  ' ',
  '\u0000',
];

async function assertUnchanged(store: QuotaStore, nowMs: number) {
  assert.deepEqual(await store.usage('alice', nowMs), { usedBytes: 0, reservedBytes: 10 });
}

export const quotaStoreHostileCases: readonly QuotaCase[] = [
  [
    'hostile owners each get their own ledger and come back verbatim from the sweep',
    async (store, clock) => {
      for (const [i, owner] of HOSTILE_OWNERS.entries()) {
        const r = await store.reserve(reservation(clock, { owner, bytes: i + 1, ttlMs: 1000 }));
        assert.equal(r.ok, true, JSON.stringify(owner));
        assert.deepEqual(r.usage, { usedBytes: 0, reservedBytes: i + 1 }, JSON.stringify(owner));
      }
      for (const [i, owner] of HOSTILE_OWNERS.entries()) {
        assert.equal((await store.get(owner, 'u1', clock.now()))?.bytes, i + 1, JSON.stringify(owner));
      }
      clock.advance(1000);
      const swept = await store.sweepExpired(clock.now(), 100);
      assert.deepEqual(
        swept.map((r) => r.owner).sort(),
        [...HOSTILE_OWNERS].sort(),
        'every owner string round-trips exactly',
      );
    },
  ],
  [
    'an owner over 512 bytes, empty, or with a lone surrogate is refused',
    async (store, clock) => {
      for (const owner of ['', 'é'.repeat(256) + 'x', 'a'.repeat(513), '\uD800', 'a\uDC00b', 5, null]) {
        await assert.rejects(store.reserve(reservation(clock, { owner: owner as string })), invalid);
        await assert.rejects(store.usage(owner as string, clock.now()), invalid);
        await assert.rejects(store.free(owner as string, 'u1'), invalid);
      }
    },
  ],
  [
    'a state of exactly 64 KiB (multi-byte, colons, braces, newlines) round-trips; one byte more is refused',
    async (store, clock) => {
      const unit = 'ü:{}\n€'; // 2 + 1 + 1 + 1 + 1 + 3 = 9 bytes
      const state = unit.repeat(Math.floor(65_536 / 9)) + 'x'.repeat(65_536 % 9);
      assert.equal(Buffer.byteLength(state), 65_536);
      assert.equal((await store.reserve(reservation(clock, { state }))).ok, true);
      assert.equal((await store.get('alice', 'u1', clock.now()))?.state, state);
      await assert.rejects(
        store.reserve(reservation(clock, { uploadId: 'u2', state: `${state}x` })),
        invalid,
      );
      await assert.rejects(store.reserve(reservation(clock, { uploadId: 'u3', state: '\uDBFF' })), invalid);
      assert.equal((await store.reserve(reservation(clock, { uploadId: 'u4', state: '' }))).ok, true);
      assert.equal((await store.get('alice', 'u4', clock.now()))?.state, '');
    },
  ],
  [
    'bad arguments are ERR_INVALID_ARGUMENT and change nothing',
    async (store, clock) => {
      await store.reserve(reservation(clock));
      const now = clock.now();
      const bad = [
        { bytes: -1 },
        { bytes: 1.5 },
        { bytes: Number.NaN },
        { bytes: MAX + 1 },
        { bytes: '5' as unknown as number },
        { limitBytes: -1 },
        { limitBytes: Number.POSITIVE_INFINITY },
        { ttlMs: 0 },
        { ttlMs: -5 },
        { ttlMs: 1.5 },
        { nowMs: -1 },
        { nowMs: MAX },
        { uploadId: '' },
        { uploadId: 'a:b' },
        { uploadId: 'a b' },
        { uploadId: 'x'.repeat(129) },
        { uploadId: '../etc' + '\u0000' },
        { state: 5 as unknown as string },
      ];
      for (const over of bad) {
        await assert.rejects(store.reserve(reservation(clock, { uploadId: 'u9', ...over })), invalid);
      }
      await assert.rejects(store.reserve(null as never), invalid);
      await assert.rejects(store.settle('alice', 'u1', -1, now), invalid);
      await assert.rejects(store.settle('alice', 'u1', 1, Number.NaN), invalid);
      await assert.rejects(store.get('alice', 'a:b', now), invalid);
      await assert.rejects(store.release('alice', '', now), invalid);
      for (const uploadId of ['', 'a:b', 'x'.repeat(129), 5, null]) {
        await assert.rejects(store.free('alice', uploadId as string), invalid);
      }
      for (const limit of [0, -1, 1.5, 10_001]) await assert.rejects(store.sweepExpired(now, limit), invalid);
      await assertUnchanged(store, now);
    },
  ],
  [
    'byte counts up to 2^53 - 1 are exact',
    async (store, clock) => {
      const big = MAX - 1;
      const r = await store.reserve(reservation(clock, { bytes: big, limitBytes: MAX }));
      assert.deepEqual(r, { ok: true, usage: { usedBytes: 0, reservedBytes: big } });
      assert.equal(
        (await store.reserve(reservation(clock, { uploadId: 'u2', bytes: 2, limitBytes: MAX }))).ok,
        false,
      );
      const one = await store.reserve(reservation(clock, { uploadId: 'u3', bytes: 1, limitBytes: MAX }));
      assert.deepEqual(one.usage, { usedBytes: 0, reservedBytes: MAX });
      assert.equal(await store.settle('alice', 'u1', big - 1, clock.now()), true);
      assert.deepEqual(await store.usage('alice', clock.now()), { usedBytes: big - 1, reservedBytes: 1 });
      assert.deepEqual(await store.free('alice', 'u1'), { usedBytes: 0, reservedBytes: 1 });
    },
  ],
  [
    '200 concurrent reserves of random sizes never exceed the limit',
    async (store, clock) => {
      const random = seededRandom(13);
      const limit = 50_000;
      const sizes = Array.from({ length: 200 }, () => random.int(0, 1200));
      const results = await Promise.all(
        sizes.map((bytes, i) =>
          store.reserve(reservation(clock, { uploadId: `c${i}`, bytes, limitBytes: limit })),
        ),
      );
      const admitted = sizes.filter((_, i) => results[i]?.ok).reduce((a, b) => a + b, 0);
      assert.ok(admitted <= limit, `admitted ${admitted} > ${limit}`);
      assert.ok(admitted > limit - 1200, 'the limit was reached, not refused early');
      for (const r of results) assert.ok(r.usage.reservedBytes <= limit);
      assert.deepEqual(await store.usage('alice', clock.now()), { usedBytes: 0, reservedBytes: admitted });
    },
  ],
  [
    'concurrent settles, releases and reserves keep the ledger exact',
    async (store, clock) => {
      for (let i = 0; i < 40; i++) {
        await store.reserve(reservation(clock, { uploadId: `p${i}`, bytes: 10, limitBytes: 1000 }));
      }
      const now = clock.now();
      const ops = await Promise.all([
        ...Array.from({ length: 20 }, (_, i) => store.settle('alice', `p${i}`, 5, now)),
        ...Array.from({ length: 20 }, (_, i) => store.release('alice', `p${i}`, now)),
        ...Array.from({ length: 20 }, (_, i) => store.release('alice', `p${20 + i}`, now)),
      ]);
      const settled = ops.slice(0, 20).filter(Boolean).length;
      const releasedFirstHalf = ops.slice(20, 40).filter(Boolean).length;
      assert.equal(settled + releasedFirstHalf, 20, 'each of p0..p19 settled or released, once');
      assert.equal(ops.slice(40).filter(Boolean).length, 20);
      assert.deepEqual(await store.usage('alice', now), { usedBytes: settled * 5, reservedBytes: 0 });
    },
  ],
];
