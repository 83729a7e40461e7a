import assert from 'node:assert/strict';
import type { MetricLabels, Metrics } from '../../core/metrics.js';
import { type ContractOptions, type ContractTestApi, withFixture } from './test-api.js';

/** What a Metrics adapter under test exposes to the contract: the port and a way to read back. */
export interface MetricsContractSubject {
  readonly metrics: Metrics;
  /** Current total of a counter series with exactly these labels (0 if absent). */
  readCounter(name: string, labels: MetricLabels): Promise<number>;
  /** Count and sum of a histogram series with exactly these labels. */
  readHistogram(name: string, labels: MetricLabels): Promise<{ count: number; sum: number }>;
  /** Last value of a gauge series with exactly these labels (undefined if absent). */
  readGauge(name: string, labels: MetricLabels): Promise<number | undefined>;
}

/** Options of {@link metricsContract}: `setup(clock)` returns `{ subject, close? }` with a fresh adapter. */
export type MetricsContractOptions = ContractOptions<MetricsContractSubject>;

/**
 * The Metrics port contract: run it against every Metrics adapter (ours or yours).
 *
 * @example
 * ```ts
 * import { describe, it } from 'vitest';
 * metricsContract({ describe, it }, { name: 'memory', setup: () => ({ subject: memorySubject() }) });
 * ```
 */
export function metricsContract(t: ContractTestApi, options: MetricsContractOptions): void {
  const withSubject = (body: (s: MetricsContractSubject) => Promise<void>) =>
    withFixture(options.setup, body);
  const labelNames = ['limiter', 'outcome'];

  t.describe(`Metrics contract: ${options.name}`, () => {
    t.it(
      'counters add per label set, default increment 1',
      withSubject(async (s) => {
        const c = s.metrics.counter('contract.requests', { description: 'requests', labelNames });
        c.add(1, { limiter: 'api', outcome: 'allowed' });
        c.add(undefined, { limiter: 'api', outcome: 'allowed' });
        c.add(5, { limiter: 'api', outcome: 'rejected' });
        assert.equal(await s.readCounter('contract.requests', { limiter: 'api', outcome: 'allowed' }), 2);
        assert.equal(await s.readCounter('contract.requests', { limiter: 'api', outcome: 'rejected' }), 5);
      }),
    );
    t.it(
      'asking twice for one name returns the same series',
      withSubject(async (s) => {
        s.metrics.counter('contract.twice', { labelNames }).add(1, { limiter: 'a', outcome: 'x' });
        s.metrics.counter('contract.twice', { labelNames }).add(2, { limiter: 'a', outcome: 'x' });
        assert.equal(await s.readCounter('contract.twice', { limiter: 'a', outcome: 'x' }), 3);
      }),
    );
    t.it(
      'histograms keep count and sum',
      withSubject(async (s) => {
        const h = s.metrics.histogram('contract.duration', { unit: 's', labelNames: ['op'] });
        for (const v of [0.1, 0.2, 0.7]) h.record(v, { op: 'get' });
        const read = await s.readHistogram('contract.duration', { op: 'get' });
        assert.equal(read.count, 3);
        assert.ok(Math.abs(read.sum - 1) < 1e-9, `sum ${read.sum} != 1`);
      }),
    );
    t.it(
      'gauges keep the last value set',
      withSubject(async (s) => {
        const g = s.metrics.gauge('contract.depth', { labelNames: ['queue'] });
        g.set(10, { queue: 'q' });
        g.set(3, { queue: 'q' });
        assert.equal(await s.readGauge('contract.depth', { queue: 'q' }), 3);
      }),
    );
  });
}
