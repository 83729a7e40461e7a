import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { SessionRecord, SessionStore } from '../../auth/index.js';
import { type ContractOptions, type ContractTestApi, withFixture } from './test-api.js';

/** Options of {@link sessionStoreContract}: a `name` and a `setup(clock)` building a fresh, empty store on that clock. */
export type SessionStoreContractOptions = ContractOptions<SessionStore>;

const MIN = 60_000;

const record = (userId: string, nowMs: number, overrides: Partial<SessionRecord> = {}): SessionRecord => ({
  id: randomBytes(32).toString('base64url'),
  userId,
  data: { theme: 'dark' },
  createdAtMs: nowMs,
  lastActiveAtMs: nowMs,
  idleTimeoutMs: 30 * MIN,
  absoluteExpiresAtMs: nowMs + 480 * MIN,
  ...overrides,
});
const user = () => `user-${randomBytes(6).toString('hex')}`;

/**
 * The SessionStore contract: touch slides the idle deadline but never the absolute one, expired sessions
 * are gone, take/delete, per-user listing, revocation and the cap. Run it against every SessionStore;
 * time moves only through the manual clock `setup` receives.
 *
 * @example
 * ```ts
 * import { describe, it } from 'vitest';
 * sessionStoreContract({ describe, it }, { name: 'memory', setup: (clock) => ({ subject: createMemorySessionStore({ clock }) }) });
 * ```
 */
export function sessionStoreContract(t: ContractTestApi, options: SessionStoreContractOptions): void {
  const test = (title: string, body: Parameters<typeof withFixture<SessionStore>>[1]) =>
    t.it(title, withFixture(options.setup, body));

  t.describe(`SessionStore contract: ${options.name}`, () => {
    test('reports its kind', (store) => {
      assert.equal(typeof store.kind, 'string');
      assert.ok(store.kind.length > 0);
    });
    test('a created session is active and its data round-trips', async (store, clock) => {
      const r = record(user(), clock.now());
      assert.deepEqual(await store.create(r, 10), { evictedIds: [] });
      clock.advance(1_000);
      const found = await store.touch(r.id);
      assert.equal(found.status, 'active');
      if (found.status === 'active') {
        assert.deepEqual(found.record, { ...r, lastActiveAtMs: clock.now() });
      }
    });
    test('unknown ids are unknown', async (store) => {
      assert.deepEqual(await store.touch(randomBytes(32).toString('base64url')), { status: 'unknown' });
    });
    test('activity slides the idle deadline; inactivity ends the session', async (store, clock) => {
      const r = record(user(), clock.now());
      await store.create(r, 10);
      clock.advance(20 * MIN);
      assert.equal((await store.touch(r.id)).status, 'active');
      clock.advance(20 * MIN);
      assert.equal((await store.touch(r.id)).status, 'active');
      clock.advance(30 * MIN);
      assert.deepEqual(await store.touch(r.id), { status: 'idle-timeout' });
      clock.advance(MIN);
      assert.deepEqual(await store.touch(r.id), { status: 'unknown' });
    });
    test('the absolute deadline ends an active session', async (store, clock) => {
      const r = record(user(), clock.now(), { absoluteExpiresAtMs: clock.now() + 50 * MIN });
      await store.create(r, 10);
      clock.advance(25 * MIN);
      assert.equal((await store.touch(r.id)).status, 'active');
      clock.advance(25 * MIN);
      assert.deepEqual(await store.touch(r.id), { status: 'absolute-timeout' });
    });
    test('take returns and deletes a live session, once', async (store, clock) => {
      const r = record(user(), clock.now());
      await store.create(r, 10);
      clock.advance(1);
      assert.equal((await store.take(r.id))?.id, r.id);
      clock.advance(1);
      assert.equal(await store.take(r.id), undefined);
      clock.advance(1);
      assert.equal((await store.touch(r.id)).status, 'unknown');
      assert.deepEqual(await store.listByUser(r.userId), []);
    });
    test('take of an expired session returns nothing', async (store, clock) => {
      const r = record(user(), clock.now());
      await store.create(r, 10);
      clock.advance(31 * MIN);
      assert.equal(await store.take(r.id), undefined);
    });
    test('list, delete one, delete all of a user', async (store, clock) => {
      const u = user();
      const other = record(user(), clock.now());
      const created: SessionRecord[] = [];
      for (let i = 0; i < 3; i++) {
        const r = record(u, clock.now());
        await store.create(r, 10);
        created.push(r);
        clock.advance(1);
      }
      await store.create(other, 10);
      const [a, b, c] = created as [SessionRecord, SessionRecord, SessionRecord];
      assert.deepEqual(
        (await store.listByUser(u)).map((s) => s.id),
        [a.id, b.id, c.id],
      );
      assert.equal(await store.delete(b.id), true);
      assert.equal(await store.delete(b.id), false);
      clock.advance(1);
      assert.deepEqual(
        (await store.listByUser(u)).map((s) => s.id),
        [a.id, c.id],
      );
      assert.equal(await store.deleteByUser(u), 2);
      clock.advance(1);
      assert.deepEqual(await store.listByUser(u), []);
      assert.equal((await store.touch(other.id)).status, 'active');
    });
    test('the per-user cap evicts the oldest sessions', async (store, clock) => {
      const u = user();
      const rs: SessionRecord[] = [];
      const evicted: string[] = [];
      for (let i = 0; i < 4; i++) {
        const r = record(u, clock.now());
        rs.push(r);
        evicted.push(...(await store.create(r, 3)).evictedIds);
        clock.advance(1);
      }
      assert.deepEqual(evicted, [rs[0]?.id]);
      clock.advance(1);
      assert.equal((await store.touch(rs[0]?.id ?? '')).status, 'unknown');
      assert.deepEqual(
        (await store.listByUser(u)).map((s) => s.id),
        rs.slice(1).map((r) => r.id),
      );
    });
    test('a new session is never the one evicted, even with an inherited early deadline', async (store, clock) => {
      const u = user();
      const a = record(u, clock.now());
      await store.create(a, 1);
      clock.advance(1);
      const regenerated = record(u, clock.now(), { absoluteExpiresAtMs: clock.now() + 10 * MIN });
      assert.deepEqual(await store.create(regenerated, 1), { evictedIds: [a.id] });
      clock.advance(1);
      assert.equal((await store.touch(regenerated.id)).status, 'active');
    });
  });
}
