/**
 * The whole uploads bench on started backends: the three cases in order (the big uploads first, on
 * fresh servers, before anything else ran), every row, and the goals' verdicts as lines to print.
 */
import type { BenchRow } from '../support/results.js';
import { bigCase, directCase, OVERHEAD_GOAL, RSS_GOAL_BYTES, roundsCase } from './cases.js';
import type { BenchServices } from './services.js';
import type { UploadsBenchSettings } from './settings.js';

const MiB = 1024 * 1024;

/** What a run came to. */
export interface UploadsBenchResult {
  readonly rows: readonly BenchRow[];
  /** One line per goal: met or NOT met, with the figures. */
  readonly verdicts: readonly string[];
}

/** Runs the cases; `log` gets one line per upload. */
export async function runUploadsBench(
  services: BenchServices,
  settings: UploadsBenchSettings,
  log: (line: string) => void,
): Promise<UploadsBenchResult> {
  const big = await bigCase(services, settings, log);
  const rounds = await roundsCase(services, settings, log);
  const direct = await directCase(services, settings, log);
  const rows = [...big.rows, ...rounds.rows, ...direct.rows];
  const growth = big.ours.rssGrowthBytes;
  const throughput = rounds.rows[0];
  const overhead = throughput?.ratio === null || throughput === undefined ? Number.NaN : 1 - throughput.ratio;
  const verdicts = [
    `target: ${(settings.bigBytes / MiB).toFixed(0)} MiB proxied upload, server RSS growth < 64 MiB: ` +
      `${growth < RSS_GOAL_BYTES ? 'met' : 'NOT met'} (${(growth / MiB).toFixed(1)} MiB)`,
    `target: proxied overhead vs the plain pipe <= 15% (median of per-round ratios, no clamd): ` +
      `${overhead <= OVERHEAD_GOAL ? 'met' : 'NOT met'} (${(overhead * 100).toFixed(1)}%)`,
  ];
  if (services.clamd === undefined) verdicts.push(`no clamd rounds: ${services.clamdNote}`);
  return { rows, verdicts };
}
