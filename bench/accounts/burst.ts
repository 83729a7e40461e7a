/**
 * Case "burst": the same burst of logins in each mode, every burst in a fresh child process
 * (burst-process.ts), the modes alternating round by round (A B C, C B A, ...).
 */
import { resolve } from 'node:path';
import { spawnTracked } from '../../test/support/processes.js';
import type { BurstFigures, BurstMode } from './burst-run.js';
import type { BurstSettings } from './settings.js';

const root = resolve(import.meta.dirname, '../..');
const CHILD = resolve(import.meta.dirname, 'burst-process.ts');
const TIMEOUT_MS = 120_000;

/** Runs one burst in a child process and resolves to its figures. */
export function burstInChild(mode: BurstMode, size: number): Promise<BurstFigures> {
  const child = spawnTracked(process.execPath, ['--import', 'tsx', CHILD, mode, String(size)], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((done, fail) => {
    let figures: BurstFigures | undefined;
    const timer = setTimeout(() => child.kill('SIGKILL'), TIMEOUT_MS);
    child.on('message', (message: { figures?: BurstFigures }) => {
      figures = message.figures;
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (figures !== undefined && code === 0) done(figures);
      else fail(new Error(`burst ${mode} exited (${code ?? signal}) without figures:\n${stderr}`));
    });
  });
}

/** Runs `settings.rounds` bursts per mode; returns the figures per mode, in round order. */
export async function burstRounds(
  modes: readonly BurstMode[],
  settings: BurstSettings,
  log: (line: string) => void = () => {},
): Promise<ReadonlyMap<BurstMode, readonly BurstFigures[]>> {
  const runs = new Map<BurstMode, BurstFigures[]>(modes.map((m) => [m, []]));
  for (let round = 0; round < settings.rounds; round++) {
    const order = round % 2 === 0 ? modes : [...modes].reverse();
    for (const mode of order) {
      const f = await burstInChild(mode, settings.size);
      runs.get(mode)?.push(f);
      log(
        `  round ${round + 1}/${settings.rounds} ${mode}: ${f.accepted} accepted (${f.succeeded} logged in, ` +
          `${f.invalid} invalid), ${f.rejected} refused, ` +
          `p50 ${f.p50Ms.toFixed(0)} ms, p99 ${f.p99Ms.toFixed(0)} ms, ${f.loginsPerSec.toFixed(0)} logins/s, ` +
          `event loop p99 ${f.eventLoopP99Ms.toFixed(1)} ms, fs.stat p99 ${f.poolProbeP99Ms.toFixed(0)} ms, ` +
          `RSS ${f.rssBeforeMiB.toFixed(0)} -> ${f.rssPeakMiB.toFixed(0)} MiB`,
      );
    }
  }
  return runs;
}
