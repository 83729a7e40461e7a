import { describe, expect, it } from 'vitest';
import { createManualClock, createMemoryMetrics } from '../../src/testing/index.js';

describe('memory metrics recorder', () => {
  it('sums counters over label subsets', () => {
    const metrics = createMemoryMetrics();
    const c = metrics.counter('ratelimit.requests', { labelNames: ['limiter', 'outcome'] });
    c.add(1, { limiter: 'a', outcome: 'allowed' });
    c.add(2, { limiter: 'a', outcome: 'rejected' });
    c.add(4, { limiter: 'b', outcome: 'rejected' });
    expect(metrics.counterValue('ratelimit.requests')).toBe(7);
    expect(metrics.counterValue('ratelimit.requests', { outcome: 'rejected' })).toBe(6);
    expect(metrics.counterValue('ratelimit.requests', { limiter: 'a', outcome: 'rejected' })).toBe(2);
    expect(metrics.counterValue('missing')).toBe(0);
  });

  it('computes per-second rates over a window of its clock', () => {
    const clock = createManualClock(0);
    const metrics = createMemoryMetrics({ clock });
    const c = metrics.counter('x');
    for (let i = 0; i < 10; i++) {
      c.add();
      clock.advance(1000);
    }
    // samples at t=0..9000; now=10000; the last 5 s hold t=5001..10000 → 5 samples... t=6000..9000 → 4
    expect(metrics.rate('x', 5000)).toBeCloseTo(4 / 5);
    expect(metrics.rate('x', 60_000)).toBeCloseTo(10 / 60);
  });

  it('reports nearest-rank percentiles and gauges', () => {
    const metrics = createMemoryMetrics();
    const h = metrics.histogram('latency');
    for (let v = 1; v <= 100; v++) h.record(v);
    expect(metrics.percentile('latency', 50)).toBe(50);
    expect(metrics.percentile('latency', 99)).toBe(99);
    expect(metrics.percentile('latency', 100)).toBe(100);
    expect(metrics.percentile('none', 50)).toBeUndefined();
    const g = metrics.gauge('depth');
    g.set(3, { q: 'a' });
    g.set(1, { q: 'a' });
    expect(metrics.gaugeValue('depth', { q: 'a' })).toBe(1);
    expect(metrics.snapshot()).toContainEqual({ name: 'depth', kind: 'gauge', labels: { q: 'a' }, value: 1 });
  });

  it('rejects hostile values', () => {
    const metrics = createMemoryMetrics();
    expect(() => metrics.counter('c').add(-1)).toThrow(/cannot decrease/);
    expect(() => metrics.histogram('h').record(Number.NaN)).toThrow(/non-finite/);
    expect(() => metrics.rate('c', 0)).toThrow(/windowMs/);
    expect(() => metrics.percentile('h', 101)).toThrow(/0\.\.100/);
  });
});
