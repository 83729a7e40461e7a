/**
 * The Metrics port: every module reports its card's monitoring metric through it. The default does
 * nothing; `backend-patterns/testing` has an in-memory recorder, and `backend-patterns/metrics/otel` and
 * `backend-patterns/metrics/prometheus` adapt it to real metric libraries.
 */

/** Label values of one measurement, e.g. `{ limiter: 'api', outcome: 'rejected' }`. */
export type MetricLabels = Readonly<Record<string, string>>;

/** Describes an instrument. Names use dots (`ratelimit.requests`); adapters translate for their backend. */
export interface InstrumentOptions {
  /** One line saying what is measured. */
  readonly description?: string;
  /** UCUM-style unit, e.g. `s`, `ms`, `By`, `{request}`. */
  readonly unit?: string;
  /** Every label this instrument may carry (Prometheus needs them up front). */
  readonly labelNames?: readonly string[];
}

/** Options of a histogram. */
export interface HistogramOptions extends InstrumentOptions {
  /** Bucket upper bounds, for backends that bucket (Prometheus). */
  readonly buckets?: readonly number[];
}

/** A monotonically increasing count. */
export interface Counter {
  /** Adds `value` (default 1, must be >= 0). */
  add(value?: number, labels?: MetricLabels): void;
}

/** A distribution of observed values (latencies, sizes). */
export interface Histogram {
  /** Records one observation. */
  record(value: number, labels?: MetricLabels): void;
}

/** A value that goes up and down (queue depth, lag). */
export interface Gauge {
  /** Sets the current value. */
  set(value: number, labels?: MetricLabels): void;
}

/** Factory of instruments. Asking twice for the same name returns an equivalent instrument. */
export interface Metrics {
  /** A counter named `name`. */
  counter(name: string, options?: InstrumentOptions): Counter;
  /** A histogram named `name`. */
  histogram(name: string, options?: HistogramOptions): Histogram;
  /** A gauge named `name`. */
  gauge(name: string, options?: InstrumentOptions): Gauge;
}

const noopInstrument = Object.freeze({ add() {}, record() {}, set() {} });

/** Metrics that go nowhere: the default of every module. */
export const noopMetrics: Metrics = Object.freeze({
  counter: () => noopInstrument,
  histogram: () => noopInstrument,
  gauge: () => noopInstrument,
});
