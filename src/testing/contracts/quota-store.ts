import assert from 'node:assert/strict';
import type { QuotaStore } from '../../uploads/index.js';
import { quotaStoreAttemptCases } from './quota-store-attempts.js';
import { quotaStoreFileCases } from './quota-store-files.js';
import { type QuotaCase, reservation } from './quota-store-fixtures.js';
import { quotaStoreHostileCases } from './quota-store-hostile.js';
import { type ContractOptions, type ContractTestApi, withFixture } from './test-api.js';

/** Options of {@link quotaStoreContract}. */
export type QuotaStoreContractOptions = ContractOptions<QuotaStore>;

const basics: readonly QuotaCase[] = [
  [
    'a reservation fits up to exactly the limit and not one byte more',
    async (store, clock) => {
      const r = (uploadId: string, bytes: number) => store.reserve(reservation(clock, { uploadId, bytes }));
      assert.deepEqual(await r('a', 60), { ok: true, usage: { usedBytes: 0, reservedBytes: 60 } });
      assert.deepEqual(await r('b', 40), { ok: true, usage: { usedBytes: 0, reservedBytes: 100 } });
      assert.deepEqual(await r('c', 1), {
        ok: false,
        reason: 'quota',
        usage: { usedBytes: 0, reservedBytes: 100 },
      });
      assert.deepEqual(await store.usage('alice', clock.now()), { usedBytes: 0, reservedBytes: 100 });
      assert.equal(await store.get('alice', 'c', clock.now()), undefined, 'a refused reserve holds nothing');
    },
  ],
  [
    'a second reserve with the same id is a duplicate; ids are per owner',
    async (store, clock) => {
      assert.equal((await store.reserve(reservation(clock, { bytes: 10 }))).ok, true);
      assert.deepEqual(await store.reserve(reservation(clock, { bytes: 1, state: 'other' })), {
        ok: false,
        reason: 'duplicate',
        usage: { usedBytes: 0, reservedBytes: 10 },
      });
      assert.equal((await store.get('alice', 'u1', clock.now()))?.state, '{"key":"quarantine/a"}');
      assert.equal((await store.reserve(reservation(clock, { owner: 'bob' }))).ok, true);
    },
  ],
  [
    'get returns the live reservation as reserved',
    async (store, clock) => {
      await store.reserve(reservation(clock, { bytes: 42, ttlMs: 5000, state: 'a:b\n{c}' }));
      assert.deepEqual(await store.get('alice', 'u1', clock.now()), {
        owner: 'alice',
        uploadId: 'u1',
        bytes: 42,
        expiresAtMs: clock.now() + 5000,
        state: 'a:b\n{c}',
      });
      assert.equal(await store.get('alice', 'nope', clock.now()), undefined);
      assert.equal(await store.get('bob', 'u1', clock.now()), undefined, 'another owner');
    },
  ],
  [
    'settling with fewer bytes than reserved frees the difference',
    async (store, clock) => {
      await store.reserve(reservation(clock, { bytes: 100 }));
      assert.equal(await store.settle('alice', 'u1', 30, clock.now()), true);
      assert.deepEqual(await store.usage('alice', clock.now()), { usedBytes: 30, reservedBytes: 0 });
      assert.equal(await store.get('alice', 'u1', clock.now()), undefined);
      assert.equal((await store.reserve(reservation(clock, { uploadId: 'u2', bytes: 70 }))).ok, true);
      assert.equal((await store.reserve(reservation(clock, { uploadId: 'u3', bytes: 1 }))).ok, false);
    },
  ],
  [
    'settle twice, settle after release, release twice: false, and nothing changes',
    async (store, clock) => {
      await store.reserve(reservation(clock, { bytes: 50 }));
      await store.reserve(reservation(clock, { uploadId: 'u2', bytes: 20 }));
      assert.equal(await store.settle('alice', 'u1', 50, clock.now()), true);
      assert.equal(await store.settle('alice', 'u1', 50, clock.now()), false);
      assert.equal(await store.release('alice', 'u1', clock.now()), false, 'release after settle');
      assert.equal(await store.release('alice', 'u2', clock.now()), true);
      assert.equal(await store.release('alice', 'u2', clock.now()), false);
      assert.equal(await store.settle('alice', 'u2', 20, clock.now()), false, 'settle after release');
      assert.deepEqual(await store.usage('alice', clock.now()), { usedBytes: 50, reservedBytes: 0 });
    },
  ],
  [
    'settling more than reserved is refused and changes nothing',
    async (store, clock) => {
      await store.reserve(reservation(clock, { bytes: 10 }));
      await assert.rejects(store.settle('alice', 'u1', 11, clock.now()), { code: 'ERR_INVALID_ARGUMENT' });
      assert.deepEqual(await store.usage('alice', clock.now()), { usedBytes: 0, reservedBytes: 10 });
      assert.equal(await store.settle('alice', 'u1', 10, clock.now()), true);
    },
  ],
  [
    'a reservation expires at nowMs + ttlMs and then frees its bytes',
    async (store, clock) => {
      await store.reserve(reservation(clock, { bytes: 100, ttlMs: 1000 }));
      clock.advance(999);
      assert.equal((await store.get('alice', 'u1', clock.now()))?.bytes, 100);
      assert.equal((await store.reserve(reservation(clock, { uploadId: 'u2', bytes: 1 }))).ok, false);
      clock.advance(1);
      assert.equal(await store.get('alice', 'u1', clock.now()), undefined);
      assert.deepEqual(await store.usage('alice', clock.now()), { usedBytes: 0, reservedBytes: 0 });
      assert.equal(await store.settle('alice', 'u1', 1, clock.now()), false, 'settle after expiry');
      assert.equal(await store.release('alice', 'u1', clock.now()), false, 'release after expiry');
      assert.equal((await store.reserve(reservation(clock, { uploadId: 'u2', bytes: 100 }))).ok, true);
      assert.equal((await store.reserve(reservation(clock))).ok, false, 'u1 expired: u2 holds all');
    },
  ],
  [
    'usage counts only live reservations',
    async (store, clock) => {
      await store.reserve(reservation(clock, { uploadId: 'short', bytes: 10, ttlMs: 1000 }));
      await store.reserve(reservation(clock, { uploadId: 'long', bytes: 20, ttlMs: 3000 }));
      await store.reserve(reservation(clock, { uploadId: 'kept', bytes: 5, ttlMs: 1000 }));
      await store.settle('alice', 'kept', 5, clock.now());
      assert.deepEqual(await store.usage('alice', clock.now()), { usedBytes: 5, reservedBytes: 30 });
      clock.advance(1500);
      assert.deepEqual(await store.usage('alice', clock.now()), { usedBytes: 5, reservedBytes: 20 });
      clock.advance(1500);
      assert.deepEqual(await store.usage('alice', clock.now()), { usedBytes: 5, reservedBytes: 0 });
    },
  ],
  [
    'a limit lowered below used refuses new reserves, even of 0 bytes; the rest keeps working',
    async (store, clock) => {
      await store.reserve(reservation(clock, { bytes: 80 }));
      await store.reserve(reservation(clock, { uploadId: 'open', bytes: 10 }));
      await store.settle('alice', 'u1', 80, clock.now());
      const low = { limitBytes: 50 };
      const refused = await store.reserve(reservation(clock, { ...low, uploadId: 'u2', bytes: 0 }));
      assert.deepEqual(refused, { ok: false, reason: 'quota', usage: { usedBytes: 80, reservedBytes: 10 } });
      assert.equal((await store.get('alice', 'open', clock.now()))?.bytes, 10);
      assert.equal(await store.settle('alice', 'open', 10, clock.now()), true);
      assert.deepEqual(await store.free('alice', 'u1'), { usedBytes: 10, reservedBytes: 0 });
      assert.equal((await store.reserve(reservation(clock, { ...low, uploadId: 'u3', bytes: 20 }))).ok, true);
    },
  ],
  [
    'a zero-byte reservation is admitted (even at limit 0), read and settled',
    async (store, clock) => {
      const r = await store.reserve(reservation(clock, { bytes: 0, limitBytes: 0 }));
      assert.deepEqual(r, { ok: true, usage: { usedBytes: 0, reservedBytes: 0 } });
      assert.equal((await store.get('alice', 'u1', clock.now()))?.bytes, 0);
      assert.equal(
        (await store.reserve(reservation(clock, { uploadId: 'u2', bytes: 1, limitBytes: 0 }))).ok,
        false,
      );
      assert.equal(await store.settle('alice', 'u1', 0, clock.now()), true);
      assert.deepEqual(await store.usage('alice', clock.now()), { usedBytes: 0, reservedBytes: 0 });
    },
  ],
  [
    'sweepExpired returns each expired reservation once, at most `limit` per call',
    async (store, clock) => {
      const t0 = clock.now();
      for (const [owner, uploadId, ttlMs] of [
        ['alice', 'a1', 1000],
        ['alice', 'a2', 2000],
        ['bob', 'b1', 1500],
        ['carol', 'c1', 10_000],
      ] as const) {
        await store.reserve(reservation(clock, { owner, uploadId, ttlMs, bytes: 7 }));
      }
      assert.deepEqual(await store.sweepExpired(t0 + 999, 10), [], 'nothing expired yet');
      clock.set(t0 + 2000);
      const first = await store.sweepExpired(clock.now(), 2);
      assert.equal(first.length, 2);
      const second = await store.sweepExpired(clock.now(), 2);
      assert.equal(second.length, 1);
      assert.deepEqual(await store.sweepExpired(clock.now(), 2), []);
      const all = [...first, ...second].sort((a, b) => a.uploadId.localeCompare(b.uploadId));
      assert.deepEqual(
        all.map((r) => [r.owner, r.uploadId, r.bytes, r.expiresAtMs - t0, r.state]),
        [
          ['alice', 'a1', 7, 1000, '{"key":"quarantine/a"}'],
          ['alice', 'a2', 7, 2000, '{"key":"quarantine/a"}'],
          ['bob', 'b1', 7, 1500, '{"key":"quarantine/a"}'],
        ],
      );
      assert.equal((await store.get('carol', 'c1', clock.now()))?.bytes, 7, 'the live one stays');
      assert.deepEqual(await store.usage('alice', clock.now()), { usedBytes: 0, reservedBytes: 0 });
      assert.deepEqual(await store.free('bob', 'b1'), { usedBytes: 0, reservedBytes: 0 }, 'bob dropped');
    },
  ],
  [
    'sweepExpired skips what was settled or released, not what a call on the owner dropped lazily',
    async (store, clock) => {
      for (const uploadId of ['s', 'r', 'lazy', 'swept']) {
        await store.reserve(reservation(clock, { uploadId, ttlMs: 1000 }));
      }
      await store.reserve(reservation(clock, { owner: 'bob', uploadId: 'swept', ttlMs: 1000 }));
      await store.settle('alice', 's', 10, clock.now());
      await store.release('alice', 'r', clock.now());
      clock.advance(1000);
      assert.deepEqual(await store.usage('alice', clock.now()), { usedBytes: 10, reservedBytes: 0 });
      const swept = await store.sweepExpired(clock.now(), 100);
      assert.deepEqual(swept.map((r) => `${r.owner}/${r.uploadId}`).sort(), [
        'alice/lazy',
        'alice/swept',
        'bob/swept',
      ]);
      assert.deepEqual(await store.sweepExpired(clock.now(), 100), [], 'each once');
    },
  ],
];

/**
 * The QuotaStore contract: reserve up to exactly the limit, duplicates, settle (less than reserved, twice,
 * after release), release, expiry on the injected `nowMs`, usage of live reservations only, free by
 * upload id (once, what the settle recorded), settle attempt ids (our own lost commit answers true,
 * charged once), sweeps bounded by `limit` that also return reservations
 * dropped lazily (once), a lowered limit, zero bytes, hostile owners and states,
 * argument checks, large byte counts and concurrent reserves against one limit. Time is the manual clock
 * `setup` receives; the store takes it through the `nowMs` arguments.
 *
 * @example
 * ```ts
 * import { describe, it } from 'vitest';
 * quotaStoreContract({ describe, it }, { name: 'memory', setup: () => ({ subject: createMemoryQuotaStore() }) });
 * ```
 */
export function quotaStoreContract(t: ContractTestApi, options: QuotaStoreContractOptions): void {
  t.describe(`QuotaStore contract: ${options.name}`, () => {
    for (const [title, body] of [
      ...basics,
      ...quotaStoreFileCases,
      ...quotaStoreAttemptCases,
      ...quotaStoreHostileCases,
    ]) {
      t.it(title, withFixture(options.setup, body));
    }
  });
}
