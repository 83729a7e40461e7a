/**
 * The flags bench's moving parts on tiny sizes, without measuring anything: the settings, the peer's
 * murmur3 (reference vectors, and the same buckets as ours), the rule set's three expressions agreeing
 * (all six sides, on the built package), a side that answers wrong caught by the equivalence pass and by
 * the rounds, the rounds' interleaving and wrap-around over the (user, flag) grid, and Unleash staying
 * offline. The figures themselves come only from `npm run bench`.
 */
import { execFile } from 'node:child_process';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agreement, collectAnswers, MIN_SHARE_SAMPLES } from '../../bench/flags/equivalence.js';
import { measureRounds } from '../../bench/flags/measure.js';
import { bucket, murmur3 } from '../../bench/flags/murmur.js';
import { type Built, loadBuilt, ourSides } from '../../bench/flags/ours.js';
import { inMemorySides, unleashSide } from '../../bench/flags/peers.js';
import { users } from '../../bench/flags/rules.js';
import { flagsBenchSettings } from '../../bench/flags/settings.js';
import {
  type Fixture,
  fixture,
  SIDE_NAMES,
  type Side,
  type SideName,
  type SyncSide,
} from '../../bench/flags/side.js';
import { useEnvPrefix } from '../support/env.js';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../..');

describe('settings', () => {
  const { clear } = useEnvPrefix('BENCH_FLAGS_');

  it('defaults to 50 flags × 10,000 users, 9 rounds of ~400 ms after 1 s of warm-up, batches of 100', () => {
    clear();
    expect(flagsBenchSettings()).toEqual({
      flags: 50,
      contexts: 10_000,
      measure: { rounds: 9, roundMs: 400, warmupMs: 1000, batch: 100 },
    });
  });

  it.each([
    ['BENCH_FLAGS_FLAGS', '1'],
    ['BENCH_FLAGS_FLAGS', 'fifty'],
    ['BENCH_FLAGS_CONTEXTS', '0'],
    ['BENCH_FLAGS_ROUNDS', '-3'],
    ['BENCH_FLAGS_ROUND_MS', '0.5'],
    ['BENCH_FLAGS_WARMUP_MS', 'Infinity'],
    ['BENCH_FLAGS_BATCH', '1e400'],
    ['BENCH_FLAGS_BATCH', '10; rm -rf /'],
  ])('refuses %s=%s, naming the variable', (name, value) => {
    process.env[name] = value;
    expect(() => flagsBenchSettings()).toThrow(new RegExp(`${name} must be an integer`));
  });
});

describe("the in-memory provider's murmur3", () => {
  it('matches the reference vectors, ASCII and not', () => {
    expect(murmur3('')).toBe(0);
    expect(murmur3('hello')).toBe(0x248bfa47);
    expect(murmur3('The quick brown fox jumps over the lazy dog')).toBe(0x2e4ff723);
    // 'é' is two UTF-8 bytes; a lone surrogate encodes as U+FFFD (three).
    expect(murmur3('héllo')).toBe(murmur3('h\u00e9llo'));
    expect(murmur3('\ud800')).toBe(murmur3('\ufffd'));
  });

  it('buckets within 0..99,999, the same users the same way every time', () => {
    const ids = users(2000).map((u) => u.userId);
    const buckets = ids.map((id) => bucket('flag-001', id));
    expect(Math.min(...buckets)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...buckets)).toBeLessThan(100_000);
    expect(ids.map((id) => bucket('flag-001', id))).toEqual(buckets);
    expect(users(5)).toEqual(users(5));
  });
});

/** A side that answers like `inner` except for one flag, which it turns around. */
function liar(inner: SyncSide, name: SideName, wrongFlag: number): SyncSide {
  return {
    ...inner,
    name,
    one: (flag, user) => (flag === wrongFlag ? !inner.one(flag, user) : inner.one(flag, user)),
  };
}

describe('the bench on the built package', () => {
  let built: Built;
  let sockets = 0;
  const onSocket = () => {
    sockets++;
  };
  beforeAll(async () => {
    // The helpers run the built package, as npm run bench does: dist must be current.
    await run(process.execPath, ['--import', 'tsx', 'scripts/ensure-build.ts'], { cwd: root });
    built = await loadBuilt();
    subscribe('net.client.socket', onSocket);
  }, 120_000);
  afterAll(() => {
    unsubscribe('net.client.socket', onSocket);
  });

  async function allSides(fx: Fixture): Promise<{ sides: Side[]; complaints: string[] }> {
    const unleash = await unleashSide(fx);
    const made = [...(await ourSides(built, fx)), unleash, ...(await inMemorySides(fx))];
    return { sides: SIDE_NAMES.map((n) => made.find((s) => s.name === n)!), complaints: unleash.complaints };
  }

  it('all six sides agree on the rule set: the rules exactly, our bucketing exactly, the rollout share', async () => {
    // 50 flags × 600 users: about 12,000 rollout-decided evaluations, enough for the share to be judged.
    const fx = fixture(50, 600);
    const before = sockets;
    const { sides, complaints } = await allSides(fx);
    try {
      const answers = new Map<SideName, Uint8Array>();
      for (const side of sides) answers.set(side.name, await collectAnswers(side, fx));
      const result = agreement(fx, answers);
      expect(result.failures).toEqual([]);
      expect(result.sides.map((s) => s.side)).toEqual([...SIDE_NAMES]);
      for (const s of result.sides) {
        expect(s.ruleAgreed).toBe(s.ruleDecided);
        expect(s.rolloutDecided).toBeGreaterThanOrEqual(MIN_SHARE_SAMPLES);
        expect(s.ruleDecided + s.rolloutDecided).toBe(50 * 600);
      }
      // Unleash buckets its own way: it agrees with ours on a rollout-decided answer about
      // 0.25² + 0.75² = 62.5 % of the time, not always.
      const unleash = result.sides.find((s) => s.side === 'unleash')!;
      expect(unleash.sameAsOurs).toBeLessThan(unleash.rolloutDecided);
      expect(sockets - before).toBe(0);
      expect(complaints).toEqual([]);
    } finally {
      for (const side of sides) await side.close();
    }
  }, 120_000);

  it('the equivalence pass names a side that answers one flag wrong', async () => {
    const fx = fixture(4, 50);
    const [ours, viaSdk, bare] = await ourSides(built, fx);
    try {
      const answers = new Map<SideName, Uint8Array>([
        ['ours', await collectAnswers(ours, fx)],
        ['ours-openfeature', await collectAnswers(viaSdk, fx)],
        ['unleash', await collectAnswers(liar(ours, 'unleash', 0), fx)],
        ['memory-provider', await collectAnswers(liar(ours, 'memory-provider', 1), fx)],
      ]);
      const { failures } = agreement(fx, answers);
      // Flag 0 is rule-only: every answer is rule-decided. Flag 1 has a rollout: the rule-decided part
      // differs from the rules, the rest from ours (same bucketing).
      expect(failures).toEqual([
        'unleash: 50 rule-decided evaluations differ from the rules',
        expect.stringMatching(/^memory-provider: \d+ rule-decided evaluations differ from the rules$/),
        expect.stringMatching(/^memory-provider: \d+ rollout-decided evaluations differ from ours$/),
      ]);
    } finally {
      for (const side of [ours, viaSdk, bare]) await side.close();
    }
  });

  it('rounds: interleaved ABC CBA, wrapping around the grid, one figure per side and round', async () => {
    // 2 flags × 3 users: a 6-cell grid; batches of 4 wrap around it, a round crosses it whole.
    const fx = fixture(2, 3);
    const { sides } = await allSides(fx);
    try {
      const answers = new Map<SideName, Uint8Array>();
      for (const side of sides) answers.set(side.name, await collectAnswers(side, fx));
      const lines: string[] = [];
      const runs = await measureRounds(
        sides,
        answers,
        { rounds: 2, roundMs: 2, warmupMs: 2, batch: 4 },
        (l) => lines.push(l),
      );
      const order = (line: string) => [...line.matchAll(/([a-z-]+) [\d,]+\/s/g)].map((m) => m[1]);
      expect(order(lines[0]!)).toEqual([...SIDE_NAMES]);
      expect(order(lines[1]!)).toEqual([...SIDE_NAMES].reverse());
      for (const name of SIDE_NAMES) {
        const figures = runs.get(name)!;
        expect(figures).toHaveLength(2);
        for (const f of figures) {
          expect(f.evaluations % 4).toBe(0);
          expect(f.perSec).toBeGreaterThan(0);
          expect(f.nsP99).toBeGreaterThanOrEqual(f.nsP50);
        }
      }
    } finally {
      for (const side of sides) await side.close();
    }
  });

  it('rounds: a side whose batch miscounts fails the run instead of looking fast', async () => {
    const fx = fixture(2, 3);
    const [ours, viaSdk, bare] = await ourSides(built, fx);
    try {
      const answers = new Map([['ours' as SideName, await collectAnswers(ours, fx)]]);
      const wrong: SyncSide = { ...ours, batch: (size) => ours.batch(size) + 1 };
      await expect(
        measureRounds([wrong], answers, { rounds: 1, roundMs: 1, warmupMs: 1, batch: 5 }),
      ).rejects.toThrow(/^ours: \d+ true answers in a batch, expected \d+$/);
    } finally {
      for (const side of [ours, viaSdk, bare]) await side.close();
    }
  });
});
