/**
 * Metrics port adapter for OpenTelemetry: pass a `Meter` from `@opentelemetry/api` and every module's
 * metric becomes an OTel instrument with the same dotted name.
 */
import type { Attributes, Meter } from '@opentelemetry/api';
import type { Counter, Gauge, Histogram, MetricLabels, Metrics } from '../core/metrics.js';
import { defineOptions, opt } from '../core/options.js';

/** Options of {@link createOtelMetrics}. */
export interface OtelMetricsOptions {
  /** The meter instruments are created on, e.g. `metrics.getMeter('my-service')`. */
  readonly meter: Meter;
}

const parseOptions = defineOptions('createOtelMetrics', {
  meter: opt.port<Meter>(['createCounter', 'createHistogram', 'createGauge'], 'required'),
});

/**
 * Adapts an OpenTelemetry `Meter` to the Metrics port. Instruments are created once per name.
 *
 * @example
 * ```ts
 * import { metrics as otel } from '@opentelemetry/api';
 * const metrics = createOtelMetrics({ meter: otel.getMeter('api') });
 * ```
 */
export function createOtelMetrics(options: OtelMetricsOptions): Metrics {
  const { meter } = parseOptions(options);
  const counters = new Map<string, Counter>();
  const histograms = new Map<string, Histogram>();
  const gauges = new Map<string, Gauge>();
  const attrs = (labels?: MetricLabels): Attributes | undefined => labels;

  return {
    counter(name, o = {}) {
      let c = counters.get(name);
      if (!c) {
        const inner = meter.createCounter(name, { description: o.description, unit: o.unit });
        c = { add: (value = 1, labels) => inner.add(value, attrs(labels)) };
        counters.set(name, c);
      }
      return c;
    },
    histogram(name, o = {}) {
      let h = histograms.get(name);
      if (!h) {
        const inner = meter.createHistogram(name, {
          description: o.description,
          unit: o.unit,
          advice: o.buckets ? { explicitBucketBoundaries: [...o.buckets] } : undefined,
        });
        h = { record: (value, labels) => inner.record(value, attrs(labels)) };
        histograms.set(name, h);
      }
      return h;
    },
    gauge(name, o = {}) {
      let g = gauges.get(name);
      if (!g) {
        const inner = meter.createGauge(name, { description: o.description, unit: o.unit });
        g = { set: (value, labels) => inner.record(value, attrs(labels)) };
        gauges.set(name, g);
      }
      return g;
    },
  };
}
