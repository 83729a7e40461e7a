/**
 * The flag evaluator: the layers (live, last-known-good, snapshot, bootstrap, none), the synchronous
 * never-throwing `evaluate` and its typed helpers, and analytics (per-flag usage, metric counters pushed
 * on a flush tick, evaluation events batched to a sink). docs/flags.md has the semantics.
 */
import { noopMetrics } from '../core/metrics.js';
import { type CallEnv, evaluateCall } from './evaluator-call.js';
import { createEventPipeline, type EventPipeline } from './evaluator-events.js';
import { flagInstruments } from './evaluator-instruments.js';
import { createLayerState } from './evaluator-layers.js';
import { MAX_FLAG_KEY_LENGTH, parseEvaluatorOptions } from './evaluator-options.js';
import { startSource } from './evaluator-source.js';
import type { FlagEvaluator, FlagEvaluatorOptions } from './evaluator-types.js';
import {
  createUsageTable,
  INVALID_KEY,
  indexOfError,
  indexOfReason,
  UNKNOWN_KEY,
} from './evaluator-usage.js';
import type { EvaluationResult, FlagType, FlagValue, JsonValue } from './types.js';

/**
 * Creates an evaluator. It starts loading at once; `ready()` says when the first answer is known.
 * Throws `InvalidOptionError` for bad options and `FlagConfigError` for bootstrap data that does not
 * validate.
 *
 * @example
 * ```ts
 * const flags = createFlagEvaluator({
 *   // source: a file, Redis or HTTP source; bootstrap answers until it does (and if it never does)
 *   bootstrap: {
 *     flags: {
 *       'new-checkout': { type: 'boolean', variations: { on: true, off: false }, enabled: true, offVariation: 'off', fallthrough: { variation: 'off' } },
 *     },
 *   },
 *   defaults: { 'new-checkout': false },
 * });
 * await flags.ready();
 * if (flags.boolean('new-checkout', { targetingKey: 'user-42', plan: 'pro' }, false)) {
 *   // the new checkout
 * }
 * ```
 */
export function createFlagEvaluator(options?: FlagEvaluatorOptions): FlagEvaluator {
  const o = parseEvaluatorOptions(options);
  const { clock } = o;
  const instruments = flagInstruments(o.metrics);
  const layers = createLayerState(clock, instruments);
  if (o.bootstrap !== undefined) layers.applyBootstrap(o.bootstrap);
  const usage = createUsageTable(clock.now());
  let events: EventPipeline | undefined =
    o.sink === undefined
      ? undefined
      : createEventPipeline({ sink: o.sink, options: o.analytics, clock, instruments });
  const env: CallEnv = { answer: undefined, defaults: o.defaults, nowMs: 0, targetingKey: undefined };
  const driver = startSource({
    source: o.source,
    snapshot: o.snapshot,
    initTimeoutMs: o.initTimeoutMs,
    refreshIntervalMs: o.refreshIntervalMs,
    clock,
    layers,
  });

  const record = (
    flag: unknown,
    result: EvaluationResult,
    nowMs: number,
    targetingKey: string | undefined,
  ) => {
    const valid = typeof flag === 'string' && flag.length > 0 && flag.length <= MAX_FLAG_KEY_LENGTH;
    const key = !valid ? INVALID_KEY : result.errorCode === 'FLAG_NOT_FOUND' ? UNKNOWN_KEY : flag;
    const reason = indexOfReason(result.reason);
    const error = result.errorCode === undefined ? -1 : indexOfError(result.errorCode);
    usage.record(key, result.variant, reason, error, nowMs);
    events?.record(key, result.variant, reason, error, nowMs, targetingKey);
  };

  function run<T extends FlagValue>(
    flag: unknown,
    context: unknown,
    defaultValue: T,
    expected: FlagType | undefined,
  ): EvaluationResult<T> {
    try {
      const nowMs = clock.now();
      env.answer = layers.answer;
      env.nowMs = nowMs;
      const result = evaluateCall(env, flag, context, defaultValue, expected);
      record(flag, result, nowMs, env.targetingKey);
      return result;
    } catch (error) {
      const message = error instanceof Error ? `evaluation failed: ${error.message}` : 'evaluation failed';
      return { value: defaultValue, reason: 'ERROR', errorCode: 'GENERAL', errorMessage: message };
    }
  }

  const flush = async () => {
    try {
      usage.pushMetrics(instruments);
      await events?.drain();
      events?.pushMetrics();
    } catch {
      // Metrics adapters and sinks are outside; a failure here must not reach the flush timer.
    }
  };

  const ticker = new AbortController();
  const tick = async () => {
    while (!ticker.signal.aborted) {
      try {
        await clock.sleep(o.analytics.flushIntervalMs, ticker.signal);
      } catch {
        return;
      }
      await flush();
    }
  };
  // Without a sink or metrics there is nothing to push: no timer (one less thing keeping the process alive).
  if (o.sink !== undefined || o.metrics !== noopMetrics) void tick();

  const noEvents = { buffered: 0, sent: 0, droppedOverflow: 0, droppedSink: 0, failedBatches: 0 };
  let finalStats = noEvents;
  let closing: Promise<void> | undefined;
  return {
    evaluate: (flag, context, defaultValue) => run(flag, context, defaultValue, undefined),
    boolean: (flag, context, defaultValue) => run(flag, context, defaultValue, 'boolean').value,
    string: (flag, context, defaultValue) => run(flag, context, defaultValue, 'string').value,
    number: (flag, context, defaultValue) => run(flag, context, defaultValue, 'number').value,
    json: <T extends JsonValue>(flag: string, context: unknown, defaultValue: T) =>
      run(flag, context, defaultValue, 'json').value,
    booleanDetails: (flag, context, defaultValue) => run(flag, context, defaultValue, 'boolean'),
    stringDetails: (flag, context, defaultValue) => run(flag, context, defaultValue, 'string'),
    numberDetails: (flag, context, defaultValue) => run(flag, context, defaultValue, 'number'),
    jsonDetails: <T extends JsonValue>(flag: string, context: unknown, defaultValue: T) =>
      run(flag, context, defaultValue, 'json'),
    ready: () => driver.ready,
    status: () => layers.status(),
    config: () => layers.answer?.compiled.config,
    onChange: (listener) => layers.onChange(listener),
    usage: () => usage.report(),
    eventStats: () => events?.stats() ?? finalStats,
    flush,
    close() {
      closing ??= (async () => {
        ticker.abort();
        await driver.stop();
        await flush();
        finalStats = events?.stats() ?? noEvents;
        events = undefined;
      })();
      return closing;
    },
  };
}
