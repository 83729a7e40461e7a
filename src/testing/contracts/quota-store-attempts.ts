/**
 * The QuotaStore contract on settle attempt ids: a settle that committed but whose answer was lost can
 * be asked again with the same attempt id and answers true without charging twice; any other attempt
 * (another id, none, after a free) still answers false.
 */
import assert from 'node:assert/strict';
import type { QuotaStore } from '../../uploads/index.js';
import type { quotaStoreContract } from './quota-store.js';
import { type QuotaCase, reservation } from './quota-store-fixtures.js';

const usageOf = (usedBytes: number, reservedBytes: number) => ({ usedBytes, reservedBytes });
/** A promotion's file id: 26 characters of base32 (what the policy passes). */
const ATTEMPT = 'abcdefghijklmnopqrstuvwx23';
const OTHER = '234567abcdefghijklmnopqrst';

const settle = (store: QuotaStore, now: number, bytes: number, attemptId?: string, uploadId = 'u1') =>
  store.settle('alice', uploadId, bytes, now, attemptId);

/** Cases on settle attempt ids, run by {@link quotaStoreContract}. */
export const quotaStoreAttemptCases: readonly QuotaCase[] = [
  [
    'settle twice with the same attempt id: true both times, charged once, nothing else changes',
    async (store, clock) => {
      await store.reserve(reservation(clock, { bytes: 50 }));
      await store.reserve(reservation(clock, { uploadId: 'u2', bytes: 20 }));
      assert.equal(await settle(store, clock.now(), 30, ATTEMPT), true);
      assert.equal(await settle(store, clock.now(), 30, ATTEMPT), true, 'our own commit, asked again');
      clock.advance(120_000);
      assert.equal(await settle(store, clock.now(), 30, ATTEMPT), true, 'still ours later');
      assert.deepEqual(await store.usage('alice', clock.now()), usageOf(30, 0), 'u2 expired, u1 once');
      assert.deepEqual(await store.reserve(reservation(clock, { bytes: 1 })), {
        ok: false,
        reason: 'duplicate',
        usage: usageOf(30, 0),
      });
      assert.equal(await settle(store, clock.now(), 20, ATTEMPT, 'u2'), false, 'an expired reservation');
      assert.deepEqual(await store.free('alice', 'u2'), usageOf(30, 0), 'an expired one left no file');
    },
  ],
  [
    'after a commit, another attempt id, no attempt id or a prefix of ours answers false',
    async (store, clock) => {
      await store.reserve(reservation(clock, { bytes: 40 }));
      assert.equal(await settle(store, clock.now(), 40, ATTEMPT), true);
      assert.equal(await settle(store, clock.now(), 40, OTHER), false);
      assert.equal(await settle(store, clock.now(), 40), false);
      assert.equal(await settle(store, clock.now(), 40, ATTEMPT.slice(0, 25)), false, 'a prefix');
      assert.equal(await settle(store, clock.now(), 40, `${ATTEMPT}x`), false, 'a longer id');
      assert.equal(await settle(store, clock.now(), 40, ATTEMPT.toUpperCase()), false, 'case matters');
      assert.equal(await store.settle('bob', 'u1', 40, clock.now(), ATTEMPT), false, 'another owner');
      assert.deepEqual(await store.usage('alice', clock.now()), usageOf(40, 0));
    },
  ],
  [
    'free after an attempt-id settle frees once; the attempt is not ours any more',
    async (store, clock) => {
      await store.reserve(reservation(clock, { bytes: 25 }));
      assert.equal(await settle(store, clock.now(), 25, ATTEMPT), true);
      assert.deepEqual(await store.free('alice', 'u1'), usageOf(0, 0));
      assert.deepEqual(await store.free('alice', 'u1'), usageOf(0, 0), 'once');
      assert.equal(await settle(store, clock.now(), 25, ATTEMPT), false, 'the record is gone');
      assert.deepEqual(await store.usage('alice', clock.now()), usageOf(0, 0));
      assert.equal((await store.reserve(reservation(clock, { bytes: 100 }))).ok, true, 'the id is free');
    },
  ],
  [
    'settle without an attempt id works as before; a later attempt id never claims that file',
    async (store, clock) => {
      await store.reserve(reservation(clock, { bytes: 10 }));
      assert.equal(await settle(store, clock.now(), 10), true);
      assert.equal(await settle(store, clock.now(), 10), false);
      // '10' is what the record holds: an attempt id that looks like the bytes is still not a match.
      assert.equal(await settle(store, clock.now(), 10, '10'), false);
      assert.equal(await settle(store, clock.now(), 10, ATTEMPT), false);
      assert.deepEqual(await store.free('alice', 'u1'), usageOf(0, 0));
    },
  ],
  [
    'concurrent settles: the same attempt id all true and charged once; distinct ids exactly one true',
    async (store, clock) => {
      await store.reserve(reservation(clock, { bytes: 30 }));
      await store.reserve(reservation(clock, { uploadId: 'u2', bytes: 30 }));
      const same = await Promise.all(
        Array.from({ length: 10 }, () => settle(store, clock.now(), 30, ATTEMPT)),
      );
      assert.deepEqual(same, Array(10).fill(true));
      const ids = Array.from({ length: 10 }, (_, i) => `attempt-${i}`);
      const distinct = await Promise.all(ids.map((id) => settle(store, clock.now(), 30, id, 'u2')));
      assert.equal(distinct.filter(Boolean).length, 1);
      const winner = ids[distinct.indexOf(true)];
      assert.equal(await settle(store, clock.now(), 30, winner, 'u2'), true, 'the winner, asked again');
      assert.deepEqual(await store.usage('alice', clock.now()), usageOf(60, 0));
    },
  ],
  [
    'bad attempt ids are refused before anything changes; a too-large settle is refused as before',
    async (store, clock) => {
      await store.reserve(reservation(clock, { bytes: 10 }));
      for (const bad of ['', 'a:b', 'a b', 'x'.repeat(129), 'é', '\n', 42, null]) {
        await assert.rejects(
          settle(store, clock.now(), 10, bad as string),
          { code: 'ERR_INVALID_ARGUMENT' },
          JSON.stringify(bad),
        );
      }
      await assert.rejects(settle(store, clock.now(), 11, ATTEMPT), { code: 'ERR_INVALID_ARGUMENT' });
      assert.deepEqual(await store.usage('alice', clock.now()), usageOf(0, 10), 'still reserved');
      assert.equal(await settle(store, clock.now(), 10, 'x'.repeat(128)), true, '128 characters fit');
      assert.equal(await settle(store, clock.now(), 10, 'x'.repeat(128)), true);
      assert.deepEqual(await store.free('alice', 'u1'), usageOf(0, 0));
    },
  ],
];
