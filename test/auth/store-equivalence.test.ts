/**
 * The memory stores are the default, so they must behave exactly like Redis: the kit's differential
 * drives both with the same seeded random operations (refresh presentations of current, previous or
 * older tokens, revocations, sessions touched and taken, with time passing on two manual clocks in step)
 * and requires the same observations.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, describe, it } from 'vitest';
import {
  createMemoryRefreshStore,
  createMemorySessionStore,
  type RefreshStore,
  type SessionStore,
} from '../../src/auth/index.js';
import { createRedisRefreshStore, createRedisSessionStore } from '../../src/auth/redis.js';
import { type DifferentialRandom, runDifferential } from '../../src/testing/index.js';
import { connectRedis, deleteByPrefix, noRedis, randomPrefix } from '../support/redis.js';

const hash = () => randomBytes(32).toString('base64url');
const MIN = 60_000;
const HOUR = 60 * MIN;

/** A store and the families created on it so far (ids differ per store; operations name them by index). */
interface RefreshSubject {
  readonly store: RefreshStore;
  readonly families: { familyId: string; userId: string; issued: string[] }[];
}

type RefreshOp =
  | { readonly op: 'create'; readonly user: number }
  | { readonly op: 'present'; readonly family: number; readonly back: number; readonly graceMs: number }
  | { readonly op: 'revokeFamily'; readonly family: number; readonly withToken: boolean }
  | { readonly op: 'revokeUser'; readonly user: number }
  | { readonly op: 'advance'; readonly ms: number };

function refreshOp(random: DifferentialRandom, step: number): RefreshOp {
  if (step === 0) return { op: 'create', user: 0 };
  const roll = random.next();
  if (roll < 0.45) {
    return {
      op: 'present',
      family: random.int(0, 3),
      back: random.int(0, 3),
      graceMs: random.pick([0, 5_000, 10_000]),
    };
  }
  if (roll < 0.7)
    return { op: 'advance', ms: random.next() < 0.1 ? random.int(0, 40 * MIN) : random.int(0, 20_000) };
  if (roll < 0.85) return { op: 'create', user: random.int(0, 2) };
  if (roll < 0.95) return { op: 'revokeFamily', family: random.int(0, 3), withToken: random.next() < 0.7 };
  return { op: 'revokeUser', user: random.int(0, 2) };
}

async function applyRefresh(
  subject: RefreshSubject,
  op: RefreshOp,
  clock: { now(): number; advance(ms: number): void },
) {
  const { store, families } = subject;
  const pick = (i: number) => families[i % families.length];
  switch (op.op) {
    case 'create': {
      const familyId = randomBytes(16).toString('base64url');
      const first = hash();
      const userId = `u${op.user}`;
      await store.createFamily({ familyId, userId, tokenHash: first, expiresAtMs: clock.now() + HOUR });
      families.push({ familyId, userId, issued: [first] });
      return 'created';
    }
    case 'present': {
      const family = pick(op.family);
      if (family === undefined) return 'none';
      const presented = family.issued[Math.max(0, family.issued.length - 1 - op.back)] as string;
      const next = hash();
      const result = await store.rotate({
        familyId: family.familyId,
        presentedHash: presented,
        nextHash: next,
        graceMs: op.graceMs,
      });
      if (result.status === 'rotated' || result.status === 'grace') family.issued.push(next);
      return result;
    }
    case 'revokeFamily': {
      const family = pick(op.family);
      if (family === undefined) return 'none';
      return store.revokeFamily(family.familyId, op.withToken ? family.issued[0] : hash());
    }
    case 'revokeUser':
      return store.revokeUser(`u${op.user}`);
    default:
      clock.advance(op.ms);
      return clock.now() - Date.UTC(2026, 0, 1);
  }
}

/**
 * A store and the sessions created on it, each of its own user. Listing is left to the contract: Redis
 * prunes its index by deadline and leaves the hash to its TTL, which runs on real time, not on the
 * manual clock, so a listed-then-touched session would differ here and never in production.
 */
interface SessionSubject {
  readonly store: SessionStore;
  readonly ids: string[];
}

type SessionOp =
  | { readonly op: 'create'; readonly absoluteMs: number }
  | { readonly op: 'touch' | 'take'; readonly session: number }
  | { readonly op: 'advance'; readonly ms: number };

function sessionOp(random: DifferentialRandom, step: number): SessionOp {
  if (step === 0) return { op: 'create', absoluteMs: 2 * HOUR };
  const roll = random.next();
  if (roll < 0.45) return { op: 'touch', session: random.int(0, 3) };
  if (roll < 0.8) return { op: 'advance', ms: random.int(0, 40 * MIN) };
  if (roll < 0.92) return { op: 'create', absoluteMs: random.pick([45 * MIN, 2 * HOUR]) };
  return { op: 'take', session: random.int(0, 3) };
}

const userOf = (id: string) => `u-${id.slice(0, 12)}`;

async function applySession(
  subject: SessionSubject,
  op: SessionOp,
  clock: { now(): number; advance(ms: number): void },
) {
  const { store, ids } = subject;
  const id = op.op === 'create' || op.op === 'advance' ? undefined : ids[op.session % ids.length];
  // Records are compared by the index of their (per-store random) id, which also names the user.
  const strip = <T extends { id: string; userId: string }>(r: T | undefined) =>
    r === undefined ? undefined : { ...r, id: ids.indexOf(r.id), userId: r.userId === userOf(r.id) };
  switch (op.op) {
    case 'create': {
      const newId = randomBytes(32).toString('base64url');
      const nowMs = clock.now();
      ids.push(newId);
      const record = {
        id: newId,
        userId: userOf(newId),
        data: { n: ids.length },
        createdAtMs: nowMs,
        lastActiveAtMs: nowMs,
        idleTimeoutMs: 30 * MIN,
        absoluteExpiresAtMs: nowMs + op.absoluteMs,
      };
      return store.create(record, 10);
    }
    case 'touch': {
      if (id === undefined) return 'none';
      const found = await store.touch(id);
      return found.status === 'active' ? { status: found.status, record: strip(found.record) } : found;
    }
    case 'take':
      return id === undefined ? 'none' : strip(await store.take(id));
    default:
      clock.advance(op.ms);
      return 'advanced';
  }
}

describe.skipIf(noRedis)('memory and Redis stores agree', () => {
  const client = noRedis ? undefined : connectRedis();
  const prefix = randomPrefix('auth-eq');
  afterAll(async () => {
    if (!client) return;
    await deleteByPrefix(client, prefix);
    client.disconnect();
  });
  let n = 0;

  it('on random refresh presentations and revocations', async () => {
    await runDifferential<RefreshSubject, RefreshOp>({
      reference: (clock) => ({ subject: { store: createMemoryRefreshStore({ clock }), families: [] } }),
      candidate: (clock) => ({
        subject: {
          store: createRedisRefreshStore({ client: client!, prefix: `${prefix}-${n++}`, clock }),
          families: [],
        },
      }),
      generate: refreshOp,
      apply: applyRefresh,
      runs: 40,
      steps: 40,
    });
  });

  it('on random session activity (idle and absolute timeouts, take)', async () => {
    await runDifferential<SessionSubject, SessionOp>({
      reference: (clock) => ({ subject: { store: createMemorySessionStore({ clock }), ids: [] } }),
      candidate: (clock) => ({
        subject: {
          store: createRedisSessionStore({ client: client!, prefix: `${prefix}-${n++}`, clock }),
          ids: [],
        },
      }),
      generate: sessionOp,
      apply: applySession,
      runs: 40,
      steps: 30,
    });
  });
});
