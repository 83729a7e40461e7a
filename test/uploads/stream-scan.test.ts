/**
 * The scanner tee: the scanner reads exactly the bytes pushed; a slow scanner holds the producer back
 * through the bounded queue; an early verdict (too large from the declared size, infected mid-way) is
 * reported at once and later pushes no longer wait; a scanner that throws, answers garbage or says `clean`
 * before reading everything is `unavailable`; cancelling ends the scanner's stream.
 */
import { describe, expect, it } from 'vitest';
import { startScanTee } from '../../src/uploads/stream-scan.js';
import type { ByteSource, ScanVerdict, VirusScanner } from '../../src/uploads/types.js';
import { patternBytes, settle, testScanner } from './stream-helpers.js';

function tee(scanner: VirusScanner, extra: { sizeBytes?: number; maxQueuedBytes?: number } = {}) {
  const control = new AbortController();
  const early: ScanVerdict[] = [];
  const t = startScanTee({ scanner, signal: control.signal, onEarlyVerdict: (v) => early.push(v), ...extra });
  return { t, control, early };
}

describe('startScanTee', () => {
  it('streams every pushed byte to the scanner and returns its verdict', async () => {
    const scanner = testScanner();
    const { t, early } = tee(scanner, { sizeBytes: 300_000 });
    for (let i = 0; i < 10; i++) await t.push(patternBytes(30_000));
    t.end();
    expect(await t.verdict).toEqual({ status: 'clean' });
    expect(scanner.readBytes).toBe(300_000);
    expect(scanner.lastOptions?.sizeBytes).toBe(300_000);
    expect(early).toEqual([]);
  });

  it('a slow scanner holds the producer back: never more than the bound (plus one chunk) queued', async () => {
    const scanner = testScanner({ chunkDelayMs: 2 });
    const { t } = tee(scanner, { maxQueuedBytes: 10_000 });
    let maxAhead = 0;
    for (let i = 0; i < 40; i++) {
      await t.push(patternBytes(4_000));
      maxAhead = Math.max(maxAhead, (i + 1) * 4_000 - scanner.readBytes);
    }
    t.end();
    expect(await t.verdict).toEqual({ status: 'clean' });
    expect(maxAhead).toBeLessThanOrEqual(10_000 + 2 * 4_000);
  });

  it('too_large from the declared size arrives early; pushes after it are dropped without waiting', async () => {
    const scanner = testScanner({ maxScanBytes: 1000 });
    const { t, early } = tee(scanner, { sizeBytes: 5000, maxQueuedBytes: 10 });
    await t.push(patternBytes(100));
    await settle();
    expect(early).toEqual([{ status: 'too_large', limitBytes: 1000 }]);
    for (let i = 0; i < 50; i++) await t.push(patternBytes(100)); // would block on a 10-byte queue
    t.end();
    expect(await t.verdict).toEqual({ status: 'too_large', limitBytes: 1000 });
    expect(scanner.readBytes).toBe(0);
  });

  it('infected mid-way is reported before the end of the body', async () => {
    const { t, early } = tee(testScanner());
    await t.push(Buffer.from('harmless '));
    await t.push(Buffer.from('VIR'));
    await t.push(Buffer.from('US and more'));
    await settle();
    expect(early).toEqual([{ status: 'infected', signature: 'Test.Virus' }]);
    await t.push(patternBytes(10));
    t.end();
    expect(await t.verdict).toMatchObject({ status: 'infected' });
  });

  it('a scanner that throws, answers garbage or is clean too early is unavailable, never clean', async () => {
    const thrower = tee(testScanner({ throws: true }));
    thrower.t.end();
    expect(await thrower.t.verdict).toMatchObject({ status: 'unavailable', reason: /scanner exploded/ });

    for (const garbage of [undefined, null, 'clean', { status: 'CLEAN' }, { status: 'ok' }]) {
      const scanner: VirusScanner = {
        name: 'bad',
        maxScanBytes: 100,
        scan: async () => garbage as ScanVerdict,
      };
      const { t } = tee(scanner);
      t.end();
      expect(await t.verdict).toMatchObject({ status: 'unavailable' });
    }

    const hasty: VirusScanner = {
      name: 'hasty',
      maxScanBytes: 1 << 20,
      async scan(source: ByteSource) {
        for await (const _chunk of source) return { status: 'clean' };
        return { status: 'clean' };
      },
    };
    const { t, early } = tee(hasty);
    await t.push(patternBytes(10));
    await settle();
    expect(early).toEqual([
      { status: 'unavailable', reason: expect.stringMatching(/before reading the whole body/) },
    ]);
    t.end();
    expect(await t.verdict).toMatchObject({ status: 'unavailable' });
  });

  it('an infected verdict without a signature name still counts as infected', async () => {
    const scanner: VirusScanner = {
      name: 'terse',
      maxScanBytes: 100,
      scan: async () => ({ status: 'infected' }) as unknown as ScanVerdict,
    };
    const { t } = tee(scanner);
    t.end();
    expect(await t.verdict).toEqual({ status: 'infected', signature: 'unknown' });
  });

  it('cancelling ends the stream the scanner reads, and its verdict is not clean', async () => {
    const scanner = testScanner();
    const { t, control, early } = tee(scanner);
    await t.push(patternBytes(10));
    control.abort(new Error('gone'));
    expect((await t.verdict).status).toBe('unavailable');
    expect(early).toEqual([]);
    await t.push(patternBytes(10)); // dropped, does not wait
  });
});
