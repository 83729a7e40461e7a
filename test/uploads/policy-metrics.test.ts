/**
 * The card's metric as the policy emits it: one attempt per upload started, each failure counted once
 * (whatever layer saw it), with bounded labels (mode, size_bucket, reason), bytes on success.
 */
import { describe, expect, it } from 'vitest';
import { SIZE_BUCKETS, UPLOAD_MODES } from '../../src/uploads/instruments.js';
import { harness, KiB, markerScanner, OWNER, pdf, send, text } from './policy-fixtures.js';

describe('uploads metrics', () => {
  it('attempts, failures (once each, bounded labels) and bytes', async () => {
    const h = harness({ scan: { scanner: markerScanner() } });
    const start = (contentType: string, sizeBytes: number, mode: 'put' | 'post' | 'multipart' = 'put') =>
      h.policy.startDirect({ owner: OWNER, filename: 'f', contentType, sizeBytes, mode });
    const fail = (p: Promise<unknown>) =>
      p.then(
        () => 'resolved',
        (e: { code: string }) => e.code,
      );

    const ok = await start('text/plain', 2 * KiB);
    send(h, ok, text(2 * KiB));
    await h.policy.finalize(OWNER, ok.uploadId);

    const spoofed = await start('image/png', 300);
    send(h, spoofed, pdf(300));
    expect(await fail(h.policy.finalize(OWNER, spoofed.uploadId))).toBe('ERR_UPLOAD_TYPE_MISMATCH');

    const infected = await start('text/plain', 4, 'post');
    send(h, infected, new TextEncoder().encode('EVIL'));
    expect(await fail(h.policy.finalize(OWNER, infected.uploadId))).toBe('ERR_UPLOAD_INFECTED');

    expect(await fail(start('image/gif', 10))).toBe('ERR_UPLOAD_TYPE');
    expect(await fail(start('text/plain', 2 * 1024 * KiB, 'multipart'))).toBe('ERR_UPLOAD_TOO_LARGE');

    const aborted = await start('text/plain', 20 * KiB, 'multipart');
    await h.policy.abort(OWNER, aborted.uploadId);

    expect(h.metrics.counterValue('uploads.attempts')).toBe(6);
    expect(h.metrics.counterValue('uploads.attempts', { mode: 'put' })).toBe(3);
    expect(h.metrics.counterValue('uploads.attempts', { mode: 'post' })).toBe(1);
    expect(h.metrics.counterValue('uploads.attempts', { mode: 'multipart' })).toBe(2);
    expect(h.metrics.counterValue('uploads.failures')).toBe(5);
    expect(
      h.metrics.counterValue('uploads.failures', {
        reason: 'type_mismatch',
        mode: 'put',
        size_bucket: 'lt_1MiB',
      }),
    ).toBe(1);
    expect(h.metrics.counterValue('uploads.failures', { reason: 'infected', mode: 'post' })).toBe(1);
    expect(
      h.metrics.counterValue('uploads.failures', { reason: 'too_large', size_bucket: '1MiB_10MiB' }),
    ).toBe(1);
    expect(h.metrics.counterValue('uploads.failures', { reason: 'aborted', mode: 'multipart' })).toBe(1);
    expect(h.metrics.counterValue('uploads.bytes')).toBe(2 * KiB);
    // The failure rate by size: both counters bucket by the declared size, so every failure has its attempt
    // in the same bucket (an SVG refused at the declaration is not `unknown`; 2 MiB is 1MiB_10MiB on both).
    for (const bucket of SIZE_BUCKETS) {
      const failures = h.metrics.counterValue('uploads.failures', { size_bucket: bucket });
      expect(failures).toBeLessThanOrEqual(
        h.metrics.counterValue('uploads.attempts', { size_bucket: bucket }),
      );
    }
    expect(h.metrics.counterValue('uploads.attempts', { size_bucket: '1MiB_10MiB' })).toBe(1);
    expect(h.metrics.counterValue('uploads.failures', { size_bucket: 'unknown' })).toBe(0);
    for (const series of h.metrics.snapshot().filter((s) => s.name.startsWith('uploads.'))) {
      if (series.labels.mode !== undefined) expect(UPLOAD_MODES).toContain(series.labels.mode);
      if (series.labels.size_bucket !== undefined) expect(SIZE_BUCKETS).toContain(series.labels.size_bucket);
      expect(series.labels.policy).toBe('uploads');
    }
    expect(h.metrics.observations('uploads.duration', { outcome: 'stored' })).toHaveLength(1);
    expect(h.metrics.observations('uploads.duration', { outcome: 'rejected' }).length).toBeGreaterThanOrEqual(
      3,
    );
  });
});
