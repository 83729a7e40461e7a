/**
 * The memory accounts store: the contract, plus what only memory has (the sweep that keeps memory
 * bounded, frozen records) and its construction errors.
 */
import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createMemoryAccountsStore, EXPIRED_RETENTION_MS } from '../../src/accounts/index.js';
import { accountsStoreContract, createManualClock } from '../../src/testing/index.js';

const hash = () => createHash('sha256').update(randomBytes(32)).digest('hex');

accountsStoreContract(
  { describe, it },
  { name: 'memory', setup: (clock) => ({ subject: createMemoryAccountsStore({ clock }) }) },
);

describe('memory accounts store', () => {
  it('returns frozen records, so a caller cannot change what the store holds', async () => {
    const store = createMemoryAccountsStore({ clock: createManualClock(0) });
    const tokenHash = hash();
    const { record } = await store.issueToken({
      kind: 'verify',
      tokenHash,
      binding: { userId: 'u', email: 'u@example.com', credentialsVersion: 0 },
      ttlMs: 60_000,
    });
    expect(Object.isFrozen(record)).toBe(true);
    await store.putMail({ record: { requestId: 'r', kind: 'verify', status: 'queued' }, ttlMs: 60_000 });
    expect(Object.isFrozen(await store.getMail('r'))).toBe(true);
  });

  it('sweeps forgotten tokens, cooldowns and mail records as it writes, so memory stays bounded', async () => {
    const clock = createManualClock(0);
    const store = createMemoryAccountsStore({ clock });
    // Expired tokens no caller looks at again: 3000 users, each with one short-lived token.
    const first: string[] = [];
    for (let i = 0; i < 3000; i++) {
      const tokenHash = hash();
      if (i < 10) first.push(tokenHash);
      await store.issueToken({
        kind: 'reset',
        tokenHash,
        binding: { userId: `u${i}`, email: `u${i}@example.com`, credentialsVersion: 0 },
        ttlMs: 1_000,
      });
      await store.acquireCooldown({ key: `k${i}`, cooldownMs: 1_000 });
      await store.putMail({ record: { requestId: `r${i}`, kind: 'reset', status: 'queued' }, ttlMs: 1_000 });
      if (i === 9) clock.advance(1_000 + EXPIRED_RETENTION_MS);
    }
    // What a sweep removed reads as before (missing), and the live entries are intact.
    for (const tokenHash of first) {
      expect(await store.findToken({ kind: 'reset', tokenHash })).toEqual({ status: 'missing' });
    }
    expect((await store.acquireCooldown({ key: 'k0', cooldownMs: 1_000 })).acquired).toBe(true);
    expect(await store.getMail('r0')).toBeUndefined();
    expect((await store.getMail('r2999'))?.status).toBe('queued');
  });

  it('refuses unknown options and a clock without now()', () => {
    expect(() => createMemoryAccountsStore({ clok: 1 } as never)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
    );
    expect(() => createMemoryAccountsStore({ clock: {} as never })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
    );
  });
});
