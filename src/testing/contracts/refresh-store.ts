import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { RefreshStore } from '../../auth/index.js';
import { type ContractOptions, type ContractTestApi, withFixture } from './test-api.js';

/** Options of {@link refreshStoreContract}: a `name` and a `setup(clock)` building a fresh, empty store on that clock. */
export type RefreshStoreContractOptions = ContractOptions<RefreshStore>;

const id = () => randomBytes(16).toString('base64url');
const hash = () => randomBytes(32).toString('base64url');
const DAY = 86_400_000;

/**
 * The RefreshStore contract: rotation, the once-only grace window, reuse detection revoking the family,
 * expiry, and per-user revocation. Run it against every RefreshStore adapter (ours or yours); time moves
 * only through the manual clock `setup` receives.
 *
 * @example
 * ```ts
 * import { describe, it } from 'vitest';
 * refreshStoreContract({ describe, it }, { name: 'memory', setup: (clock) => ({ subject: createMemoryRefreshStore({ clock }) }) });
 * ```
 */
export function refreshStoreContract(t: ContractTestApi, options: RefreshStoreContractOptions): void {
  const test = (title: string, body: Parameters<typeof withFixture<RefreshStore>>[1]) =>
    t.it(title, withFixture(options.setup, body));
  const family = async (store: RefreshStore, nowMs: number, userId = 'user-1') => {
    const familyId = id();
    const first = hash();
    await store.createFamily({ familyId, userId, tokenHash: first, expiresAtMs: nowMs + DAY });
    return { familyId, first };
  };

  t.describe(`RefreshStore contract: ${options.name}`, () => {
    test('reports its kind', (store) => {
      assert.equal(typeof store.kind, 'string');
      assert.ok(store.kind.length > 0);
    });
    test('the current token rotates, and the new one rotates again', async (store, clock) => {
      const t0 = clock.now();
      const { familyId, first } = await family(store, t0);
      const second = hash();
      const r1 = await store.rotate({ familyId, presentedHash: first, nextHash: second, graceMs: 0 });
      assert.deepEqual(r1, { status: 'rotated', userId: 'user-1', expiresAtMs: t0 + DAY });
      clock.advance(1);
      const r2 = await store.rotate({ familyId, presentedHash: second, nextHash: hash(), graceMs: 0 });
      assert.equal(r2.status, 'rotated');
    });
    test('reuse of a rotated token outside the grace window revokes the whole family', async (store, clock) => {
      const { familyId, first } = await family(store, clock.now());
      const second = hash();
      await store.rotate({ familyId, presentedHash: first, nextHash: second, graceMs: 1_000 });
      clock.advance(5_000);
      const reuse = await store.rotate({ familyId, presentedHash: first, nextHash: hash(), graceMs: 1_000 });
      assert.deepEqual(reuse, { status: 'reused', userId: 'user-1' });
      clock.advance(1);
      const legit = await store.rotate({ familyId, presentedHash: second, nextHash: hash(), graceMs: 1_000 });
      assert.deepEqual(legit, { status: 'revoked' });
    });
    test('the previous token within the grace window succeeds exactly once', async (store, clock) => {
      const { familyId, first } = await family(store, clock.now());
      await store.rotate({ familyId, presentedHash: first, nextHash: hash(), graceMs: 10_000 });
      clock.advance(2_000);
      const sibling = hash();
      const grace = await store.rotate({
        familyId,
        presentedHash: first,
        nextHash: sibling,
        graceMs: 10_000,
      });
      assert.equal(grace.status, 'grace');
      clock.advance(1_000);
      const again = await store.rotate({ familyId, presentedHash: first, nextHash: hash(), graceMs: 10_000 });
      assert.equal(again.status, 'reused');
    });
    test('with graceMs 0 there is no grace: an immediate replay is reuse', async (store, clock) => {
      const { familyId, first } = await family(store, clock.now());
      await store.rotate({ familyId, presentedHash: first, nextHash: hash(), graceMs: 0 });
      const replay = await store.rotate({ familyId, presentedHash: first, nextHash: hash(), graceMs: 0 });
      assert.equal(replay.status, 'reused');
    });
    test('two concurrent presentations of the current token: one rotates, one takes the grace path', async (store, clock) => {
      const { familyId, first } = await family(store, clock.now());
      const results = await Promise.all(
        [hash(), hash()].map((nextHash) =>
          store.rotate({ familyId, presentedHash: first, nextHash, graceMs: 10_000 }),
        ),
      );
      assert.deepEqual(results.map((r) => r.status).sort(), ['grace', 'rotated']);
    });
    test('a token the family never issued is unknown and does not revoke it', async (store, clock) => {
      const { familyId, first } = await family(store, clock.now());
      assert.deepEqual(
        await store.rotate({ familyId, presentedHash: hash(), nextHash: hash(), graceMs: 0 }),
        { status: 'unknown' },
      );
      assert.deepEqual(
        await store.rotate({ familyId: id(), presentedHash: first, nextHash: hash(), graceMs: 0 }),
        { status: 'unknown' },
      );
      const ok = await store.rotate({ familyId, presentedHash: first, nextHash: hash(), graceMs: 0 });
      assert.equal(ok.status, 'rotated');
    });
    test('a family ends at its lifetime', async (store, clock) => {
      const { familyId, first } = await family(store, clock.now());
      clock.advance(DAY);
      const late = await store.rotate({ familyId, presentedHash: first, nextHash: hash(), graceMs: 0 });
      assert.ok(late.status === 'expired' || late.status === 'unknown', late.status);
    });
    test('revokeFamily needs a token of the family when one is given, and is idempotent', async (store, clock) => {
      const { familyId, first } = await family(store, clock.now());
      assert.equal(await store.revokeFamily(familyId, hash()), false);
      assert.equal(await store.revokeFamily(familyId, first), true);
      assert.equal(await store.revokeFamily(familyId, first), false);
      const after = await store.rotate({ familyId, presentedHash: first, nextHash: hash(), graceMs: 0 });
      assert.deepEqual(after, { status: 'revoked' });
    });
    test('revokeFamily of an ended family is false', async (store, clock) => {
      const { familyId, first } = await family(store, clock.now());
      clock.advance(DAY);
      assert.equal(await store.revokeFamily(familyId, first), false);
    });
    test("revokeUser revokes every live family of that user and no one else's", async (store, clock) => {
      const userId = `user-${id()}`;
      const a = await family(store, clock.now(), userId);
      const b = await family(store, clock.now(), userId);
      const other = await family(store, clock.now(), `other-${id()}`);
      clock.advance(1);
      assert.equal(await store.revokeUser(userId), 2);
      clock.advance(1);
      for (const f of [a, b]) {
        const r = await store.rotate({
          familyId: f.familyId,
          presentedHash: f.first,
          nextHash: hash(),
          graceMs: 0,
        });
        assert.equal(r.status, 'revoked');
      }
      const r = await store.rotate({
        familyId: other.familyId,
        presentedHash: other.first,
        nextHash: hash(),
        graceMs: 0,
      });
      assert.equal(r.status, 'rotated');
    });
  });
}
