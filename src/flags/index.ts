/**
 * backend-patterns/flags — feature flags evaluated in process: targeting rules, segments, prerequisites,
 * 0.001 % sticky rollouts, scheduled changes, layered fallback when the flag source is down, evaluation
 * analytics and a stale-flag report. `backend-patterns/flags/redis` has the Redis source,
 * `backend-patterns/flags/openfeature` the OpenFeature provider.
 */
export { bucketOf } from './bucket.js';
export { compileConfig } from './compile.js';
export type { CompiledConfig, EngineResult } from './engine.js';
export { FLAGS_ERROR_CODES, FlagConfigError, FlagSourceError, type FlagsErrorCode } from './errors.js';
export { createFlagEvaluator } from './evaluator.js';
export {
  type EvaluationEventStats,
  type FlagAnalyticsOptions,
  type FlagErrorKind,
  type FlagEvaluator,
  type FlagEvaluatorEvent,
  type FlagEvaluatorListener,
  type FlagEvaluatorOptions,
  type FlagLastError,
  type FlagLayer,
  type FlagUsage,
  type FlagUsageReport,
  MAX_TRACKED_FLAGS,
  type SourceStatus,
} from './evaluator-types.js';
export {
  createFileFlagSource,
  type FileFlagSource,
  type FileFlagSourceOptions,
} from './file-source.js';
export {
  createHttpFlagSource,
  type FetchFunction,
  type HttpFlagSource,
  type HttpFlagSourceOptions,
} from './http-source.js';
export { BUCKET_COUNT, FLAG_CONFIG_LIMITS, type FlagConfigLimits } from './limits.js';
export { createMemoryFlagSource, type MemoryFlagSource } from './memory-source.js';
export {
  createFileSnapshotStore,
  type FileSnapshotStore,
  type FileSnapshotStoreOptions,
} from './snapshot.js';
export type { FlagSourceListener, FlagSourceUpdate } from './source-kit.js';
export {
  type StaleFlagEntry,
  type StaleFlagReport,
  type StaleFlagReportOptions,
  type StaleReason,
  type StaleScanOptions,
  staleFlagReport,
} from './stale-report.js';
export type {
  Clause,
  ClauseOperator,
  EvaluationContext,
  EvaluationErrorCode,
  EvaluationEvent,
  EvaluationReason,
  EvaluationResult,
  EvaluationSink,
  FlagConfig,
  FlagDefinition,
  FlagKind,
  FlagRule,
  FlagSource,
  FlagType,
  FlagValue,
  JsonValue,
  Prerequisite,
  Rollout,
  ScheduledChange,
  Segment,
  Serve,
  SnapshotStore,
  SourceLoad,
  WeightedVariation,
} from './types.js';
export { validateConfig } from './validate.js';
