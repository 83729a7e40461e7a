/**
 * Metrics port adapter for prom-client. Dotted names become Prometheus names (`ratelimit.requests` →
 * `ratelimit_requests_total` for a counter), registered on the registry you pass.
 */
import type { Registry } from 'prom-client';
import * as prom from 'prom-client';
import type { Counter, Gauge, Histogram, InstrumentOptions, MetricLabels, Metrics } from '../core/metrics.js';
import { defineOptions, opt } from '../core/options.js';

/** Options of {@link createPrometheusMetrics}. */
export interface PrometheusMetricsOptions {
  /** Registry to register on. Default: prom-client's global `register`. */
  readonly registry?: Registry;
  /** Prepended to every name, e.g. `myapp_`. Default: none. */
  readonly prefix?: string;
}

/** Prometheus name of a dotted metric name: dots and dashes become underscores. */
export function toPrometheusName(name: string, prefix = ''): string {
  return `${prefix}${name}`.replace(/[^a-zA-Z0-9_:]/g, '_');
}

const PROMETHEUS_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

const parseOptions = defineOptions('createPrometheusMetrics', {
  registry: opt.port<Registry>(['registerMetric', 'getSingleMetric']),
  prefix: opt.matching(PROMETHEUS_NAME, 'a string matching [a-zA-Z_:][a-zA-Z0-9_:]*', { default: '' }),
});

const help = (name: string, o: InstrumentOptions) => o.description ?? `${name} (backend-patterns)`;
const plain = (labels?: MetricLabels): Record<string, string> => (labels ? { ...labels } : {});

/**
 * Adapts a prom-client registry to the Metrics port. Each instrument must declare its `labelNames`
 * (modules of this library always do), as Prometheus fixes label names at registration.
 *
 * @example
 * ```ts
 * import { Registry } from 'prom-client';
 * const registry = new Registry();
 * const metrics = createPrometheusMetrics({ registry });
 * // GET /metrics → res.end(await registry.metrics())
 * ```
 */
export function createPrometheusMetrics(options: PrometheusMetricsOptions = {}): Metrics {
  const parsed = parseOptions(options);
  const registry = parsed.registry ?? prom.register;
  const prefix = parsed.prefix;
  const cache = new Map<string, Counter | Histogram | Gauge>();

  const reuse = <T>(key: string, make: () => T): T => {
    const found = cache.get(key);
    if (found) return found as T;
    const made = make();
    cache.set(key, made as Counter);
    return made;
  };
  // Two adapters (or two app instances) on one registry share the registered metric instead of failing.
  const registered = <M>(metricName: string, create: () => M): M =>
    (registry.getSingleMetric(metricName) as M | undefined) ?? create();

  return {
    counter: (name, o = {}) =>
      reuse(`c:${name}`, () => {
        const metricName = `${toPrometheusName(name, prefix).replace(/_total$/, '')}_total`;
        const inner = registered(
          metricName,
          () =>
            new prom.Counter({
              name: metricName,
              help: help(name, o),
              labelNames: [...(o.labelNames ?? [])],
              registers: [registry],
            }),
        );
        return { add: (value = 1, labels?: MetricLabels) => inner.inc(plain(labels), value) };
      }),
    histogram: (name, o = {}) =>
      reuse(`h:${name}`, () => {
        const metricName = toPrometheusName(name, prefix);
        const inner = registered(
          metricName,
          () =>
            new prom.Histogram({
              name: metricName,
              help: help(name, o),
              labelNames: [...(o.labelNames ?? [])],
              registers: [registry],
              ...(o.buckets ? { buckets: [...o.buckets] } : {}),
            }),
        );
        return { record: (value: number, labels?: MetricLabels) => inner.observe(plain(labels), value) };
      }),
    gauge: (name, o = {}) =>
      reuse(`g:${name}`, () => {
        const metricName = toPrometheusName(name, prefix);
        const inner = registered(
          metricName,
          () =>
            new prom.Gauge({
              name: metricName,
              help: help(name, o),
              labelNames: [...(o.labelNames ?? [])],
              registers: [registry],
            }),
        );
        return { set: (value: number, labels?: MetricLabels) => inner.set(plain(labels), value) };
      }),
  };
}
