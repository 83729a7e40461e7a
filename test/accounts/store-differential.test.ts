/**
 * The memory accounts store is the default, so it must behave exactly like Redis: the kit's differential
 * drives both with the same seeded operations (tokens issued, replaced, found, consumed and revoked;
 * cooldowns; mail records; time jumping across expiry and retention; now and then a bad argument) on two
 * manual clocks in step, and requires the same observations.
 */
import { describe, it } from 'vitest';
import {
  type AccountsStore,
  type AccountTokenKind,
  createMemoryAccountsStore,
  EXPIRED_RETENTION_MS,
} from '../../src/accounts/index.js';
import { createRedisAccountsStore } from '../../src/accounts/redis.js';
import { CONTRACT_START_MS, type DifferentialRandom, runDifferential } from '../../src/testing/index.js';
import { noRedis, useRedisPrefix } from '../support/redis.js';

const MIN = 60_000;
const KINDS: readonly AccountTokenKind[] = ['verify', 'reset'];

/** A store and the token hashes issued on it so far (the same on both: they come from the ops). */
interface Subject {
  readonly store: AccountsStore;
  readonly hashes: string[];
}

type Op =
  | {
      readonly op: 'issue';
      readonly kind: AccountTokenKind;
      readonly user: number;
      readonly hash: string;
      readonly ttlMs: number;
    }
  | { readonly op: 'find' | 'consume'; readonly kind: AccountTokenKind; readonly token: number }
  | { readonly op: 'revoke'; readonly user: number; readonly kind: AccountTokenKind | undefined }
  | { readonly op: 'cooldown'; readonly key: number; readonly cooldownMs: number }
  | {
      readonly op: 'putMail';
      readonly id: number;
      readonly status: 'queued' | 'sent';
      readonly ttlMs: number;
    }
  | { readonly op: 'getMail'; readonly id: number }
  | { readonly op: 'advance'; readonly ms: number };

const hex = (random: DifferentialRandom) =>
  Array.from({ length: 8 }, () => random.int(0, 0xffffffff).toString(16).padStart(8, '0')).join('');

function generate(random: DifferentialRandom, step: number): Op {
  const kind = random.pick(KINDS);
  const roll = step === 0 ? 0 : random.next();
  if (roll < 0.25) {
    // Now and then a lifetime the store must refuse (0, or one past the limit), observed as an error code.
    const ttlMs = random.next() < 0.05 ? random.pick([0, 31 * 24 * 60 * MIN]) : random.pick([MIN, 10 * MIN]);
    return { op: 'issue', kind, user: random.int(0, 3), hash: hex(random), ttlMs };
  }
  if (roll < 0.5) return { op: random.next() < 0.5 ? 'find' : 'consume', kind, token: random.int(0, 8) };
  if (roll < 0.58) return { op: 'revoke', user: random.int(0, 3), kind: random.pick([...KINDS, undefined]) };
  if (roll < 0.68) return { op: 'cooldown', key: random.int(0, 2), cooldownMs: random.pick([1_000, MIN]) };
  if (roll < 0.76) {
    return { op: 'putMail', id: random.int(0, 2), status: random.pick(['queued', 'sent']), ttlMs: 5 * MIN };
  }
  if (roll < 0.84) return { op: 'getMail', id: random.int(0, 2) };
  return { op: 'advance', ms: random.pick([1, 999, 30_000, 10 * MIN, EXPIRED_RETENTION_MS]) };
}

async function apply(subject: Subject, op: Op, clock: { now(): number; advance(ms: number): void }) {
  const { store, hashes } = subject;
  switch (op.op) {
    case 'issue': {
      hashes.push(op.hash);
      const userId = `u${op.user}`;
      const binding = { userId, email: `${userId}@example.com`, credentialsVersion: op.user };
      return store.issueToken({ kind: op.kind, tokenHash: op.hash, binding, ttlMs: op.ttlMs });
    }
    case 'find':
    case 'consume': {
      // Older tokens too: most have been replaced, consumed, revoked or have expired by now.
      const hash = hashes[hashes.length - 1 - (op.token % Math.max(1, hashes.length))];
      if (hash === undefined) return 'none';
      const request = { kind: op.kind, tokenHash: hash };
      return op.op === 'find' ? store.findToken(request) : store.consumeToken(request);
    }
    case 'revoke':
      return store.revokeTokens({ userId: `u${op.user}`, ...(op.kind ? { kind: op.kind } : {}) });
    case 'cooldown':
      return store.acquireCooldown({ key: `k${op.key}`, cooldownMs: op.cooldownMs });
    case 'putMail':
      return store.putMail({
        record: { requestId: `r${op.id}`, kind: 'reset', status: op.status, userId: 'u1' },
        ttlMs: op.ttlMs,
      });
    case 'getMail':
      return store.getMail(`r${op.id}`);
    default:
      clock.advance(op.ms);
      return clock.now() - CONTRACT_START_MS;
  }
}

describe.skipIf(noRedis)('memory and Redis accounts stores agree', () => {
  const { client, prefix } = useRedisPrefix('acct-eq');
  let n = 0;

  it('on random token, cooldown and mail operations with time passing', async () => {
    await runDifferential<Subject, Op>({
      reference: (clock) => ({ subject: { store: createMemoryAccountsStore({ clock }), hashes: [] } }),
      candidate: (clock) => ({
        subject: {
          store: createRedisAccountsStore({ client, prefix: `${prefix}-${n++}`, clock }),
          hashes: [],
        },
      }),
      generate,
      apply,
      runs: 30,
      steps: 60,
    });
  });
});
