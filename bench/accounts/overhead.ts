/**
 * Case "overhead": our argon2 hasher (the default one, through its concurrency bound) against `argon2`
 * called directly with the same parameters, `hash` and then `verify`, the same number of calls in flight.
 * Rounds alternate which side goes first (AB, BA, AB, ...), so load that drifts during the run falls on
 * both; the ratio is the median of the per-round ratios. Every answer is checked, so a side that broke
 * cannot look fast.
 */
import * as argon2 from 'argon2';
import { type Built, PARAMS, runConcurrent } from './built.js';
import type { OverheadSettings } from './settings.js';

/** One side of a comparison: call `i`, which throws when its answer is wrong. */
export interface Side {
  readonly name: 'ours' | 'argon2';
  run(i: number): Promise<void>;
  close(): Promise<void>;
}

const PASSWORD = 'correct horse battery staple';
const directOptions = {
  type: argon2.argon2id,
  memoryCost: PARAMS.memoryKiB,
  timeCost: PARAMS.timeCost,
  parallelism: PARAMS.parallelism,
};

function expectHash(hash: string, side: string): void {
  if (!hash.startsWith('$argon2id$v=19$m=19456,t=2,p=1$'))
    throw new Error(`${side}: unexpected hash ${hash}`);
}

/** `hash` on both sides. */
export function hashSides(built: Built): readonly [Side, Side] {
  const ours = built.argon2.createArgon2Hasher(PARAMS);
  return [
    {
      name: 'ours',
      run: async (i) => expectHash(await ours.hash(`${PASSWORD} ${i}`), 'ours'),
      close: async () => ours.close?.(),
    },
    {
      name: 'argon2',
      run: async (i) => expectHash(await argon2.hash(`${PASSWORD} ${i}`, directOptions), 'argon2'),
      close: async () => {},
    },
  ];
}

/** `verify` of one stored hash (made by ours, read by both), right and wrong passwords alternating. */
export async function verifySides(built: Built): Promise<readonly [Side, Side]> {
  const ours = built.argon2.createArgon2Hasher(PARAMS);
  const stored = await ours.hash(PASSWORD);
  const check = (side: string, i: number, ok: boolean) => {
    if (ok !== (i % 2 === 0)) throw new Error(`${side}: verify #${i} answered ${ok}`);
  };
  const attempt = (i: number) => (i % 2 === 0 ? PASSWORD : `${PASSWORD}!`);
  return [
    {
      name: 'ours',
      run: async (i) => check('ours', i, await ours.verify(stored, attempt(i))),
      close: async () => ours.close?.(),
    },
    {
      name: 'argon2',
      run: async (i) => check('argon2', i, await argon2.verify(stored, attempt(i))),
      close: async () => {},
    },
  ];
}

/** One round of one side: calls per second, and process CPU (all threads: argon2's too) per call. */
export interface OverheadRun {
  readonly perSec: number;
  readonly cpuMsPerCall: number;
}

/** The rounds of each side, in order. */
export type OverheadRuns = ReadonlyMap<Side['name'], readonly OverheadRun[]>;

/** Runs the rounds (after one warm-up round per side) and returns each side's figures per round. */
export async function overheadRounds(
  sides: readonly [Side, Side],
  settings: OverheadSettings,
  log: (line: string) => void = () => {},
): Promise<OverheadRuns> {
  const runs = new Map<Side['name'], OverheadRun[]>(sides.map((s) => [s.name, []]));
  const once = async (side: Side): Promise<OverheadRun> => {
    const cpu = process.cpuUsage();
    const ms = await runConcurrent(settings.ops, settings.concurrency, (i) => side.run(i));
    const used = process.cpuUsage(cpu);
    return {
      perSec: settings.ops / (ms / 1000),
      cpuMsPerCall: (used.user + used.system) / 1000 / settings.ops,
    };
  };
  for (const side of sides) await once(side);
  for (let round = 0; round < settings.rounds; round++) {
    const order = round % 2 === 0 ? sides : [sides[1], sides[0]];
    const line: string[] = [];
    for (const side of order) {
      const figures = await once(side);
      runs.get(side.name)?.push(figures);
      line.push(
        `${side.name} ${figures.perSec.toFixed(1)}/s, ${figures.cpuMsPerCall.toFixed(2)} ms CPU/call`,
      );
    }
    log(`  round ${round + 1}/${settings.rounds}: ${line.join('; ')}`);
  }
  return runs;
}
