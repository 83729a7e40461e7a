/**
 * proxyUpload with a scanner on the port (the e2e file runs real clamd): clean is stored as clean,
 * infected is 422 with nothing left, unavailable and too-large-to-scan are refused by default and stored
 * with their own `scan` value when the policy accepts them.
 */
import { describe, expect, it } from 'vitest';
import { UploadRejectedError } from '../../src/uploads/errors.js';
import type { ScanVerdict } from '../../src/uploads/types.js';
import { markerScanner } from './policy-fixtures.js';
import { bodyOf, cut, expectNothingLeft, KiB, png, proxyHarness } from './proxy-helpers.js';

async function rejection(promise: Promise<unknown>): Promise<UploadRejectedError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UploadRejectedError);
  return error as UploadRejectedError;
}

describe('proxyUpload with a scanner', () => {
  it('a clean body is scanned whole and stored as clean', async () => {
    const scanner = markerScanner();
    const h = proxyHarness({ scan: { scanner } });
    const file = await h.proxy({ body: bodyOf(cut(png(8 * KiB), KiB)) });
    expect(file.scan).toBe('clean');
    expect(scanner.scans).toBe(1);
  });

  it('infected: 422 with the signature, nothing left', async () => {
    const h = proxyHarness({ scan: { scanner: markerScanner() } });
    const body = Buffer.concat([Buffer.from(png(4 * KiB)), Buffer.from('EVIL'), Buffer.from(png(2 * KiB))]);
    const error = await rejection(h.proxy({ body: bodyOf(cut(body, KiB)) }));
    expect(error).toMatchObject({
      code: 'ERR_UPLOAD_INFECTED',
      httpStatus: 422,
      details: { signature: 'Marker.EVIL' },
    });
    await expectNothingLeft(h);
  });

  it('scanner unavailable: refused by default (503), stored as accepted_unavailable when the policy says so', async () => {
    const down = (): ScanVerdict => ({ status: 'unavailable', reason: 'down' });
    const strict = proxyHarness({ scan: { scanner: markerScanner(down) } });
    expect(await rejection(strict.proxy({ body: bodyOf([png(2 * KiB)]) }))).toMatchObject({
      code: 'ERR_UPLOAD_SCAN_UNAVAILABLE',
      httpStatus: 503,
    });
    await expectNothingLeft(strict);
    const lenient = proxyHarness({ scan: { scanner: markerScanner(down), onUnavailable: 'accept' } });
    expect((await lenient.proxy({ body: bodyOf([png(2 * KiB)]) })).scan).toBe('accepted_unavailable');
  });

  it('declared over the scan limit: refused early, or stored as accepted_too_large when allowed', async () => {
    const tooLarge = (): ScanVerdict => ({ status: 'too_large', limitBytes: KiB });
    const strict = proxyHarness({ scan: { scanner: markerScanner(tooLarge, KiB) } });
    const error = await rejection(
      strict.proxy({ body: bodyOf(cut(png(10 * KiB), KiB)), sizeBytes: 10 * KiB }),
    );
    expect(error).toMatchObject({ code: 'ERR_UPLOAD_SCAN_TOO_LARGE', httpStatus: 413 });
    await expectNothingLeft(strict);
    const lenient = proxyHarness({ scan: { scanner: markerScanner(tooLarge, KiB), onTooLarge: 'accept' } });
    const file = await lenient.proxy({ body: bodyOf(cut(png(10 * KiB), KiB)), sizeBytes: 10 * KiB });
    expect(file.scan).toBe('accepted_too_large');
  });
});
