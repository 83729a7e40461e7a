import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { Registry } from 'prom-client';
import { describe, it } from 'vitest';
import type { MetricLabels } from '../../src/index.js';
import { createOtelMetrics } from '../../src/metrics/otel.js';
import { createPrometheusMetrics, toPrometheusName } from '../../src/metrics/prometheus.js';
import { createMemoryMetrics, metricsContract } from '../../src/testing/index.js';

const sameLabels = (a: Record<string, unknown>, b: MetricLabels) =>
  Object.keys(a).length === Object.keys(b).length && Object.entries(b).every(([k, v]) => a[k] === v);

metricsContract(
  { describe, it },
  {
    name: 'memory recorder',
    setup() {
      const metrics = createMemoryMetrics();
      return {
        subject: {
          metrics,
          readCounter: async (name, labels) => metrics.counterValue(name, labels),
          readHistogram: async (name, labels) => {
            const values = metrics.observations(name, labels);
            return { count: values.length, sum: values.reduce((a, b) => a + b, 0) };
          },
          readGauge: async (name, labels) => metrics.gaugeValue(name, labels),
        },
      };
    },
  },
);

class CollectingReader extends MetricReader {
  protected override async onForceFlush() {}
  protected override async onShutdown() {}
}

metricsContract(
  { describe, it },
  {
    name: 'OpenTelemetry (sdk-metrics reader)',
    setup() {
      const reader = new CollectingReader();
      const provider = new MeterProvider({ readers: [reader] });
      const metrics = createOtelMetrics({ meter: provider.getMeter('contract') });
      const point = async (name: string, labels: MetricLabels) => {
        const { resourceMetrics } = await reader.collect();
        const metric = resourceMetrics.scopeMetrics
          .flatMap((s) => s.metrics)
          .find((m) => m.descriptor.name === name);
        return metric?.dataPoints.find((p) => sameLabels(p.attributes, labels));
      };
      return {
        subject: {
          metrics,
          readCounter: async (name, labels) => Number((await point(name, labels))?.value ?? 0),
          readHistogram: async (name, labels) => {
            const value = (await point(name, labels))?.value as { count: number; sum?: number } | undefined;
            return { count: value?.count ?? 0, sum: value?.sum ?? 0 };
          },
          readGauge: async (name, labels) => {
            const value = (await point(name, labels))?.value;
            return value === undefined ? undefined : Number(value);
          },
        },
        close: () => provider.shutdown(),
      };
    },
  },
);

metricsContract(
  { describe, it },
  {
    name: 'Prometheus (prom-client registry text output)',
    setup() {
      const registry = new Registry();
      const metrics = createPrometheusMetrics({ registry });
      // Reads the exposition text a scraper would see, not prom-client internals.
      const sample = async (metricName: string, labels: MetricLabels) => {
        const text = await registry.metrics();
        const wanted = Object.entries(labels)
          .map(([k, v]) => `${k}="${v}"`)
          .sort()
          .join(',');
        for (const line of text.split('\n')) {
          const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{([^}]*)\})? (\S+)$/.exec(line);
          if (!match || match[1] !== metricName) continue;
          const got = (match[2] ?? '').split(',').filter(Boolean).sort().join(',');
          if (got === wanted) return Number(match[3]);
        }
        return undefined;
      };
      return {
        subject: {
          metrics,
          readCounter: async (name, labels) => (await sample(`${toPrometheusName(name)}_total`, labels)) ?? 0,
          readHistogram: async (name, labels) => ({
            count: (await sample(`${toPrometheusName(name)}_count`, labels)) ?? 0,
            sum: (await sample(`${toPrometheusName(name)}_sum`, labels)) ?? 0,
          }),
          readGauge: (name, labels) => sample(toPrometheusName(name), labels),
        },
      };
    },
  },
);

describe('prometheus adapter specifics', () => {
  it('two adapters on one registry share a metric instead of failing on re-registration', async () => {
    const registry = new Registry();
    createPrometheusMetrics({ registry })
      .counter('shared.count', { labelNames: ['a'] })
      .add(1, { a: 'x' });
    createPrometheusMetrics({ registry })
      .counter('shared.count', { labelNames: ['a'] })
      .add(2, { a: 'x' });
    const text = await registry.metrics();
    if (!text.includes('shared_count_total{a="x"} 3')) throw new Error(text);
  });
});
