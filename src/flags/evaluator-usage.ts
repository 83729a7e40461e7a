/**
 * Per-flag usage, kept cheaply: one small mutable record per flag key (found in a Map), updated in place
 * on every evaluation. The metric counters are not touched per evaluation: each record keeps the deltas
 * by reason and by error code since the last push, and {@link UsageTable.pushMetrics} (on the flush tick)
 * adds them to `flags.evaluations` and `flags.evaluation.errors`.
 */
import type { FlagInstruments } from './evaluator-instruments.js';
import type { FlagUsage, FlagUsageReport } from './evaluator-types.js';
import { MAX_TRACKED_FLAGS } from './evaluator-types.js';
import type { EvaluationErrorCode, EvaluationReason } from './types.js';

/** Every reason, indexed (the record's delta arrays and the event buffer store the index). */
export const REASONS: readonly EvaluationReason[] = [
  'TARGETING_MATCH',
  'SPLIT',
  'DEFAULT',
  'DISABLED',
  'PREREQUISITE_FAILED',
  'ERROR',
];

/** Every error code, indexed; index 0 of the event buffer's code column means "no error". */
export const ERROR_CODES: readonly EvaluationErrorCode[] = [
  'PROVIDER_NOT_READY',
  'FLAG_NOT_FOUND',
  'PARSE_ERROR',
  'TYPE_MISMATCH',
  'TARGETING_KEY_MISSING',
  'INVALID_CONTEXT',
  'GENERAL',
];

const reasonIndex = new Map(REASONS.map((r, i) => [r, i]));
const errorIndex = new Map(ERROR_CODES.map((c, i) => [c, i]));

/** The index of `reason` in {@link REASONS} (unknown reasons count as `ERROR`). */
export const indexOfReason = (reason: EvaluationReason): number =>
  reasonIndex.get(reason) ?? REASONS.length - 1;

/** The index of `code` in {@link ERROR_CODES} (unknown codes count as `GENERAL`). */
export const indexOfError = (code: EvaluationErrorCode): number =>
  errorIndex.get(code) ?? ERROR_CODES.length - 1;

/** The key usage counts keys that are not strings of a valid length under. */
export const INVALID_KEY = '(invalid)';
/** The key usage counts flag keys beyond {@link MAX_TRACKED_FLAGS} under. */
export const OTHER_KEY = '(other)';
/**
 * Where evaluations of keys no layer knows are counted (typos, keys taken from input): one record and one
 * metric series for all of them, so they can neither crowd real flags out of the table nor the metrics.
 */
export const UNKNOWN_KEY = '(unknown)';
/** Variant names kept per flag (a config allows at most this many variations). */
const MAX_VARIANTS_PER_FLAG = 1000;

interface UsageRecord {
  readonly key: string;
  evaluations: number;
  lastEvaluatedAtMs: number;
  readonly variants: Map<string, number>;
  /** Evaluations by reason index since the last metrics push. */
  readonly reasonDelta: Uint32Array;
  /** Errors by code index since the last metrics push. */
  readonly errorDelta: Uint32Array;
  dirty: boolean;
}

/** The per-flag records. */
export interface UsageTable {
  /** Counts one evaluation. `errorCode` is -1 for none. */
  record(flag: string, variant: string | undefined, reason: number, errorCode: number, nowMs: number): void;
  /** The usage report (copies). */
  report(): FlagUsageReport;
  /** Adds the deltas since the last push to the metric counters. */
  pushMetrics(instruments: FlagInstruments): void;
}

/** Creates an empty table; `sinceMs` is reported as the start of the observation. */
export function createUsageTable(sinceMs: number): UsageTable {
  const records = new Map<string, UsageRecord>();
  const dirty: UsageRecord[] = [];

  const recordFor = (flag: string): UsageRecord => {
    const found = records.get(flag);
    if (found !== undefined) return found;
    const reserved = flag === INVALID_KEY || flag === UNKNOWN_KEY;
    const key = records.size >= MAX_TRACKED_FLAGS && !reserved ? OTHER_KEY : flag;
    const existing = records.get(key);
    if (existing !== undefined) return existing;
    const created: UsageRecord = {
      key,
      evaluations: 0,
      lastEvaluatedAtMs: 0,
      variants: new Map(),
      reasonDelta: new Uint32Array(REASONS.length),
      errorDelta: new Uint32Array(ERROR_CODES.length),
      dirty: false,
    };
    records.set(key, created);
    return created;
  };

  return {
    record(flag, variant, reason, errorCode, nowMs) {
      const record = recordFor(flag);
      record.evaluations += 1;
      record.lastEvaluatedAtMs = nowMs;
      if (
        variant !== undefined &&
        (record.variants.size < MAX_VARIANTS_PER_FLAG || record.variants.has(variant))
      ) {
        record.variants.set(variant, (record.variants.get(variant) ?? 0) + 1);
      }
      record.reasonDelta[reason] = (record.reasonDelta[reason] as number) + 1;
      if (errorCode >= 0) record.errorDelta[errorCode] = (record.errorDelta[errorCode] as number) + 1;
      if (!record.dirty) {
        record.dirty = true;
        dirty.push(record);
      }
    },
    report() {
      const flags: Record<string, FlagUsage> = Object.create(null);
      for (const record of records.values()) {
        const variants: Record<string, number> = Object.create(null);
        for (const [variant, count] of record.variants) variants[variant] = count;
        flags[record.key] = {
          evaluations: record.evaluations,
          lastEvaluatedAtMs: record.lastEvaluatedAtMs,
          variants,
        };
      }
      return { sinceMs, flags };
    },
    pushMetrics(instruments) {
      for (const record of dirty.splice(0)) {
        record.dirty = false;
        pushDeltas(record.reasonDelta, REASONS, (count, reason) =>
          instruments.evaluations.add(count, { flag: record.key, reason }),
        );
        pushDeltas(record.errorDelta, ERROR_CODES, (count, code) =>
          instruments.evaluationErrors.add(count, { flag: record.key, code }),
        );
      }
    },
  };
}

function pushDeltas<T>(deltas: Uint32Array, names: readonly T[], add: (count: number, name: T) => void) {
  for (let i = 0; i < deltas.length; i++) {
    const count = deltas[i] as number;
    if (count === 0) continue;
    deltas[i] = 0;
    add(count, names[i] as T);
  }
}
