import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { RevocationStore } from '../../auth/types.js';
import type { ContractTestApi } from './test-api.js';

/** Options of {@link revocationStoreContract}. */
export interface RevocationStoreContractOptions {
  /** Adapter name shown in test titles. */
  readonly name: string;
  /** A fresh, empty store per test, and how to release it. */
  readonly setup: () => Promise<{ store: RevocationStore; close?: () => Promise<void> }>;
}

const T0 = Date.UTC(2026, 0, 1);
const user = () => `user-${randomBytes(6).toString('hex')}`;

/**
 * The RevocationStore contract: denylist entries until expiry, per-user versions, and `check` answering
 * both. Run it against every RevocationStore adapter.
 *
 * @example
 * ```ts
 * revocationStoreContract({ describe, it }, { name: 'memory', setup: async () => ({ store: createMemoryRevocationStore() }) });
 * ```
 */
export function revocationStoreContract(t: ContractTestApi, options: RevocationStoreContractOptions): void {
  const withStore = (body: (store: RevocationStore) => Promise<void>) => async () => {
    const { store, close } = await options.setup();
    try {
      await body(store);
    } finally {
      await close?.();
    }
  };

  t.describe(`RevocationStore contract: ${options.name}`, () => {
    t.it(
      'nothing is revoked at first; version 0',
      withStore(async (store) => {
        assert.deepEqual(await store.check(user(), 'jti-1', T0), { jtiRevoked: false, userVersion: 0 });
        assert.equal(await store.userVersion(user(), T0), 0);
      }),
    );
    t.it(
      'a revoked jti is reported for its user only',
      withStore(async (store) => {
        const u = user();
        await store.revokeJti(u, 'jti-1', T0 + 60_000, T0);
        assert.equal((await store.check(u, 'jti-1', T0 + 1)).jtiRevoked, true);
        assert.equal((await store.check(u, 'jti-2', T0 + 1)).jtiRevoked, false);
        assert.equal((await store.check(user(), 'jti-1', T0 + 1)).jtiRevoked, false);
      }),
    );
    t.it(
      'a denylist entry for an already-expired token is not stored',
      withStore(async (store) => {
        const u = user();
        await store.revokeJti(u, 'jti-old', T0 - 1, T0);
        assert.equal((await store.check(u, 'jti-old', T0)).jtiRevoked, false);
      }),
    );
    t.it(
      'bumping the user version increments it and check reports it',
      withStore(async (store) => {
        const u = user();
        assert.equal(await store.bumpUserVersion(u, 3_600_000, T0), 1);
        assert.equal(await store.bumpUserVersion(u, 3_600_000, T0 + 1), 2);
        assert.equal(await store.userVersion(u, T0 + 2), 2);
        assert.deepEqual(await store.check(u, 'any', T0 + 2), { jtiRevoked: false, userVersion: 2 });
      }),
    );
  });
}
