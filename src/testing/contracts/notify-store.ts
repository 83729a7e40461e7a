import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { NotifyStore } from '../../notify/index.js';
import { type ContractOptions, type ContractTestApi, withFixture } from './test-api.js';

/** Options of {@link notifyStoreContract}. */
export type NotifyStoreContractOptions = ContractOptions<NotifyStore>;

const id = (label: string) => `${label}-${randomBytes(6).toString('hex')}`;
const MIN = 60_000;

/**
 * The NotifyStore contract: preferences, suppressions, idempotency claims (lapse, fencing, outcomes and
 * their expiry), delivery records and their status machine, digest buffers and reputation windows. Time
 * moves only through the manual clock `setup` receives, and every deadline is checked against it.
 *
 * @example
 * ```ts
 * import { describe, it } from 'vitest';
 * notifyStoreContract({ describe, it }, { name: 'memory', setup: (clock) => ({ subject: createMemoryNotifyStore({ clock }) }) });
 * ```
 */
export function notifyStoreContract(t: ContractTestApi, options: NotifyStoreContractOptions): void {
  const test = (title: string, body: Parameters<typeof withFixture<NotifyStore>>[1]) =>
    t.it(title, withFixture(options.setup, body));

  t.describe(`NotifyStore contract: ${options.name}`, () => {
    test('reports its kind', (store) => {
      assert.equal(typeof store.kind, 'string');
      assert.ok(store.kind.length > 0);
    });

    test('preferences are stored per user, channel and category, and overwritten', async (store) => {
      const user = id('u');
      assert.deepEqual(await store.getPreferences(user), []);
      await store.setPreference({ userId: user, channel: 'email', category: 'promotional', optedOut: true });
      await store.setPreference({ userId: user, channel: '*', category: 'digest', optedOut: true });
      await store.setPreference({ userId: user, channel: 'email', category: 'promotional', optedOut: false });
      const prefs = [...(await store.getPreferences(user))].sort((a, b) =>
        a.category.localeCompare(b.category),
      );
      assert.deepEqual(prefs, [
        { channel: '*', category: 'digest', optedOut: true },
        { channel: 'email', category: 'promotional', optedOut: false },
      ]);
      assert.deepEqual(await store.getPreferences(id('other')), []);
    });

    test('a suppression is stamped with the store time and can be removed', async (store, clock) => {
      const address = `${id('a')}@example.com`;
      assert.equal(await store.getSuppression('email', address), undefined);
      await store.suppress({ channel: 'email', recipient: address, reason: 'bounced' });
      assert.deepEqual(await store.getSuppression('email', address), {
        channel: 'email',
        recipient: address,
        reason: 'bounced',
        atMs: clock.now(),
      });
      assert.equal(await store.getSuppression('sms', address), undefined, 'per channel');
      assert.equal(await store.unsuppress('email', address), true);
      assert.equal(await store.unsuppress('email', address), false);
      assert.equal(await store.getSuppression('email', address), undefined);
    });

    test('a claim is exclusive until completed; the outcome replays; another fingerprint is a mismatch', async (store, clock) => {
      const key = id('k');
      const claim = { key, fingerprint: 'f1', token: 't1', ttlMs: MIN };
      assert.deepEqual(await store.claimIdempotency(claim), { status: 'claimed' });
      assert.deepEqual(await store.claimIdempotency({ ...claim, token: 't2' }), {
        status: 'in-progress',
        expiresAtMs: clock.now() + MIN,
      });
      assert.deepEqual(await store.claimIdempotency({ ...claim, fingerprint: 'f2', token: 't3' }), {
        status: 'mismatch',
      });
      assert.equal(
        await store.completeIdempotency({ key, token: 't2', resultJson: '"x"', ttlMs: MIN }),
        false,
      );
      assert.equal(
        await store.completeIdempotency({ key, token: 't1', resultJson: '{"ok":1}', ttlMs: MIN }),
        true,
      );
      assert.equal(
        await store.completeIdempotency({ key, token: 't1', resultJson: '"again"', ttlMs: MIN }),
        false,
      );
      assert.deepEqual(await store.claimIdempotency({ ...claim, token: 't4' }), {
        status: 'done',
        resultJson: '{"ok":1}',
      });
      assert.deepEqual(await store.claimIdempotency({ ...claim, fingerprint: 'f2', token: 't5' }), {
        status: 'mismatch',
      });
      assert.equal(
        await store.releaseIdempotency({ key, token: 't1' }),
        false,
        'a completed claim is not released',
      );
    });

    test('a released claim can be claimed again; only its token releases it', async (store) => {
      const key = id('k');
      await store.claimIdempotency({ key, fingerprint: 'f', token: 't1', ttlMs: MIN });
      assert.equal(await store.releaseIdempotency({ key, token: 'other' }), false);
      assert.equal(await store.releaseIdempotency({ key, token: 't1' }), true);
      assert.deepEqual(await store.claimIdempotency({ key, fingerprint: 'f2', token: 't2', ttlMs: MIN }), {
        status: 'claimed',
      });
    });

    test('a claim lapses at its ttl (a crashed sender); the lapsed owner cannot complete once retaken', async (store, clock) => {
      const key = id('k');
      await store.claimIdempotency({ key, fingerprint: 'f', token: 't1', ttlMs: MIN });
      clock.advance(MIN - 1);
      assert.equal(
        (await store.claimIdempotency({ key, fingerprint: 'f', token: 't2', ttlMs: MIN })).status,
        'in-progress',
      );
      clock.advance(1);
      assert.deepEqual(await store.claimIdempotency({ key, fingerprint: 'f', token: 't2', ttlMs: MIN }), {
        status: 'claimed',
      });
      assert.equal(
        await store.completeIdempotency({ key, token: 't1', resultJson: '"late"', ttlMs: MIN }),
        false,
      );
      assert.equal(
        await store.completeIdempotency({ key, token: 't2', resultJson: '"ok"', ttlMs: MIN }),
        true,
      );
    });

    test('a lapsed claim nobody took can still record its outcome', async (store, clock) => {
      const key = id('k');
      await store.claimIdempotency({ key, fingerprint: 'f', token: 't1', ttlMs: 1000 });
      clock.advance(1500);
      assert.equal(
        await store.completeIdempotency({ key, token: 't1', resultJson: '"sent"', ttlMs: MIN }),
        true,
      );
      assert.deepEqual(await store.claimIdempotency({ key, fingerprint: 'f', token: 't2', ttlMs: MIN }), {
        status: 'done',
        resultJson: '"sent"',
      });
    });

    test('an outcome is kept for its ttl, then the key is free', async (store, clock) => {
      const key = id('k');
      await store.claimIdempotency({ key, fingerprint: 'f', token: 't1', ttlMs: MIN });
      await store.completeIdempotency({ key, token: 't1', resultJson: '"r"', ttlMs: 10 * MIN });
      clock.advance(10 * MIN - 1);
      assert.equal(
        (await store.claimIdempotency({ key, fingerprint: 'f', token: 't2', ttlMs: MIN })).status,
        'done',
      );
      clock.advance(1);
      assert.deepEqual(await store.claimIdempotency({ key, fingerprint: 'other', token: 't3', ttlMs: MIN }), {
        status: 'claimed',
      });
    });

    test('a delivery record is found by message id and by provider id, and follows the status machine', async (store, clock) => {
      const messageId = id('msg');
      const providerMessageId = id('pm');
      const start = clock.now();
      await store.putDelivery({
        messageId,
        channel: 'email',
        provider: 'p1',
        providerMessageId,
        recipient: 'a@example.com',
        category: 'transactional',
        ttlMs: 60 * MIN,
      });
      const byId = await store.getDelivery({ messageId });
      assert.deepEqual(byId, {
        messageId,
        channel: 'email',
        provider: 'p1',
        providerMessageId,
        recipient: 'a@example.com',
        category: 'transactional',
        status: 'sent',
        createdAtMs: start,
        updatedAtMs: start,
      });
      assert.deepEqual(await store.getDelivery({ provider: 'p1', providerMessageId }), byId);
      assert.equal(
        await store.getDelivery({ provider: 'p2', providerMessageId }),
        undefined,
        'the index is per provider',
      );
      const delivered = await store.updateDelivery({
        ref: { provider: 'p1', providerMessageId },
        status: 'delivered',
        atMs: start + 5,
      });
      assert.equal(delivered.outcome, 'updated');
      assert.equal(delivered.record?.status, 'delivered');
      assert.equal(delivered.record?.updatedAtMs, start + 5);
      const late = await store.updateDelivery({ ref: { messageId }, status: 'deferred', atMs: start + 6 });
      assert.equal(late.outcome, 'ignored', 'deferred after delivered is out of order');
      assert.equal(late.record?.status, 'delivered');
      const complaint = await store.updateDelivery({
        ref: { messageId },
        status: 'complained',
        atMs: start + 7,
        reason: 'abuse',
      });
      assert.equal(complaint.outcome, 'updated');
      assert.equal(complaint.record?.reason, 'abuse');
      assert.equal(
        (await store.updateDelivery({ ref: { messageId }, status: 'delivered', atMs: start + 8 })).outcome,
        'ignored',
      );
      assert.equal((await store.getDelivery({ messageId }))?.status, 'complained');
    });

    test('deferred may repeat and then bounce; final statuses stay final', async (store) => {
      const messageId = id('msg');
      await store.putDelivery({
        messageId,
        channel: 'sms',
        provider: 'p',
        providerMessageId: id('pm'),
        recipient: '+14155550100',
        category: 'c',
        ttlMs: MIN,
      });
      assert.equal(
        (await store.updateDelivery({ ref: { messageId }, status: 'deferred', atMs: 1 })).outcome,
        'updated',
      );
      assert.equal(
        (await store.updateDelivery({ ref: { messageId }, status: 'deferred', atMs: 2 })).outcome,
        'updated',
      );
      assert.equal(
        (await store.updateDelivery({ ref: { messageId }, status: 'bounced', atMs: 3 })).outcome,
        'updated',
      );
      assert.equal(
        (await store.updateDelivery({ ref: { messageId }, status: 'delivered', atMs: 4 })).outcome,
        'ignored',
      );
      assert.equal(
        (await store.updateDelivery({ ref: { messageId }, status: 'complained', atMs: 5 })).outcome,
        'ignored',
      );
    });

    test('unknown and expired records answer unknown', async (store, clock) => {
      assert.deepEqual(
        await store.updateDelivery({ ref: { messageId: id('none') }, status: 'delivered', atMs: 1 }),
        { outcome: 'unknown' },
      );
      assert.deepEqual(
        await store.updateDelivery({
          ref: { provider: 'p', providerMessageId: id('none') },
          status: 'delivered',
          atMs: 1,
        }),
        { outcome: 'unknown' },
      );
      const messageId = id('msg');
      await store.putDelivery({
        messageId,
        channel: 'email',
        provider: 'p',
        providerMessageId: id('pm'),
        recipient: 'a@example.com',
        category: 'c',
        ttlMs: MIN,
      });
      clock.advance(MIN);
      assert.equal(await store.getDelivery({ messageId }), undefined);
      assert.deepEqual(await store.updateDelivery({ ref: { messageId }, status: 'delivered', atMs: 1 }), {
        outcome: 'unknown',
      });
    });

    test('a digest buffer reports the item that opened it, keeps maxItems, counts all, and is taken once', async (store) => {
      const key = id('d');
      assert.deepEqual(await store.appendDigest({ key, itemJson: '1', maxItems: 2, ttlMs: MIN }), {
        first: true,
        count: 1,
      });
      assert.deepEqual(await store.appendDigest({ key, itemJson: '2', maxItems: 2, ttlMs: MIN }), {
        first: false,
        count: 2,
      });
      assert.deepEqual(await store.appendDigest({ key, itemJson: '3', maxItems: 2, ttlMs: MIN }), {
        first: false,
        count: 3,
      });
      assert.deepEqual(await store.takeDigest(key), { items: ['1', '2'], count: 3 });
      assert.deepEqual(await store.takeDigest(key), { items: [], count: 0 });
      assert.deepEqual(await store.appendDigest({ key, itemJson: '4', maxItems: 2, ttlMs: MIN }), {
        first: true,
        count: 1,
      });
    });

    test('a digest buffer never taken ends at its ttl; the next item opens a new one', async (store, clock) => {
      const key = id('d');
      await store.appendDigest({ key, itemJson: '"a"', maxItems: 10, ttlMs: MIN });
      clock.advance(MIN);
      assert.deepEqual(await store.appendDigest({ key, itemJson: '"b"', maxItems: 10, ttlMs: MIN }), {
        first: true,
        count: 1,
      });
      assert.deepEqual(await store.takeDigest(key), { items: ['"b"'], count: 1 });
      await store.appendDigest({ key, itemJson: '"c"', maxItems: 10, ttlMs: MIN });
      clock.advance(MIN);
      assert.deepEqual(await store.takeDigest(key), { items: [], count: 0 });
    });

    test('reputation sums the current and the previous window, and forgets older ones', async (store, clock) => {
      const windowMs = 7 * MIN + Number.parseInt(randomBytes(2).toString('hex'), 16); // a window no other test uses
      clock.set(Math.ceil(clock.now() / windowMs) * windowMs); // the start of a window
      assert.deepEqual(await store.reputation(windowMs), { sent: 0, complained: 0 });
      await store.addReputation({ sent: 10, complained: 0, windowMs });
      await store.addReputation({ sent: 0, complained: 2, windowMs });
      assert.deepEqual(await store.reputation(windowMs), { sent: 10, complained: 2 });
      clock.advance(windowMs);
      await store.addReputation({ sent: 5, complained: 1, windowMs });
      assert.deepEqual(await store.reputation(windowMs), { sent: 15, complained: 3 });
      clock.advance(windowMs);
      assert.deepEqual(await store.reputation(windowMs), { sent: 5, complained: 1 });
      clock.advance(windowMs);
      assert.deepEqual(await store.reputation(windowMs), { sent: 0, complained: 0 });
    });
  });
}
