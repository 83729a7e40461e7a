import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { UserDirectory } from '../../accounts/index.js';
import { type ContractOptions, type ContractTestApi, withFixture } from './test-api.js';

/**
 * Options of {@link userDirectoryContract}: a `name` and a `setup(clock)` building a directory with no
 * users in it (a test transaction, a fresh schema or a truncated table for a database-backed one: the
 * `deleteUnverified` tests without a user id delete every old unverified user).
 */
export type UserDirectoryContractOptions = ContractOptions<UserDirectory>;

const DAY = 24 * 3_600_000;
const email = () => `u-${randomBytes(6).toString('hex')}@example.com`;
const phc = (label: string) => `$argon2id$v=19$m=19456,t=2,p=1$${label}$${randomBytes(8).toString('base64')}`;

/**
 * The UserDirectory contract: unique emails (one winner among concurrent creates), new users unverified
 * at version 0, the compare-and-set on the password hash, verification, versions that go up by one per
 * bump (also under concurrency), deletion of old unverified users, and users returned as snapshots.
 * Run it against the memory directory and against your own (the port the accounts flows call).
 *
 * @example
 * ```ts
 * import { describe, it } from 'vitest';
 * import { createMemoryUserDirectory } from 'backend-patterns/accounts';
 * userDirectoryContract({ describe, it }, { name: 'memory', setup: (clock) => ({ subject: createMemoryUserDirectory({ clock }) }) });
 * ```
 */
export function userDirectoryContract(t: ContractTestApi, options: UserDirectoryContractOptions): void {
  const test = (title: string, body: Parameters<typeof withFixture<UserDirectory>>[1]) =>
    t.it(title, withFixture(options.setup, body));

  t.describe(`UserDirectory contract: ${options.name}`, () => {
    test('create makes an unverified user at version 0, found by email and by id', async (directory, clock) => {
      const address = email();
      const hash = phc('a');
      const created = await directory.create({
        email: address,
        passwordHash: hash,
        createdAtMs: clock.now(),
      });
      assert.ok(created, 'created');
      assert.equal(typeof created.id, 'string');
      assert.ok(created.id.length > 0);
      assert.deepEqual(created, {
        id: created.id,
        email: address,
        passwordHash: hash,
        verified: false,
        createdAtMs: clock.now(),
        credentialsVersion: 0,
      });
      assert.deepEqual(await directory.findByEmail(address), created);
      assert.deepEqual(await directory.findById(created.id), created);
    });

    test('create with verified: true makes a verified user (a signup completed by its link)', async (directory, clock) => {
      const address = email();
      const created = await directory.create({
        email: address,
        passwordHash: phc('v'),
        createdAtMs: clock.now(),
        verified: true,
      });
      assert.equal(created?.verified, true);
      assert.equal((await directory.findByEmail(address))?.verified, true);
    });

    test('unknown emails and ids are undefined; unknown users are false or -1', async (directory, clock) => {
      assert.equal(await directory.findByEmail(email()), undefined);
      assert.equal(await directory.findById(`missing-${randomBytes(6).toString('hex')}`), undefined);
      const missing = `missing-${randomBytes(6).toString('hex')}`;
      assert.equal(await directory.updatePasswordHash({ userId: missing, passwordHash: phc('x') }), false);
      assert.equal(await directory.markVerified(missing), false);
      assert.equal(await directory.bumpCredentialsVersion(missing), -1);
      assert.equal(await directory.deleteUnverified({ userId: missing, createdBeforeMs: clock.now() }), 0);
    });

    test('an email is taken once; the first user is unchanged', async (directory, clock) => {
      const address = email();
      const first = await directory.create({
        email: address,
        passwordHash: phc('a'),
        createdAtMs: clock.now(),
      });
      assert.ok(first);
      const again = await directory.create({
        email: address,
        passwordHash: phc('b'),
        createdAtMs: clock.now(),
      });
      assert.equal(again, undefined);
      assert.deepEqual(await directory.findByEmail(address), first);
    });

    test('20 concurrent creates of one email: exactly one user', async (directory, clock) => {
      const address = email();
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          directory.create({ email: address, passwordHash: phc(`h${i}`), createdAtMs: clock.now() }),
        ),
      );
      const created = results.filter((r) => r !== undefined);
      assert.equal(created.length, 1);
      assert.deepEqual(await directory.findByEmail(address), created[0]);
    });

    test('updatePasswordHash sets the hash; with expectedHash only while it still matches', async (directory, clock) => {
      const user = await directory.create({
        email: email(),
        passwordHash: phc('a'),
        createdAtMs: clock.now(),
      });
      assert.ok(user);
      const b = phc('b');
      assert.equal(await directory.updatePasswordHash({ userId: user.id, passwordHash: b }), true);
      assert.equal((await directory.findById(user.id))?.passwordHash, b);
      const stale = { userId: user.id, passwordHash: phc('c'), expectedHash: user.passwordHash ?? '' };
      assert.equal(await directory.updatePasswordHash(stale), false, 'the hash changed since');
      assert.equal((await directory.findById(user.id))?.passwordHash, b);
      const c = phc('c');
      assert.equal(
        await directory.updatePasswordHash({ userId: user.id, passwordHash: c, expectedHash: b }),
        true,
      );
      assert.equal((await directory.findById(user.id))?.passwordHash, c);
    });

    test('two concurrent compare-and-sets on one hash: exactly one wins', async (directory, clock) => {
      const a = phc('a');
      const user = await directory.create({ email: email(), passwordHash: a, createdAtMs: clock.now() });
      assert.ok(user);
      const candidates = [phc('x'), phc('y')];
      const results = await Promise.all(
        candidates.map((passwordHash) =>
          directory.updatePasswordHash({ userId: user.id, passwordHash, expectedHash: a }),
        ),
      );
      assert.equal(results.filter(Boolean).length, 1);
      const winner = candidates[results.indexOf(true)];
      assert.equal((await directory.findById(user.id))?.passwordHash, winner);
    });

    test('markVerified marks the user verified, and only that', async (directory, clock) => {
      const user = await directory.create({
        email: email(),
        passwordHash: phc('a'),
        createdAtMs: clock.now(),
      });
      assert.ok(user);
      assert.equal(await directory.markVerified(user.id), true);
      assert.deepEqual(await directory.findById(user.id), { ...user, verified: true });
      assert.equal(await directory.markVerified(user.id), true, 'idempotent');
    });

    test('bumpCredentialsVersion raises the version by one, also under concurrency', async (directory, clock) => {
      const user = await directory.create({
        email: email(),
        passwordHash: phc('a'),
        createdAtMs: clock.now(),
      });
      assert.ok(user);
      assert.equal(await directory.bumpCredentialsVersion(user.id), 1);
      assert.equal(await directory.bumpCredentialsVersion(user.id), 2);
      const bumps = await Promise.all(
        Array.from({ length: 10 }, () => directory.bumpCredentialsVersion(user.id)),
      );
      assert.deepEqual(
        [...bumps].sort((x, y) => x - y),
        Array.from({ length: 10 }, (_, i) => i + 3),
      );
      assert.deepEqual(await directory.findById(user.id), { ...user, credentialsVersion: 12 });
    });

    test('deleteUnverified deletes unverified users created before the instant', async (directory, clock) => {
      const now = clock.now();
      const make = async (createdAtMs: number, verified: boolean) => {
        const user = await directory.create({ email: email(), passwordHash: phc('a'), createdAtMs });
        assert.ok(user);
        if (verified) await directory.markVerified(user.id);
        return user;
      };
      const oldUnverified = await make(now - 3 * DAY, false);
      const oldVerified = await make(now - 3 * DAY, true);
      const edge = await make(now - DAY, false);
      const recent = await make(now - 1_000, false);
      assert.equal(await directory.deleteUnverified({ createdBeforeMs: now - DAY }), 1);
      assert.equal(await directory.findById(oldUnverified.id), undefined);
      assert.equal(await directory.findByEmail(oldUnverified.email), undefined);
      for (const kept of [oldVerified, edge, recent]) assert.ok(await directory.findById(kept.id), 'kept');
      assert.equal(await directory.deleteUnverified({ createdBeforeMs: now - DAY }), 0);
      // The email is free again.
      assert.ok(
        await directory.create({ email: oldUnverified.email, passwordHash: phc('b'), createdAtMs: now }),
      );
    });

    test('deleteUnverified with a user id deletes only that user, only while unverified', async (directory, clock) => {
      const now = clock.now();
      const a = await directory.create({ email: email(), passwordHash: phc('a'), createdAtMs: now - DAY });
      const b = await directory.create({ email: email(), passwordHash: phc('b'), createdAtMs: now - DAY });
      assert.ok(a && b);
      assert.equal(await directory.deleteUnverified({ userId: a.id, createdBeforeMs: now - 2 * DAY }), 0);
      assert.equal(await directory.deleteUnverified({ userId: a.id, createdBeforeMs: now }), 1);
      assert.equal(await directory.findById(a.id), undefined);
      assert.ok(await directory.findById(b.id));
      await directory.markVerified(b.id);
      assert.equal(await directory.deleteUnverified({ userId: b.id, createdBeforeMs: now }), 0);
      assert.ok(await directory.findById(b.id));
    });

    test('a returned user is a snapshot: later changes and writes to it do not mix', async (directory, clock) => {
      const user = await directory.create({
        email: email(),
        passwordHash: phc('a'),
        createdAtMs: clock.now(),
      });
      assert.ok(user);
      const before = await directory.findById(user.id);
      assert.ok(before);
      await directory.markVerified(user.id);
      await directory.bumpCredentialsVersion(user.id);
      assert.equal(before.verified, false);
      assert.equal(before.credentialsVersion, 0);
      // Writing to a returned user (frozen, or a copy) never changes the directory.
      try {
        Reflect.set(before, 'passwordHash', 'tampered');
        Reflect.set(before, 'email', 'tampered@example.com');
      } catch {
        // a frozen object in strict mode may throw: fine
      }
      const after = await directory.findById(user.id);
      assert.equal(after?.passwordHash, user.passwordHash);
      assert.equal(after?.email, user.email);
      assert.equal(after?.verified, true);
    });
  });
}
