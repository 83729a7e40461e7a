/**
 * Enumeration: known and unknown addresses must be indistinguishable by the answer (byte for byte) and
 * by its timing. The timing test compares many interleaved samples with a rank test (Mann-Whitney U),
 * and proves its own power: the same test, run on a flow with a 5 ms gap put in on purpose and no floor,
 * must detect it; with the floor, the same gap must vanish. No absolute time is asserted.
 */
import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import type { AccountsStore } from '../../src/accounts/index.js';
import { createMemoryAccountsStore } from '../../src/accounts/index.js';
import { createRateLimiter, fixedWindow } from '../../src/ratelimit/index.js';
import { type FlowFixture, flowFixture, IP, jumpClock, PASSWORD } from './flow-fixture.js';

/** |z| of the Mann-Whitney U statistic (normal approximation, ties averaged). */
function mannWhitneyZ(a: readonly number[], b: readonly number[]): number {
  const all = [...a.map((v) => ({ v, g: 0 })), ...b.map((v) => ({ v, g: 1 }))].sort((x, y) => x.v - y.v);
  const ranks = new Array<number>(all.length);
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j + 1 < all.length && all[j + 1]?.v === all[i]?.v) j++;
    for (let k = i; k <= j; k++) ranks[k] = (i + j) / 2 + 1;
    i = j + 1;
  }
  let rankSumA = 0;
  all.forEach((x, i) => {
    if (x.g === 0) rankSumA += ranks[i] ?? 0;
  });
  const n1 = a.length;
  const n2 = b.length;
  const u = rankSumA - (n1 * (n1 + 1)) / 2;
  const mean = (n1 * n2) / 2;
  const sd = Math.sqrt((n1 * n2 * (n1 + n2 + 1)) / 12);
  return Math.abs((u - mean) / sd);
}

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.floor(s.length / 2)] ?? 0;
};

/** |z| above this is a detected difference (two-sided p ≈ 0.001). */
const DETECT_Z = 3.3;
const GAP_MS = 5;

const allowAll = () =>
  createRateLimiter({
    name: `all-${Math.random()}`,
    algorithm: fixedWindow({ limit: 1_000_000, windowMs: 60_000 }),
  });
const limits = () => ({
  resetPerAccount: allowAll(),
  resetPerIp: allowAll(),
  signupPerIp: allowAll(),
  tokenPerIp: allowAll(),
});

/** A store whose cooldown answers 5 ms later for known addresses: a leak planted on purpose. */
function leakyStore(known: ReadonlySet<string>, clock: ReturnType<typeof jumpClock>): AccountsStore {
  const inner = createMemoryAccountsStore({ clock });
  return {
    ...inner,
    kind: 'leaky',
    async acquireCooldown(request) {
      if (known.has(request.key.slice(request.key.indexOf(':') + 1)))
        await new Promise((r) => setTimeout(r, GAP_MS));
      return inner.acquireCooldown(request);
    },
  };
}

let fx: FlowFixture | undefined;
afterEach(async () => {
  await fx?.flow.close().catch(() => undefined);
  fx = undefined;
});

/** Times `samples` interleaved calls for known and unknown addresses (each address used once). */
async function timeBoth(
  call: (email: string) => Promise<unknown>,
  knownEmails: readonly string[],
  unknownEmails: readonly string[],
) {
  const known: number[] = [];
  const unknown: number[] = [];
  for (let i = 0; i < knownEmails.length; i++) {
    const order: [string, number[]][] = [
      [knownEmails[i] as string, known],
      [unknownEmails[i] as string, unknown],
    ];
    if (i % 2 === 1) order.reverse();
    for (const [email, into] of order) {
      const t0 = performance.now();
      await call(email);
      into.push(performance.now() - t0);
    }
  }
  return { known, unknown, z: mannWhitneyZ(known, unknown), gapMs: median(known) - median(unknown) };
}

async function resetTiming(options: { floorMs: number; leak: boolean; samples: number }) {
  const clock = jumpClock();
  const knownEmails = Array.from({ length: options.samples }, (_, i) => `known${i}@example.com`);
  const unknownEmails = Array.from({ length: options.samples }, (_, i) => `unknown${i}@example.com`);
  const store = options.leak ? leakyStore(new Set(knownEmails), clock) : createMemoryAccountsStore({ clock });
  fx = await flowFixture({ clock, store, responseFloorMs: options.floorMs, limits: limits() });
  const f = fx;
  for (const email of knownEmails) {
    await f.users.create({ email, passwordHash: await f.hasher.hash(PASSWORD), createdAtMs: clock.now() });
  }
  await f.flow.requestReset({ email: 'warm-up@example.com', ip: IP });
  return timeBoth((email) => f.flow.requestReset({ email, ip: IP }), knownEmails, unknownEmails);
}

describe('enumeration: answers', () => {
  it('reset and signup answer byte for byte the same for known and unknown addresses', async () => {
    fx = await flowFixture({ limits: limits() });
    await fx.flow.signup({ email: 'known@example.com', password: PASSWORD, ip: IP });
    const blank = (a: object) => JSON.stringify({ ...a, requestId: '' });
    const knownReset = await fx.flow.requestReset({ email: 'known@example.com', ip: IP });
    const unknownReset = await fx.flow.requestReset({ email: 'unknown@example.com', ip: IP });
    const throttledReset = await fx.flow.requestReset({ email: 'known@example.com', ip: IP }); // cooldown
    expect(blank(knownReset)).toBe(blank(unknownReset));
    expect(blank(throttledReset)).toBe(blank(unknownReset));
    const knownSignup = await fx.flow.signup({ email: 'other@example.com', password: PASSWORD, ip: IP });
    const takenSignup = await fx.flow.signup({ email: 'known@example.com', password: PASSWORD, ip: IP });
    expect(blank(knownSignup)).toBe(blank(takenSignup));
    expect(blank(knownSignup)).toBe(blank(unknownReset));
    expect(knownReset.requestId).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });
});

describe('enumeration: timing (rank test on interleaved samples)', () => {
  it('the test has power: a planted 5 ms gap without a floor is detected', async () => {
    const r = await resetTiming({ floorMs: 0, leak: true, samples: 40 });
    expect(r.z, `z=${r.z.toFixed(2)} gap=${r.gapMs.toFixed(2)} ms`).toBeGreaterThan(DETECT_Z);
  }, 60_000);

  it('the floor hides the same planted 5 ms gap', async () => {
    const r = await resetTiming({ floorMs: 40, leak: true, samples: 60 });
    expect(r.z, `z=${r.z.toFixed(2)} gap=${r.gapMs.toFixed(2)} ms`).toBeLessThan(DETECT_Z);
  }, 60_000);

  it('requestReset: known and unknown addresses are indistinguishable', async () => {
    const r = await resetTiming({ floorMs: 40, leak: false, samples: 60 });
    expect(r.z, `z=${r.z.toFixed(2)} gap=${r.gapMs.toFixed(2)} ms`).toBeLessThan(DETECT_Z);
  }, 60_000);

  it('signup: a new and a taken address are indistinguishable (both hash, both add one job)', async () => {
    const samples = 30;
    const clock = jumpClock();
    fx = await flowFixture({ clock, responseFloorMs: 150, limits: limits() });
    const f = fx;
    const taken = Array.from({ length: samples }, (_, i) => `taken${i}@example.com`);
    const fresh = Array.from({ length: samples }, (_, i) => `fresh${i}@example.com`);
    for (const email of taken) {
      const user = await f.users.create({
        email,
        passwordHash: await f.hasher.hash(PASSWORD),
        createdAtMs: clock.now(),
      });
      if (user) await f.users.markVerified(user.id);
    }
    await f.flow.signup({ email: 'warm-up@example.com', password: PASSWORD, ip: IP });
    const r = await timeBoth((email) => f.flow.signup({ email, password: PASSWORD, ip: IP }), taken, fresh);
    expect(r.z, `z=${r.z.toFixed(2)} gap=${r.gapMs.toFixed(2)} ms`).toBeLessThan(DETECT_Z);
  }, 120_000);
});
