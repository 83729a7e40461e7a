/**
 * The stale-flag report: cleanup debt in a flag config. A flag is listed with every reason that holds:
 * fully rolled out (`fully-on`) or fully off (`fully-off`) for `fullRolloutDays`, not evaluated for
 * `unusedDays` (from a usage report), past its `expiresAt` (`expired`), or referenced nowhere in a source
 * tree (`unreferenced`). Flags of kind `kill-switch` and `permission` are expected to stay fully on or off
 * and rarely flip, so only `expired` and `unreferenced` apply to them. docs/flags.md has the details.
 */
import { stat } from 'node:fs/promises';
import { InvalidOptionError } from '../core/errors.js';
import { defineOptions, opt, optionError } from '../core/options.js';
import { parseIsoInstant } from './dates.js';
import type { FlagUsageReport } from './evaluator-types.js';
import {
  DEFAULT_REFERENCE_PATTERN,
  DEFAULT_SCAN_EXTENSIONS,
  type ScanResult,
  scanReferences,
} from './stale-scan.js';
import type { FlagConfig, FlagDefinition, FlagKind, FlagRule, Serve } from './types.js';
import { validateConfig } from './validate.js';

/** Why a flag is listed. */
export type StaleReason = 'fully-on' | 'fully-off' | 'not-evaluated' | 'expired' | 'unreferenced';

/** One listed flag. */
export interface StaleFlagEntry {
  readonly flag: string;
  readonly kind: FlagKind | undefined;
  readonly reasons: readonly StaleReason[];
  /** `fully-on` / `fully-off`: the one variation every context gets. */
  readonly servedVariation?: string;
  /** When the flag last changed (`updatedAt`, or a scheduled change that took effect); absent when unknown. */
  readonly changedAtMs?: number;
  /** The last evaluation in the usage report, when it has one. */
  readonly lastEvaluatedAtMs?: number;
  readonly expiresAt?: string;
}

/** The report. */
export interface StaleFlagReport {
  /** Listed flags, by key. */
  readonly entries: readonly StaleFlagEntry[];
  /** Flags in the config. */
  readonly flags: number;
  /** The scan's counts, when one ran. */
  readonly scan?: Omit<ScanResult, 'found'>;
}

/** The scan of {@link StaleFlagReportOptions}. */
export interface StaleScanOptions {
  /** The directory to walk. */
  readonly dir: string;
  /**
   * Finds references: each match names a key by its `key` group, else group 1, else the whole match.
   * Default: string literals whose whole text is a key (`'checkout'`, `"new-ui"`).
   */
  readonly pattern?: RegExp;
  /** File name endings to read. Default `.ts .tsx .mts .cts .js .jsx .mjs .cjs`. */
  readonly extensions?: readonly string[];
  /** Larger files are skipped (and counted). Default 1 MiB. */
  readonly maxFileBytes?: number;
  /** The walk stops after this many files (`truncated`). Default 100000. */
  readonly maxFiles?: number;
}

/** Options of {@link staleFlagReport}. */
export interface StaleFlagReportOptions {
  /** The config to judge; validated first (`FlagConfigError` when it does not validate). */
  readonly config: FlagConfig;
  /** Evaluation usage (an evaluator's `usage()`, or one merged across processes); enables `not-evaluated`. */
  readonly usage?: FlagUsageReport;
  /** The instant to judge at (epoch ms). */
  readonly nowMs: number;
  /** Days a flag must have been fully on or off. Default 30. */
  readonly fullRolloutDays?: number;
  /** Days without an evaluation. Default 30. */
  readonly unusedDays?: number;
  /** Scan a source tree; enables `unreferenced`. */
  readonly scan?: StaleScanOptions;
}

const DAY_MS = 86_400_000;
const OWNER = 'staleFlagReport';
const EXEMPT_KINDS: ReadonlySet<FlagKind | undefined> = new Set(['kill-switch', 'permission']);

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const parse = defineOptions(OWNER, {
  config: opt.custom(
    (value, path, owner) => {
      if (!isRecord(value)) throw optionError(owner, path, 'a flag config (an object with `flags`)', value);
      return value as unknown as FlagConfig;
    },
    { required: true },
  ),
  usage: opt.custom((value, path, owner) => {
    if (!isRecord(value) || !Number.isFinite(value.sinceMs) || !isRecord(value.flags)) {
      throw optionError(owner, path, 'a usage report ({ sinceMs, flags })', value);
    }
    return value as unknown as FlagUsageReport;
  }),
  nowMs: opt.number({ required: true }),
  fullRolloutDays: opt.integer({ default: 30, min: 0, max: 36_500 }),
  unusedDays: opt.integer({ default: 30, min: 0, max: 36_500 }),
  scan: opt.shape({
    dir: opt.string({ required: true, maxLength: 4_096 }),
    pattern: opt.custom((value, path, owner) => {
      if (!(value instanceof RegExp)) throw optionError(owner, path, 'a RegExp', value);
      return value;
    }),
    extensions: opt.list(
      opt.matching(/^\.?[A-Za-z0-9._-]{1,32}$/, 'a file name ending such as `.ts`', { required: true }),
      {
        minItems: 1,
        maxItems: 64,
        default: DEFAULT_SCAN_EXTENSIONS,
      },
    ),
    maxFileBytes: opt.integer({ default: 1_048_576, max: 268_435_456 }),
    maxFiles: opt.integer({ default: 100_000, max: 10_000_000 }),
  }),
});

/** The variations `serve` can give. */
function variationsOf(serve: Serve): string[] {
  if ('variation' in serve) return [serve.variation];
  return serve.rollout.variations.filter((v) => v.weight > 0).map((v) => v.variation);
}

interface FlagState {
  readonly enabled: boolean;
  readonly rules: readonly FlagRule[];
  readonly fallthrough: Serve;
}

/** The flag's state at `nowMs` (scheduled changes that took effect applied in order), and its last change. */
function stateAt(def: FlagDefinition, nowMs: number) {
  let state: FlagState = { enabled: def.enabled, rules: def.rules ?? [], fallthrough: def.fallthrough };
  let changedAtMs = def.updatedAt === undefined ? undefined : parseIsoInstant(def.updatedAt);
  let pending = false;
  for (const change of def.schedule ?? []) {
    const at = parseIsoInstant(change.at) as number;
    if (at > nowMs) {
      pending = true;
      continue;
    }
    state = {
      enabled: change.enabled ?? state.enabled,
      rules: change.rules ?? state.rules,
      fallthrough: change.fallthrough ?? state.fallthrough,
    };
    changedAtMs = Math.max(changedAtMs ?? at, at);
  }
  return { state, changedAtMs, pending };
}

/** The one variation every context gets in `state`, or undefined when contexts can get different ones. */
function singleVariation(def: FlagDefinition, state: FlagState): string | undefined {
  if (!state.enabled) return def.offVariation;
  const served = new Set<string>(variationsOf(state.fallthrough));
  for (const rule of state.rules) for (const v of variationsOf(rule.serve)) served.add(v);
  for (const target of def.targets ?? []) if (target.values.length > 0) served.add(target.variation);
  if ((def.prerequisites ?? []).length > 0) served.add(def.offVariation);
  return served.size === 1 ? [...served][0] : undefined;
}

/** `fully-on` / `fully-off` when the flag has served one variation for `days` (or since an unknown time). */
function rolloutReason(def: FlagDefinition, nowMs: number, days: number) {
  const { state, changedAtMs, pending } = stateAt(def, nowMs);
  if (pending) return { changedAtMs };
  const variation = singleVariation(def, state);
  if (variation === undefined) return { changedAtMs };
  if (changedAtMs !== undefined && nowMs - changedAtMs < days * DAY_MS) return { changedAtMs };
  // Off is what the flag serves when switched off; a boolean whose off variation is `true` is off when serving it.
  const off = !state.enabled || variation === def.offVariation;
  return { reason: off ? ('fully-off' as const) : ('fully-on' as const), variation, changedAtMs };
}

function usageReason(flag: string, usage: FlagUsageReport, nowMs: number, days: number) {
  const record = Object.hasOwn(usage.flags, flag) ? usage.flags[flag] : undefined;
  const last = record?.lastEvaluatedAtMs;
  const quietSince = last ?? usage.sinceMs;
  return { stale: nowMs - quietSince >= days * DAY_MS, lastEvaluatedAtMs: last };
}

type Parsed = ReturnType<typeof parse>;

function judge(flag: string, def: FlagDefinition, o: Parsed, found: ReadonlySet<string> | undefined) {
  const reasons: StaleReason[] = [];
  const exempt = EXEMPT_KINDS.has(def.kind);
  const rollout = rolloutReason(def, o.nowMs, o.fullRolloutDays);
  if (!exempt && rollout.reason !== undefined) reasons.push(rollout.reason);
  const usage = o.usage === undefined ? undefined : usageReason(flag, o.usage, o.nowMs, o.unusedDays);
  if (!exempt && usage?.stale === true) reasons.push('not-evaluated');
  const expiresAtMs = def.expiresAt === undefined ? undefined : parseIsoInstant(def.expiresAt);
  if (expiresAtMs !== undefined && expiresAtMs <= o.nowMs) reasons.push('expired');
  if (found !== undefined && !found.has(flag)) reasons.push('unreferenced');
  if (reasons.length === 0) return undefined;
  const entry: StaleFlagEntry = {
    flag,
    kind: def.kind,
    reasons,
    ...(rollout.reason === undefined || exempt ? {} : { servedVariation: rollout.variation }),
    ...(rollout.changedAtMs === undefined ? {} : { changedAtMs: rollout.changedAtMs }),
    ...(usage?.lastEvaluatedAtMs === undefined ? {} : { lastEvaluatedAtMs: usage.lastEvaluatedAtMs }),
    ...(def.expiresAt === undefined ? {} : { expiresAt: def.expiresAt }),
  };
  return entry;
}

async function runScan(scan: NonNullable<Parsed['scan']>, keys: ReadonlySet<string>): Promise<ScanResult> {
  const isDirectory = await stat(scan.dir).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (!isDirectory) throw new InvalidOptionError(`${OWNER}: \`scan.dir\` must be a readable directory`);
  return scanReferences({ ...scan, pattern: scan.pattern ?? DEFAULT_REFERENCE_PATTERN }, keys);
}

/**
 * Builds the report. Rejects with `InvalidOptionError` for bad options and `FlagConfigError` for a config
 * that does not validate.
 *
 * @example
 * ```ts
 * const report = await staleFlagReport({
 *   config: { flags: {} },
 *   nowMs: Date.now(),
 *   scan: { dir: 'src' },
 * });
 * for (const entry of report.entries) console.log(entry.flag, entry.reasons.join(', '));
 * ```
 */
export async function staleFlagReport(options: StaleFlagReportOptions): Promise<StaleFlagReport> {
  const o = parse(options);
  const config = validateConfig(o.config);
  const keys = new Set(Object.keys(config.flags));
  const scanned = o.scan === undefined ? undefined : await runScan(o.scan, keys);
  const entries: StaleFlagEntry[] = [];
  for (const flag of [...keys].sort()) {
    const entry = judge(flag, config.flags[flag] as FlagDefinition, o, scanned?.found);
    if (entry !== undefined) entries.push(entry);
  }
  if (scanned === undefined) return { entries, flags: keys.size };
  const { found: _found, ...counts } = scanned;
  return { entries, flags: keys.size, scan: counts };
}
