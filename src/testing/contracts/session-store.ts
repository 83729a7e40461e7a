import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { SessionRecord, SessionStore } from '../../auth/types.js';
import type { ContractTestApi } from './test-api.js';

/** Options of {@link sessionStoreContract}. */
export interface SessionStoreContractOptions {
  /** Adapter name shown in test titles. */
  readonly name: string;
  /** A fresh, empty store per test, and how to release it. */
  readonly setup: () => Promise<{ store: SessionStore; close?: () => Promise<void> }>;
}

const T0 = Date.UTC(2026, 0, 1);
const MIN = 60_000;

const record = (userId: string, nowMs = T0, overrides: Partial<SessionRecord> = {}): SessionRecord => ({
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
 * are gone, take/delete, per-user listing, revocation and the cap. Run it against every SessionStore.
 *
 * @example
 * ```ts
 * sessionStoreContract({ describe, it }, { name: 'memory', setup: async () => ({ store: createMemorySessionStore() }) });
 * ```
 */
export function sessionStoreContract(t: ContractTestApi, options: SessionStoreContractOptions): void {
  const withStore = (body: (store: SessionStore) => Promise<void>) => async () => {
    const { store, close } = await options.setup();
    try {
      await body(store);
    } finally {
      await close?.();
    }
  };

  t.describe(`SessionStore contract: ${options.name}`, () => {
    t.it(
      'a created session is active and its data round-trips',
      withStore(async (store) => {
        const r = record(user());
        assert.deepEqual(await store.create(r, 10), { evictedIds: [] });
        const found = await store.touch(r.id, T0 + 1_000);
        assert.equal(found.status, 'active');
        if (found.status === 'active') {
          assert.deepEqual(found.record, { ...r, lastActiveAtMs: T0 + 1_000 });
        }
      }),
    );
    t.it(
      'unknown ids are unknown',
      withStore(async (store) => {
        assert.deepEqual(await store.touch(randomBytes(32).toString('base64url'), T0), { status: 'unknown' });
      }),
    );
    t.it(
      'activity slides the idle deadline; inactivity ends the session',
      withStore(async (store) => {
        const r = record(user());
        await store.create(r, 10);
        assert.equal((await store.touch(r.id, T0 + 20 * MIN)).status, 'active');
        assert.equal((await store.touch(r.id, T0 + 40 * MIN)).status, 'active');
        assert.deepEqual(await store.touch(r.id, T0 + 70 * MIN), { status: 'idle-timeout' });
        assert.deepEqual(await store.touch(r.id, T0 + 71 * MIN), { status: 'unknown' });
      }),
    );
    t.it(
      'the absolute deadline ends an active session',
      withStore(async (store) => {
        const r = record(user(), T0, { absoluteExpiresAtMs: T0 + 50 * MIN });
        await store.create(r, 10);
        assert.equal((await store.touch(r.id, T0 + 25 * MIN)).status, 'active');
        assert.deepEqual(await store.touch(r.id, T0 + 50 * MIN), { status: 'absolute-timeout' });
      }),
    );
    t.it(
      'take returns and deletes a live session, once',
      withStore(async (store) => {
        const r = record(user());
        await store.create(r, 10);
        assert.equal((await store.take(r.id, T0 + 1))?.id, r.id);
        assert.equal(await store.take(r.id, T0 + 2), undefined);
        assert.equal((await store.touch(r.id, T0 + 3)).status, 'unknown');
        assert.deepEqual(await store.listByUser(r.userId, T0 + 3), []);
      }),
    );
    t.it(
      'take of an expired session returns nothing',
      withStore(async (store) => {
        const r = record(user());
        await store.create(r, 10);
        assert.equal(await store.take(r.id, T0 + 31 * MIN), undefined);
      }),
    );
    t.it(
      'list, delete one, delete all of a user',
      withStore(async (store) => {
        const u = user();
        const a = record(u, T0);
        const b = record(u, T0 + 1);
        const c = record(u, T0 + 2);
        const other = record(user(), T0);
        for (const r of [a, b, c, other]) await store.create(r, 10);
        assert.deepEqual(
          (await store.listByUser(u, T0 + 3)).map((s) => s.id),
          [a.id, b.id, c.id],
        );
        assert.equal(await store.delete(b.id), true);
        assert.equal(await store.delete(b.id), false);
        assert.deepEqual(
          (await store.listByUser(u, T0 + 4)).map((s) => s.id),
          [a.id, c.id],
        );
        assert.equal(await store.deleteByUser(u), 2);
        assert.deepEqual(await store.listByUser(u, T0 + 5), []);
        assert.equal((await store.touch(other.id, T0 + 5)).status, 'active');
      }),
    );
    t.it(
      'the per-user cap evicts the oldest sessions',
      withStore(async (store) => {
        const u = user();
        const rs = [0, 1, 2, 3].map((i) => record(u, T0 + i));
        const evicted: string[] = [];
        for (const r of rs) evicted.push(...(await store.create(r, 3)).evictedIds);
        assert.deepEqual(evicted, [rs[0]?.id]);
        assert.equal((await store.touch(rs[0]?.id ?? '', T0 + 5)).status, 'unknown');
        assert.deepEqual(
          (await store.listByUser(u, T0 + 5)).map((s) => s.id),
          rs.slice(1).map((r) => r.id),
        );
      }),
    );
    t.it(
      'a new session is never the one evicted, even with an inherited early deadline',
      withStore(async (store) => {
        const u = user();
        const a = record(u, T0);
        await store.create(a, 1);
        const regenerated = record(u, T0 + 1, { absoluteExpiresAtMs: T0 + 10 * MIN });
        assert.deepEqual(await store.create(regenerated, 1), { evictedIds: [a.id] });
        assert.equal((await store.touch(regenerated.id, T0 + 2)).status, 'active');
      }),
    );
  });
}
