/**
 * The accounts bench's moving parts on tiny sizes, without measuring anything: the settings, both sides
 * of the overhead case (each answer checked), the login mix, and a burst of `flow.login` calls in-process
 * and in a child process, whose accepted, refused, logged-in and invalid counts are checked. The figures
 * themselves come only from `npm run bench`.
 */
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Built, loadBuilt } from '../../bench/accounts/built.js';
import { burstInChild, burstRounds } from '../../bench/accounts/burst.js';
import { loginKind, runBurst } from '../../bench/accounts/burst-run.js';
import { hashSides, overheadRounds, type Side, verifySides } from '../../bench/accounts/overhead.js';
import { accountsBenchSettings } from '../../bench/accounts/settings.js';
import { useEnvPrefix } from '../support/env.js';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../..');

describe('settings', () => {
  const { clear } = useEnvPrefix('BENCH_ACCOUNTS_');

  it('defaults to 48 calls × 8 rounds with 4 in flight, and 3 bursts of 200 logins per mode', () => {
    clear();
    expect(accountsBenchSettings()).toEqual({
      overhead: { ops: 48, rounds: 8, concurrency: 4 },
      burst: { size: 200, rounds: 3 },
    });
  });

  it.each([
    ['BENCH_ACCOUNTS_OPS', 'many'],
    ['BENCH_ACCOUNTS_OPS', '0'],
    ['BENCH_ACCOUNTS_ROUNDS', '-2'],
    ['BENCH_ACCOUNTS_CONCURRENCY', '2.5'],
    ['BENCH_ACCOUNTS_BURST', 'Infinity'],
    ['BENCH_ACCOUNTS_BURST_ROUNDS', '3; reboot'],
  ])('refuses %s=%s, naming the variable', (name, value) => {
    process.env[name] = value;
    expect(() => accountsBenchSettings()).toThrow(new RegExp(`${name} must be an integer`));
  });
});

describe('the bench on the built package', () => {
  let built: Built;
  beforeAll(async () => {
    // The helpers run the built package, as npm run bench does: dist must be current.
    await run(process.execPath, ['--import', 'tsx', 'scripts/ensure-build.ts'], { cwd: root });
    built = await loadBuilt();
  }, 120_000);

  it('overhead case: both sides hash and verify, every answer checked, one figure per round and side', async () => {
    for (const sides of [hashSides(built), await verifySides(built)]) {
      const runs = await overheadRounds(sides, { ops: 2, rounds: 2, concurrency: 2 });
      expect([...runs.keys()]).toEqual(['ours', 'argon2']);
      for (const figures of runs.values()) {
        expect(figures).toHaveLength(2);
        for (const { perSec, cpuMsPerCall } of figures) {
          expect(perSec).toBeGreaterThan(0);
          expect(cpuMsPerCall).toBeGreaterThan(0);
        }
      }
      for (const side of sides) await side.close();
    }
  });

  it('a side that answers wrong fails the round instead of looking fast', async () => {
    const wrong: Side = {
      name: 'argon2',
      run: async () => Promise.reject(new Error('wrong answer')),
      close: async () => {},
    };
    const [ours] = hashSides(built);
    await expect(overheadRounds([ours, wrong], { ops: 1, rounds: 1, concurrency: 1 })).rejects.toThrow(
      'wrong answer',
    );
    await ours.close();
  });

  it('the login mix: in every 20, 18 right passwords, one wrong, one unknown address', () => {
    const kinds = Array.from({ length: 200 }, (_, i) => loginKind(i));
    const count = (kind: string) => kinds.filter((k) => k === kind).length;
    expect([count('correct'), count('wrong-password'), count('unknown-email')]).toEqual([180, 10, 10]);
  });

  it('burst in-process: a tight bound refuses what does not fit, unbounded serves everything', async () => {
    const tight = await runBurst(built, 'bounded', 10, { maxConcurrent: 1, maxQueued: 2 });
    expect({ accepted: tight.accepted, rejected: tight.rejected }).toEqual({ accepted: 3, rejected: 7 });
    // 20 logins through flow.login: 18 right passwords, one wrong, one unknown address (each checked).
    const open = await runBurst(built, 'unbounded', 20);
    expect({
      accepted: open.accepted,
      rejected: open.rejected,
      logins: open.logins,
      succeeded: open.succeeded,
      invalid: open.invalid,
    }).toEqual({ accepted: 20, rejected: 0, logins: 20, succeeded: 18, invalid: 2 });
    for (const f of [tight, open]) {
      expect(f.p99Ms).toBeGreaterThanOrEqual(f.p50Ms);
      expect(f.rssPeakMiB).toBeGreaterThan(0);
      expect(Number.isFinite(f.eventLoopP99Ms)).toBe(true);
    }
  });

  it('burst in a child process: the figures come back over IPC, modes alternate by round', async () => {
    const figures = await burstInChild('unbounded', 3);
    expect(figures).toMatchObject({ mode: 'unbounded', logins: 3, accepted: 3, rejected: 0 });
    const lines: string[] = [];
    const runs = await burstRounds(['bounded', 'unbounded'], { size: 2, rounds: 2 }, (l) => lines.push(l));
    expect(lines.map((l) => l.split(':')[0])).toEqual([
      '  round 1/2 bounded',
      '  round 1/2 unbounded',
      '  round 2/2 unbounded',
      '  round 2/2 bounded',
    ]);
    expect(runs.get('bounded')?.map((f) => f.accepted)).toEqual([2, 2]);
  }, 120_000);
});
