import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { RefreshStore } from '../../auth/types.js';
import type { ContractTestApi } from './test-api.js';

/** Options of {@link refreshStoreContract}. */
export interface RefreshStoreContractOptions {
  /** Adapter name shown in test titles. */
  readonly name: string;
  /** A fresh, empty store per test, and how to release it. */
  readonly setup: () => Promise<{ store: RefreshStore; close?: () => Promise<void> }>;
}

const id = () => randomBytes(16).toString('base64url');
const hash = () => randomBytes(32).toString('base64url');
const T0 = Date.UTC(2026, 0, 1);
const DAY = 86_400_000;

/**
 * The RefreshStore contract: rotation, the once-only grace window, reuse detection revoking the family,
 * expiry, and per-user revocation. Run it against every RefreshStore adapter (ours or yours).
 *
 * @example
 * ```ts
 * import { describe, it } from 'vitest';
 * refreshStoreContract({ describe, it }, { name: 'memory', setup: async () => ({ store: createMemoryRefreshStore() }) });
 * ```
 */
export function refreshStoreContract(t: ContractTestApi, options: RefreshStoreContractOptions): void {
  const withStore = (body: (store: RefreshStore) => Promise<void>) => async () => {
    const { store, close } = await options.setup();
    try {
      await body(store);
    } finally {
      await close?.();
    }
  };
  const family = async (store: RefreshStore, userId = 'user-1') => {
    const familyId = id();
    const first = hash();
    await store.createFamily({ familyId, userId, tokenHash: first, nowMs: T0, expiresAtMs: T0 + DAY });
    return { familyId, first };
  };

  t.describe(`RefreshStore contract: ${options.name}`, () => {
    t.it(
      'the current token rotates, and the new one rotates again',
      withStore(async (store) => {
        const { familyId, first } = await family(store);
        const second = hash();
        const r1 = await store.rotate({
          familyId,
          presentedHash: first,
          nextHash: second,
          nowMs: T0,
          graceMs: 0,
        });
        assert.deepEqual(r1, { status: 'rotated', userId: 'user-1', expiresAtMs: T0 + DAY });
        const r2 = await store.rotate({
          familyId,
          presentedHash: second,
          nextHash: hash(),
          nowMs: T0 + 1,
          graceMs: 0,
        });
        assert.equal(r2.status, 'rotated');
      }),
    );
    t.it(
      'reuse of a rotated token outside the grace window revokes the whole family',
      withStore(async (store) => {
        const { familyId, first } = await family(store);
        const second = hash();
        await store.rotate({ familyId, presentedHash: first, nextHash: second, nowMs: T0, graceMs: 1_000 });
        const reuse = await store.rotate({
          familyId,
          presentedHash: first,
          nextHash: hash(),
          nowMs: T0 + 5_000,
          graceMs: 1_000,
        });
        assert.deepEqual(reuse, { status: 'reused', userId: 'user-1' });
        const legit = await store.rotate({
          familyId,
          presentedHash: second,
          nextHash: hash(),
          nowMs: T0 + 5_001,
          graceMs: 1_000,
        });
        assert.deepEqual(legit, { status: 'revoked' });
      }),
    );
    t.it(
      'the previous token within the grace window succeeds exactly once',
      withStore(async (store) => {
        const { familyId, first } = await family(store);
        await store.rotate({ familyId, presentedHash: first, nextHash: hash(), nowMs: T0, graceMs: 10_000 });
        const sibling = hash();
        const grace = await store.rotate({
          familyId,
          presentedHash: first,
          nextHash: sibling,
          nowMs: T0 + 2_000,
          graceMs: 10_000,
        });
        assert.equal(grace.status, 'grace');
        const again = await store.rotate({
          familyId,
          presentedHash: first,
          nextHash: hash(),
          nowMs: T0 + 3_000,
          graceMs: 10_000,
        });
        assert.equal(again.status, 'reused');
      }),
    );
    t.it(
      'with graceMs 0 there is no grace: an immediate replay is reuse',
      withStore(async (store) => {
        const { familyId, first } = await family(store);
        await store.rotate({ familyId, presentedHash: first, nextHash: hash(), nowMs: T0, graceMs: 0 });
        const replay = await store.rotate({
          familyId,
          presentedHash: first,
          nextHash: hash(),
          nowMs: T0,
          graceMs: 0,
        });
        assert.equal(replay.status, 'reused');
      }),
    );
    t.it(
      'two concurrent presentations of the current token: one rotates, one takes the grace path',
      withStore(async (store) => {
        const { familyId, first } = await family(store);
        const results = await Promise.all(
          [hash(), hash()].map((nextHash) =>
            store.rotate({ familyId, presentedHash: first, nextHash, nowMs: T0, graceMs: 10_000 }),
          ),
        );
        assert.deepEqual(results.map((r) => r.status).sort(), ['grace', 'rotated']);
      }),
    );
    t.it(
      'a token the family never issued is unknown and does not revoke it',
      withStore(async (store) => {
        const { familyId, first } = await family(store);
        assert.deepEqual(
          await store.rotate({ familyId, presentedHash: hash(), nextHash: hash(), nowMs: T0, graceMs: 0 }),
          { status: 'unknown' },
        );
        assert.deepEqual(
          await store.rotate({
            familyId: id(),
            presentedHash: first,
            nextHash: hash(),
            nowMs: T0,
            graceMs: 0,
          }),
          {
            status: 'unknown',
          },
        );
        const ok = await store.rotate({
          familyId,
          presentedHash: first,
          nextHash: hash(),
          nowMs: T0,
          graceMs: 0,
        });
        assert.equal(ok.status, 'rotated');
      }),
    );
    t.it(
      'a family ends at its lifetime',
      withStore(async (store) => {
        const { familyId, first } = await family(store);
        const late = await store.rotate({
          familyId,
          presentedHash: first,
          nextHash: hash(),
          nowMs: T0 + DAY,
          graceMs: 0,
        });
        assert.ok(late.status === 'expired' || late.status === 'unknown', late.status);
      }),
    );
    t.it(
      'revokeFamily needs a token of the family when one is given, and is idempotent',
      withStore(async (store) => {
        const { familyId, first } = await family(store);
        assert.equal(await store.revokeFamily(familyId, T0, hash()), false);
        assert.equal(await store.revokeFamily(familyId, T0, first), true);
        assert.equal(await store.revokeFamily(familyId, T0, first), false);
        const after = await store.rotate({
          familyId,
          presentedHash: first,
          nextHash: hash(),
          nowMs: T0,
          graceMs: 0,
        });
        assert.deepEqual(after, { status: 'revoked' });
      }),
    );
    t.it(
      "revokeUser revokes every live family of that user and no one else's",
      withStore(async (store) => {
        const userId = `user-${id()}`;
        const a = await family(store, userId);
        const b = await family(store, userId);
        const other = await family(store, `other-${id()}`);
        assert.equal(await store.revokeUser(userId, T0 + 1), 2);
        for (const f of [a, b]) {
          const r = await store.rotate({
            familyId: f.familyId,
            presentedHash: f.first,
            nextHash: hash(),
            nowMs: T0 + 2,
            graceMs: 0,
          });
          assert.equal(r.status, 'revoked');
        }
        const r = await store.rotate({
          familyId: other.familyId,
          presentedHash: other.first,
          nextHash: hash(),
          nowMs: T0 + 2,
          graceMs: 0,
        });
        assert.equal(r.status, 'rotated');
      }),
    );
  });
}
