import type { Clock } from './clock.js';
import { InvalidArgumentError } from './errors.js';
import type { HistogramOptions, InstrumentOptions, MetricLabels, Metrics } from './metrics.js';
import { defineOptions, opt } from './options.js';

/** Kind of an instrument held by the memory recorder. */
export type InstrumentKind = 'counter' | 'histogram' | 'gauge';

/** One recorded measurement. */
export interface MetricSample {
  readonly atMs: number;
  readonly value: number;
  readonly labels: MetricLabels;
}

/** A snapshot line of the memory recorder. */
export interface MetricSeriesSnapshot {
  readonly name: string;
  readonly kind: InstrumentKind;
  readonly labels: MetricLabels;
  /** Counter: total; gauge: last value; histogram: number of observations. */
  readonly value: number;
}

/** An in-memory `Metrics` that can be read back, for tests, demos and examples. */
export interface MemoryMetrics extends Metrics {
  /** Sum of a counter over every series whose labels include `labels`. */
  counterValue(name: string, labels?: MetricLabels): number;
  /** Per-second rate of a counter over the last `windowMs` of the recorder's clock. */
  rate(name: string, windowMs: number, labels?: MetricLabels): number;
  /** The `p`-th percentile (0..100, nearest rank) of a histogram, or `undefined` with no observations. */
  percentile(name: string, p: number, labels?: MetricLabels): number | undefined;
  /** All observations of a histogram. */
  observations(name: string, labels?: MetricLabels): number[];
  /** Last value of a gauge (the most recent series matching `labels`), or `undefined`. */
  gaugeValue(name: string, labels?: MetricLabels): number | undefined;
  /** Every series, for printing. */
  snapshot(): MetricSeriesSnapshot[];
  /** Forgets everything. */
  reset(): void;
}

/** Options of {@link createMemoryMetrics}. */
export interface MemoryMetricsOptions {
  /** Clock stamping each sample (for `rate`). Default: the system clock. */
  readonly clock?: Clock;
  /** Samples kept per series; older ones are dropped from `rate` and `percentile`. Default 100 000. */
  readonly maxSamplesPerSeries?: number;
}

const parseOptions = defineOptions('createMemoryMetrics', {
  clock: opt.clock(),
  maxSamplesPerSeries: opt.integer({ default: 100_000, max: 100_000_000 }),
});

interface Series {
  readonly name: string;
  readonly kind: InstrumentKind;
  readonly labels: MetricLabels;
  total: number;
  last: number;
  samples: MetricSample[];
}

const seriesKey = (name: string, labels: MetricLabels) =>
  `${name}|${Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join(',')}`;

const matches = (series: Series, name: string, labels: MetricLabels | undefined) =>
  series.name === name && Object.entries(labels ?? {}).every(([k, v]) => series.labels[k] === v);

/**
 * Creates an in-memory metrics recorder.
 *
 * @example
 * ```ts
 * const metrics = createMemoryMetrics();
 * const limiter = createRateLimiter({ name: 'api', algorithm: fixedWindow({ limit: 1, windowMs: 1000 }), metrics });
 * await limiter.limit('u1'); await limiter.limit('u1');
 * metrics.counterValue('ratelimit.requests', { outcome: 'rejected' }); // 1
 * ```
 */
export function createMemoryMetrics(options: MemoryMetricsOptions = {}): MemoryMetrics {
  const { clock, maxSamplesPerSeries: maxSamples } = parseOptions(options);
  const series = new Map<string, Series>();

  const record = (kind: InstrumentKind, name: string, value: number, labels: MetricLabels = {}) => {
    if (!Number.isFinite(value)) throw new InvalidArgumentError(`metric \`${name}\` got a non-finite value`);
    if (kind === 'counter' && value < 0)
      throw new InvalidArgumentError(`counter \`${name}\` cannot decrease`);
    const key = seriesKey(name, labels);
    let entry = series.get(key);
    if (!entry) {
      entry = { name, kind, labels: { ...labels }, total: 0, last: 0, samples: [] };
      series.set(key, entry);
    }
    entry.total += value;
    entry.last = value;
    entry.samples.push({ atMs: clock.now(), value, labels: entry.labels });
    if (entry.samples.length > maxSamples) entry.samples.splice(0, entry.samples.length - maxSamples);
  };

  const matching = (name: string, labels?: MetricLabels) =>
    [...series.values()].filter((s) => matches(s, name, labels));

  const observations = (name: string, labels?: MetricLabels) =>
    matching(name, labels).flatMap((s) => s.samples.map((x) => x.value));

  return {
    counter: (name: string, _options?: InstrumentOptions) => ({
      add: (value = 1, labels) => record('counter', name, value, labels),
    }),
    histogram: (name: string, _options?: HistogramOptions) => ({
      record: (value, labels) => record('histogram', name, value, labels),
    }),
    gauge: (name: string, _options?: InstrumentOptions) => ({
      set: (value, labels) => record('gauge', name, value, labels),
    }),
    counterValue: (name, labels) => matching(name, labels).reduce((sum, s) => sum + s.total, 0),
    rate(name, windowMs, labels) {
      if (!(windowMs > 0)) throw new InvalidArgumentError('`windowMs` must be > 0');
      const since = clock.now() - windowMs;
      const sum = matching(name, labels)
        .flatMap((s) => s.samples)
        .filter((x) => x.atMs > since)
        .reduce((acc, x) => acc + x.value, 0);
      return sum / (windowMs / 1000);
    },
    percentile(name, p, labels) {
      if (!(p >= 0 && p <= 100)) throw new InvalidArgumentError('`p` must be within 0..100');
      const values = observations(name, labels).sort((a, b) => a - b);
      if (values.length === 0) return undefined;
      const rank = Math.max(1, Math.ceil((p / 100) * values.length));
      return values[rank - 1];
    },
    observations,
    gaugeValue(name, labels) {
      const found = matching(name, labels)
        .map((s) => s.samples.at(-1))
        .filter((x): x is MetricSample => x !== undefined)
        .sort((a, b) => a.atMs - b.atMs);
      return found.at(-1)?.value;
    },
    snapshot: () =>
      [...series.values()].map((s) => ({
        name: s.name,
        kind: s.kind,
        labels: s.labels,
        value: s.kind === 'counter' ? s.total : s.kind === 'gauge' ? s.last : s.samples.length,
      })),
    reset: () => series.clear(),
  };
}
