/**
 * Public types of the {@link FlagEvaluator}: its options, the source status (which layer answers and since
 * when), the events it reports to listeners, and the per-flag usage it keeps. docs/flags.md has the
 * semantics (the layers table, analytics, metrics).
 */
import type { Clock } from '../core/clock.js';
import type { Metrics } from '../core/metrics.js';
import type {
  EvaluationContext,
  EvaluationResult,
  EvaluationSink,
  FlagConfig,
  FlagSource,
  FlagValue,
  JsonValue,
  SnapshotStore,
} from './types.js';

/**
 * Which data answers evaluations, best first: the source's current config (`live`), the last good live
 * config kept in memory after the source failed or sent a config that does not validate
 * (`last-known-good`), the persisted snapshot read at start (`snapshot`), the app's bootstrap data
 * (`bootstrap`), nothing (`none`: code defaults and the per-call defaults).
 */
export type FlagLayer = 'live' | 'last-known-good' | 'snapshot' | 'bootstrap' | 'none';

/** What kind of failure an error report is about. */
export type FlagErrorKind = 'source' | 'config' | 'snapshot';

/** The last error the evaluator saw (a source failure, a config that did not validate, a snapshot error). */
export interface FlagLastError {
  readonly kind: FlagErrorKind;
  /** The error's stable code (`ERR_FLAGS_SOURCE`, `ERR_FLAGS_INVALID_CONFIG`), when it has one. */
  readonly code: string | undefined;
  readonly message: string;
  /** When it was seen, on the evaluator's clock. */
  readonly atMs: number;
}

/** Which layer answers, since when, and whether that is fresh data. */
export interface SourceStatus {
  readonly layer: FlagLayer;
  /** When the current layer started answering, on the evaluator's clock. */
  readonly sinceMs: number;
  /** The answering config's `version`, when it has one. */
  readonly version?: string;
  /** The last error seen, kept after a recovery (compare its `atMs` with `sinceMs`). */
  readonly lastError?: FlagLastError;
  /** True whenever the answer is not the source's current config (every layer but `live`). */
  readonly stale: boolean;
}

/**
 * What listeners hear. `status`: the layer changed, or an error was reported (then `error` and
 * `errorKind` say which; the layer may be unchanged). `config`: the answering config changed;
 * `flagsChanged` lists the flags whose definition differs (every flag when segments changed).
 */
export type FlagEvaluatorEvent =
  | {
      readonly type: 'status';
      readonly status: SourceStatus;
      readonly previous: FlagLayer;
      readonly error?: Error;
      readonly errorKind?: FlagErrorKind;
    }
  | { readonly type: 'config'; readonly flagsChanged: readonly string[]; readonly status: SourceStatus };

/** A listener of {@link FlagEvaluator.onChange}; one that throws is ignored (the others still hear). */
export type FlagEvaluatorListener = (event: FlagEvaluatorEvent) => void;

/** What the evaluator knows of one flag's use in this process. */
export interface FlagUsage {
  readonly evaluations: number;
  /** The last evaluation, on the evaluator's clock. */
  readonly lastEvaluatedAtMs: number;
  /** Evaluations by served variation (errors serve no variation and are not in here). */
  readonly variants: Readonly<Record<string, number>>;
}

/**
 * Per-flag usage since `sinceMs` (when the evaluator was created). Keys are the flag keys asked for;
 * past {@link MAX_TRACKED_FLAGS} distinct keys, new ones are counted under `(other)`, and keys that are
 * not strings of 1..256 characters under `(invalid)`.
 */
export interface FlagUsageReport {
  readonly sinceMs: number;
  readonly flags: Readonly<Record<string, FlagUsage>>;
}

/** Counts of the analytics event pipeline. */
export interface EvaluationEventStats {
  /** Events waiting for the next flush. */
  readonly buffered: number;
  /** Events the sink accepted. */
  readonly sent: number;
  /** Events dropped because the buffer was full. */
  readonly droppedOverflow: number;
  /** Events lost because the sink failed (or timed out) on their batch. */
  readonly droppedSink: number;
  /** Batches the sink failed on. */
  readonly failedBatches: number;
}

/** The most distinct flag keys usage tracks; later keys are counted under `(other)`. */
export const MAX_TRACKED_FLAGS = 10_000;

/** Analytics options of {@link createFlagEvaluator}. */
export interface FlagAnalyticsOptions {
  /** Events kept while waiting for a flush; beyond it new events are dropped and counted. Default 10000. */
  readonly maxBuffered?: number;
  /** Events per `sink.send` call; reaching it starts a flush. Default 500, at most `maxBuffered`. */
  readonly batchSize?: number;
  /** Time between flushes of events and of the metric counters. Default 10000. */
  readonly flushIntervalMs?: number;
  /** How long one `sink.send` may take before its batch counts as failed. Default 10000. */
  readonly sendTimeoutMs?: number;
  /** Mixed into `contextKeyHash`; default 16 random bytes per evaluator (hashes differ across processes). */
  readonly contextKeySalt?: Uint8Array;
}

/** Options of {@link createFlagEvaluator}. */
export interface FlagEvaluatorOptions {
  /** Where live configs come from; without one, the snapshot or the bootstrap data answer. */
  readonly source?: FlagSource;
  /** Written after every changed live config; read at start when the source cannot answer. */
  readonly snapshot?: SnapshotStore;
  /** Data shipped with the app, validated at construction (a bad one throws `FlagConfigError`). */
  readonly bootstrap?: FlagConfig;
  /** Code defaults: served (reason `DEFAULT`) for a flag that the answering config does not have. */
  readonly defaults?: Readonly<Record<string, FlagValue>>;
  /** How long `ready()` waits for the source's first answer. Default 2000. */
  readonly initTimeoutMs?: number;
  /** Re-load a source that has no `watch` this often. Default none (loaded once). */
  readonly refreshIntervalMs?: number;
  /** Where evaluation events go; without one, only counts are kept. */
  readonly sink?: EvaluationSink;
  readonly analytics?: FlagAnalyticsOptions;
  readonly clock?: Clock;
  readonly metrics?: Metrics;
}

/**
 * Evaluates flags in process, synchronously, from the best layer that has data. Evaluation never throws:
 * every problem is a result with an OpenFeature `errorCode` and the default value.
 */
export interface FlagEvaluator {
  /**
   * Evaluates `flag` for `context`; the type of `defaultValue` is the type asked for (boolean, string,
   * number; an object, an array or null asks for a JSON flag). Never throws.
   */
  evaluate<T extends FlagValue>(
    flag: string,
    context: EvaluationContext | undefined,
    defaultValue: T,
  ): EvaluationResult<T>;
  /** The value of a boolean flag, or `defaultValue`. */
  boolean(flag: string, context: EvaluationContext | undefined, defaultValue: boolean): boolean;
  /** The value of a string flag, or `defaultValue`. */
  string(flag: string, context: EvaluationContext | undefined, defaultValue: string): string;
  /** The value of a number flag, or `defaultValue`. */
  number(flag: string, context: EvaluationContext | undefined, defaultValue: number): number;
  /** The value of a JSON flag, or `defaultValue` (the value is not checked against `T`). */
  json<T extends JsonValue>(flag: string, context: EvaluationContext | undefined, defaultValue: T): T;
  /** {@link FlagEvaluator.boolean} with the whole result. */
  booleanDetails(
    flag: string,
    context: EvaluationContext | undefined,
    defaultValue: boolean,
  ): EvaluationResult<boolean>;
  /** {@link FlagEvaluator.string} with the whole result. */
  stringDetails(
    flag: string,
    context: EvaluationContext | undefined,
    defaultValue: string,
  ): EvaluationResult<string>;
  /** {@link FlagEvaluator.number} with the whole result. */
  numberDetails(
    flag: string,
    context: EvaluationContext | undefined,
    defaultValue: number,
  ): EvaluationResult<number>;
  /** {@link FlagEvaluator.json} with the whole result. */
  jsonDetails<T extends JsonValue>(
    flag: string,
    context: EvaluationContext | undefined,
    defaultValue: T,
  ): EvaluationResult<T>;
  /**
   * Resolves once live data arrived, or the source failed at start or `initTimeoutMs` passed and the
   * fallback layer is chosen. Never rejects.
   */
  ready(): Promise<SourceStatus>;
  /** Which layer answers now. */
  status(): SourceStatus;
  /** The answering config as validated (frozen), or undefined on layer `none`. */
  config(): FlagConfig | undefined;
  /** Adds a listener of config and status changes; returns its removal. */
  onChange(listener: FlagEvaluatorListener): () => void;
  /** Per-flag evaluation counts, last evaluation times and variants, since the evaluator was created. */
  usage(): FlagUsageReport;
  /** Counts of the event pipeline. */
  eventStats(): EvaluationEventStats;
  /** Sends every buffered event and pushes the metric counters now. Never rejects. */
  flush(): Promise<void>;
  /**
   * Stops watching and refreshing, flushes, and stops the flush timer. The source and the snapshot store
   * are the caller's and stay open. Evaluation keeps answering from the last config.
   */
  close(): Promise<void>;
}
