/**
 * The uploads instruments on the in-memory recorder: names, label sets, units, and the size buckets at
 * each boundary (and for sizes that are not sizes).
 */
import { describe, expect, it } from 'vitest';
import type { Metrics } from '../../src/core/metrics.js';
import { createMemoryMetrics } from '../../src/testing/index.js';
import {
  SIZE_BUCKETS,
  sizeBucket,
  UPLOAD_DURATION_BUCKETS_S,
  UPLOAD_MODES,
  uploadInstruments,
} from '../../src/uploads/instruments.js';

const MiB = 1024 * 1024;

describe('sizeBucket', () => {
  it.each([
    [undefined, 'unknown'],
    [-1, 'unknown'],
    [Number.NaN, 'unknown'],
    [Number.POSITIVE_INFINITY, 'unknown'],
    [0, 'lt_1MiB'],
    [MiB - 1, 'lt_1MiB'],
    [MiB, '1MiB_10MiB'],
    [10 * MiB - 1, '1MiB_10MiB'],
    [10 * MiB, '10MiB_100MiB'],
    [100 * MiB - 1, '10MiB_100MiB'],
    [100 * MiB, '100MiB_1GiB'],
    [1024 * MiB - 1, '100MiB_1GiB'],
    [1024 * MiB, 'ge_1GiB'],
    [5 * 1024 ** 4, 'ge_1GiB'],
  ])('%s bytes → %s', (bytes, bucket) => {
    expect(sizeBucket(bytes)).toBe(bucket);
  });

  it('only ever returns a listed bucket', () => {
    for (let exp = 0; exp < 45; exp += 1) expect(SIZE_BUCKETS).toContain(sizeBucket(2 ** exp));
  });
});

describe('uploadInstruments', () => {
  it('declares the four instruments with their labels and units', () => {
    const declared: { kind: string; name: string; unit?: string; labels?: readonly string[] }[] = [];
    const recorder: Metrics = {
      counter: (name, o) => {
        declared.push({ kind: 'counter', name, unit: o?.unit, labels: o?.labelNames });
        return { add() {} };
      },
      histogram: (name, o) => {
        declared.push({ kind: 'histogram', name, unit: o?.unit, labels: o?.labelNames });
        expect(o?.buckets).toEqual(UPLOAD_DURATION_BUCKETS_S);
        return { record() {} };
      },
      gauge: () => ({ set() {} }),
    };
    uploadInstruments(recorder);
    expect(declared).toEqual([
      {
        kind: 'counter',
        name: 'uploads.attempts',
        unit: '{upload}',
        labels: ['policy', 'mode', 'size_bucket'],
      },
      {
        kind: 'counter',
        name: 'uploads.failures',
        unit: '{upload}',
        labels: ['policy', 'mode', 'size_bucket', 'reason'],
      },
      { kind: 'counter', name: 'uploads.bytes', unit: 'By', labels: ['policy', 'mode'] },
      { kind: 'histogram', name: 'uploads.duration', unit: 's', labels: ['policy', 'mode', 'outcome'] },
    ]);
  });

  it('records through the memory recorder (failure rate by size bucket)', () => {
    const metrics = createMemoryMetrics();
    const m = uploadInstruments(metrics);
    for (const mode of UPLOAD_MODES) m.attempts.add(1, { policy: 'p', mode });
    m.failures.add(1, { policy: 'p', mode: 'put', size_bucket: sizeBucket(5 * MiB), reason: 'type' });
    m.bytes.add(1234, { policy: 'p', mode: 'proxied' });
    m.duration.record(0.5, { policy: 'p', mode: 'post', outcome: 'stored' });
    expect(metrics.counterValue('uploads.attempts', { policy: 'p' })).toBe(4);
    expect(metrics.counterValue('uploads.failures', { size_bucket: '1MiB_10MiB', reason: 'type' })).toBe(1);
    expect(metrics.counterValue('uploads.bytes', { mode: 'proxied' })).toBe(1234);
    expect(metrics.observations('uploads.duration', { outcome: 'stored' })).toEqual([0.5]);
  });

  it('has duration buckets in increasing order, up to the one-hour total deadline', () => {
    expect([...UPLOAD_DURATION_BUCKETS_S].sort((a, b) => a - b)).toEqual(UPLOAD_DURATION_BUCKETS_S);
    expect(UPLOAD_DURATION_BUCKETS_S.at(-1)).toBe(3600);
  });
});
