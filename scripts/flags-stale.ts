/**
 * The stale-flag report for CI: `npx tsx scripts/flags-stale.ts --config flags.json --src src --days 30`
 * prints a table of stale flags and exits 1 when there are any (0 when none, 2 on bad arguments or a
 * config that does not load).
 *
 * Options: `--config <file>` (required, a JSON flag config), `--src <dir>` (scan for references),
 * `--days <n>` (fully on/off and not evaluated for n days; default 30), `--unused-days <n>` (override
 * for not evaluated), `--usage <file>` (a JSON usage report `{ sinceMs, flags }`), `--ext .ts,.tsx`,
 * `--pattern <regex>` (a reference pattern whose first group is the key), `--now <ISO date>`, `--json`.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import {
  type FlagConfig,
  type FlagUsageReport,
  type StaleFlagEntry,
  type StaleFlagReport,
  staleFlagReport,
} from '../src/flags/index.js';
import { isBackendPatternsError } from '../src/index.js';

const USAGE =
  'usage: flags-stale --config <flags.json> [--src <dir>] [--days 30] [--unused-days N] [--usage <usage.json>] [--ext .ts,.tsx] [--pattern <regex>] [--now <ISO date>] [--json]';

class UsageError extends Error {}

function parseDays(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,5}$/.test(value)) throw new UsageError(`--${name} must be a whole number of days`);
  return Number(value);
}

async function readJson(path: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new UsageError(
      `cannot read the ${what} ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
    );
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new UsageError(`the ${what} ${path} is not valid JSON`);
  }
}

function nowFrom(value: string | undefined): number {
  if (value === undefined) return Date.now();
  const ms = Date.parse(value);
  if (!Number.isFinite(ms)) throw new UsageError('--now must be an ISO date');
  return ms;
}

const day = (ms: number | undefined) => (ms === undefined ? '' : new Date(ms).toISOString().slice(0, 10));

function detail(entry: StaleFlagEntry): string {
  const parts: string[] = [];
  if (entry.servedVariation !== undefined) parts.push(`serves ${entry.servedVariation}`);
  if (entry.changedAtMs !== undefined) parts.push(`changed ${day(entry.changedAtMs)}`);
  if (entry.lastEvaluatedAtMs !== undefined) parts.push(`last evaluated ${day(entry.lastEvaluatedAtMs)}`);
  if (entry.expiresAt !== undefined) parts.push(`expires ${entry.expiresAt}`);
  return parts.join('; ');
}

function table(report: StaleFlagReport): string {
  const rows = [
    ['flag', 'kind', 'reasons', 'detail'],
    ...report.entries.map((e) => [e.flag, e.kind ?? '', e.reasons.join(', '), detail(e)]),
  ];
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => (r[i] as string).length)));
  const lines = rows.map((r) =>
    r
      .map((cell, i) => (i < 3 ? cell.padEnd(widths[i] as number) : cell))
      .join('  ')
      .trimEnd(),
  );
  const scanned = report.scan === undefined ? '' : `, ${report.scan.files} files scanned`;
  const truncated = report.scan?.truncated === true ? ' (walk truncated)' : '';
  return `${lines.join('\n')}\n\n${report.entries.length} stale of ${report.flags} flags${scanned}${truncated}`;
}

async function run(argv: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      config: { type: 'string' },
      src: { type: 'string' },
      days: { type: 'string' },
      'unused-days': { type: 'string' },
      usage: { type: 'string' },
      ext: { type: 'string' },
      pattern: { type: 'string' },
      now: { type: 'string' },
      json: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.config === undefined) throw new UsageError('--config is required');
  const days = parseDays(values.days, 'days') ?? 30;
  const report = await staleFlagReport({
    config: (await readJson(values.config, 'config')) as FlagConfig,
    nowMs: nowFrom(values.now),
    fullRolloutDays: days,
    unusedDays: parseDays(values['unused-days'], 'unused-days') ?? days,
    ...(values.usage === undefined
      ? {}
      : { usage: (await readJson(values.usage, 'usage report')) as FlagUsageReport }),
    ...(values.src === undefined
      ? {}
      : {
          scan: {
            dir: values.src,
            ...(values.ext === undefined ? {} : { extensions: values.ext.split(',') }),
            ...(values.pattern === undefined ? {} : { pattern: new RegExp(values.pattern, 'g') }),
          },
        }),
  });
  console.log(values.json === true ? JSON.stringify(report, null, 2) : table(report));
  return report.entries.length > 0 ? 1 : 0;
}

try {
  process.exitCode = await run(process.argv.slice(2));
} catch (error) {
  if (error instanceof UsageError || (error instanceof TypeError && 'code' in error)) {
    console.error(`flags-stale: ${error.message}\n${USAGE}`);
  } else if (isBackendPatternsError(error)) {
    console.error(`flags-stale: ${error.code}: ${error.message}`);
  } else if (error instanceof SyntaxError) {
    console.error(`flags-stale: --pattern is not a valid regular expression: ${error.message}`);
  } else {
    throw error;
  }
  process.exitCode = 2;
}
