/** The evaluator's instruments; every one declares its unit and labels. */
import type { Counter, Gauge, Metrics } from '../core/metrics.js';

/** Instruments of one evaluator. */
export interface FlagInstruments {
  /** `flags.evaluations{flag, reason}`: evaluations, pushed on each flush tick (not per evaluation). */
  readonly evaluations: Counter;
  /** `flags.evaluation.errors{flag, code}`: evaluations that served the default because of an error. */
  readonly evaluationErrors: Counter;
  /** `flags.events.dropped{cause}`: analytics events lost, `overflow` (buffer full) or `sink` (send failed). */
  readonly eventsDropped: Counter;
  /** `flags.events.sent`: analytics events the sink accepted. */
  readonly eventsSent: Counter;
  /** `flags.source.errors{kind}`: source failures, configs refused by validation, snapshot read/write errors. */
  readonly sourceErrors: Counter;
  /** `flags.layer`: the answering layer, 0 live, 1 last-known-good, 2 snapshot, 3 bootstrap, 4 none. */
  readonly layer: Gauge;
}

/** Creates the instruments on `metrics`. */
export function flagInstruments(metrics: Metrics): FlagInstruments {
  return {
    evaluations: metrics.counter('flags.evaluations', {
      description: 'Flag evaluations by flag and reason',
      unit: '{evaluation}',
      labelNames: ['flag', 'reason'],
    }),
    evaluationErrors: metrics.counter('flags.evaluation.errors', {
      description: 'Flag evaluations that served the default because of an error, by flag and error code',
      unit: '{evaluation}',
      labelNames: ['flag', 'code'],
    }),
    eventsDropped: metrics.counter('flags.events.dropped', {
      description: 'Evaluation events lost: buffer full (overflow) or the sink failed (sink)',
      unit: '{event}',
      labelNames: ['cause'],
    }),
    eventsSent: metrics.counter('flags.events.sent', {
      description: 'Evaluation events the sink accepted',
      unit: '{event}',
    }),
    sourceErrors: metrics.counter('flags.source.errors', {
      description: 'Source failures, refused configs and snapshot errors, by kind',
      unit: '{error}',
      labelNames: ['kind'],
    }),
    layer: metrics.gauge('flags.layer', {
      description: 'The answering layer: 0 live, 1 last-known-good, 2 snapshot, 3 bootstrap, 4 none',
      unit: '1',
    }),
  };
}
