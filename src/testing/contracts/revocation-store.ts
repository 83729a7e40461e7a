import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { RevocationStore } from '../../auth/index.js';
import { type ContractOptions, type ContractTestApi, withFixture } from './test-api.js';

/** Options of {@link revocationStoreContract}. */
export interface RevocationStoreContractOptions extends ContractOptions<RevocationStore> {
  /**
   * The clock-skew tolerance the adapter under test pads denylist entries and user versions by (its
   * `clockSkewMs` option). Default 0.
   */
  readonly clockSkewMs?: number;
}

const user = () => `user-${randomBytes(6).toString('hex')}`;
const HOUR = 3_600_000;

/**
 * The RevocationStore contract: denylist entries until expiry (plus the adapter's skew tolerance),
 * per-user versions, and `check` answering both. Run it against every RevocationStore adapter; time
 * moves only through the manual clock `setup` receives.
 *
 * @example
 * ```ts
 * import { describe, it } from 'vitest';
 * revocationStoreContract({ describe, it }, { name: 'memory', setup: (clock) => ({ subject: createMemoryRevocationStore({ clock }) }) });
 * ```
 */
export function revocationStoreContract(t: ContractTestApi, options: RevocationStoreContractOptions): void {
  const skewMs = options.clockSkewMs ?? 0;
  const test = (title: string, body: Parameters<typeof withFixture<RevocationStore>>[1]) =>
    t.it(title, withFixture(options.setup, body));

  t.describe(`RevocationStore contract: ${options.name}`, () => {
    test('reports its kind', (store) => {
      assert.equal(typeof store.kind, 'string');
      assert.ok(store.kind.length > 0);
    });
    test('nothing is revoked at first; version 0', async (store) => {
      assert.deepEqual(await store.check(user(), 'jti-1'), { jtiRevoked: false, userVersion: 0 });
      assert.equal(await store.userVersion(user()), 0);
    });
    test('a revoked jti is reported for its user only', async (store, clock) => {
      const u = user();
      await store.revokeJti({ userId: u, jti: 'jti-1', expiresAtMs: clock.now() + 60_000 });
      clock.advance(1);
      assert.equal((await store.check(u, 'jti-1')).jtiRevoked, true);
      assert.equal((await store.check(u, 'jti-2')).jtiRevoked, false);
      assert.equal((await store.check(user(), 'jti-1')).jtiRevoked, false);
    });
    test('a denylist entry for an already-expired token is not stored', async (store, clock) => {
      const u = user();
      await store.revokeJti({ userId: u, jti: 'jti-old', expiresAtMs: clock.now() - 1 - skewMs });
      assert.equal((await store.check(u, 'jti-old')).jtiRevoked, false);
    });
    test('a denylist entry lasts until the token expires plus the skew tolerance', async (store, clock) => {
      const u = user();
      const expiresAtMs = clock.now() + 60_000;
      await store.revokeJti({ userId: u, jti: 'jti-1', expiresAtMs });
      clock.set(expiresAtMs + skewMs - 1);
      assert.equal((await store.check(u, 'jti-1')).jtiRevoked, true);
    });
    test('bumping the user version raises it and check reports it', async (store, clock) => {
      const u = user();
      const first = await store.bumpUserVersion(u, HOUR);
      assert.ok(Number.isSafeInteger(first) && first >= 1, `a positive safe integer, got ${first}`);
      // Twice in one millisecond still raises it.
      const second = await store.bumpUserVersion(u, HOUR);
      assert.ok(second > first, `${second} > ${first}`);
      clock.advance(1);
      assert.equal(await store.userVersion(u), second);
      assert.deepEqual(await store.check(u, 'any'), { jtiRevoked: false, userVersion: second });
    });
    test('a version bumped after the previous one was kept for its time is still larger', async (store, clock) => {
      // A counter restarting at 1 would reopen the tokens issued under the forgotten version 1.
      const u = user();
      const first = await store.bumpUserVersion(u, 1_000);
      clock.advance(1_000 + skewMs + 1);
      const next = await store.bumpUserVersion(u, 1_000);
      assert.ok(next > first, `${next} > ${first}`);
    });
  });
}
