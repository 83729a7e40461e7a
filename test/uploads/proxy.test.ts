/**
 * proxyUpload on the memory store and quota: a good body is promoted with its sniffed type and settled to
 * its real size; every refusal (spoofed type, too large, longer or shorter than declared, empty, quota,
 * infected, scanner down or too small, store failure, caller abort, idle deadline) leaves nothing behind:
 * no final or quarantine object, no open multipart upload, the reservation released, counted once.
 */
import { describe, expect, it } from 'vitest';
import { UploadRejectedError } from '../../src/uploads/errors.js';
import { bodyOf, cut, expectNothingLeft, KiB, OWNER, pdf, png, proxyHarness, text } from './proxy-helpers.js';
import { settle } from './stream-helpers.js';

async function rejection(promise: Promise<unknown>): Promise<UploadRejectedError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UploadRejectedError);
  return error as UploadRejectedError;
}

describe('proxyUpload: success', () => {
  it('stores a multi-part body under the final prefix with the sniffed type, settled to its size', async () => {
    const h = proxyHarness();
    const body = png(10 * KiB + 7);
    const file = await h.proxy({ body: bodyOf(cut(body, 700)), filename: '../../etc/photo.png' });
    expect(file).toMatchObject({
      owner: OWNER,
      sizeBytes: body.length,
      contentType: 'image/png',
      scan: 'not_scanned',
    });
    expect(file.key.startsWith('files/')).toBe(true);
    expect(file.filename).not.toContain('/');
    expect(h.counts.partsWritten).toBe(11);
    const stored = await h.storage.readRange(file.key, 0, body.length - 1);
    expect(Buffer.compare(Buffer.from(stored), Buffer.from(body))).toBe(0);
    expect((await h.storage.head(file.key))?.contentType).toBe('image/png');
    await expectNothingLeft(h, body.length, [file.key]);
    expect(h.metrics.counterValue('uploads.attempts', { mode: 'proxied' })).toBe(1);
    expect(h.metrics.counterValue('uploads.failures')).toBe(0);
  });

  it('undeclared size: the type limit is reserved while streaming, the actual size charged after', async () => {
    const h = proxyHarness();
    let release: (() => void) | undefined;
    const gate = () =>
      new Promise<void>((r) => {
        release = r;
      });
    const body = text(5 * KiB);
    const upload = h.proxy({ contentType: 'text/plain', body: bodyOf(cut(body, 4 * KiB), gate) });
    for (let i = 0; i < 50 && release === undefined; i++) await settle(1);
    expect(await h.usage()).toEqual({ usedBytes: 0, reservedBytes: 100 * KiB });
    release?.();
    const file = await upload;
    expect(file.contentType).toBe('text/plain');
    expect(await h.usage()).toEqual({ usedBytes: 5 * KiB, reservedBytes: 0 });
  });

  it('a declared size is what is reserved; a body shorter than one part is one part', async () => {
    const h = proxyHarness();
    const file = await h.proxy({ body: bodyOf([png(300)]), sizeBytes: 300 });
    expect(file.sizeBytes).toBe(300);
    expect(h.counts.partsWritten).toBe(1);
    expect(await h.usage()).toEqual({ usedBytes: 300, reservedBytes: 0 });
  });

  it('SVG with svg: attachment is checked whole and stored with an attachment disposition', async () => {
    const h = proxyHarness({ types: { 'image/svg+xml': {} }, svg: 'attachment' });
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"><rect/></svg>');
    const file = await h.proxy({
      contentType: 'image/svg+xml',
      filename: 'logo.svg',
      body: bodyOf(cut(svg, 10)),
    });
    expect(file.contentType).toBe('image/svg+xml');
    expect(file.contentDisposition).toMatch(/^attachment/);
  });
});

describe('proxyUpload: refusals leave nothing behind', () => {
  it('spoofed type: 415 before any multipart upload was opened', async () => {
    const h = proxyHarness();
    const error = await rejection(
      h.proxy({ contentType: 'image/png', body: bodyOf(cut(pdf(8 * KiB), KiB)) }),
    );
    expect(error).toMatchObject({ code: 'ERR_UPLOAD_TYPE_MISMATCH', httpStatus: 415 });
    expect(h.counts.writersOpened).toBe(0);
    await expectNothingLeft(h);
    expect(h.metrics.counterValue('uploads.failures', { mode: 'proxied', reason: 'type_mismatch' })).toBe(1);
  });

  it('SVG with script is refused before storage; an SVG over the check limit is 413', async () => {
    const h = proxyHarness(
      {
        types: { 'image/svg+xml': {} },
        svg: 'attachment',
        maxBytes: 4 * 1024 * KiB,
        partSizeBytes: 64 * KiB,
      },
      8 * 1024 * KiB,
    );
    const evil = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');
    const refused = await rejection(h.proxy({ contentType: 'image/svg+xml', body: bodyOf([evil]) }));
    expect(refused.httpStatus).toBeGreaterThanOrEqual(400);
    const big = Buffer.concat([
      Buffer.from('<svg xmlns="http://www.w3.org/2000/svg">'),
      Buffer.alloc(1024 * KiB + 10, 0x20),
    ]);
    const tooBig = await rejection(
      h.proxy({ contentType: 'image/svg+xml', body: bodyOf(cut(big, 64 * KiB)) }),
    );
    expect(tooBig).toMatchObject({ code: 'ERR_UPLOAD_TOO_LARGE' });
    expect(h.counts.writersOpened).toBe(0);
    await expectNothingLeft(h);
  });

  it('over the type limit without a declared size: 413 mid-body, the rest never read', async () => {
    const h = proxyHarness();
    let pulled = 0;
    async function* endless() {
      const chunk = pdf(KiB);
      for (;;) {
        pulled += chunk.length;
        yield chunk;
      }
    }
    const error = await rejection(h.proxy({ contentType: 'application/pdf', body: endless() }));
    expect(error).toMatchObject({
      code: 'ERR_UPLOAD_TOO_LARGE',
      httpStatus: 413,
      details: { limitBytes: 20 * KiB },
    });
    expect(pulled).toBe(21 * KiB);
    await expectNothingLeft(h);
    // Both counters bucket by the declared size, so an undeclared body is `unknown` on both sides.
    const labels = { mode: 'proxied', size_bucket: 'unknown' };
    expect(h.metrics.counterValue('uploads.failures', { ...labels, reason: 'too_large' })).toBe(1);
    expect(h.metrics.counterValue('uploads.attempts', labels)).toBe(1);
  });

  it('declared over the limit or over the quota: refused before a byte is read', async () => {
    const h = proxyHarness({}, 64 * KiB);
    let touched = false;
    const body = (async function* () {
      touched = true;
      yield png(10);
    })();
    expect(await rejection(h.proxy({ body, sizeBytes: 200 * KiB }))).toMatchObject({
      code: 'ERR_UPLOAD_TOO_LARGE',
    });
    expect(await rejection(h.proxy({ body, sizeBytes: 65 * KiB }))).toMatchObject({
      code: 'ERR_UPLOAD_QUOTA',
    });
    expect(touched).toBe(false);
    await expectNothingLeft(h);
  });

  it('longer than declared is 413, shorter is 400 incomplete, empty is 400 empty without a multipart upload', async () => {
    const h = proxyHarness();
    const longer = await rejection(h.proxy({ body: bodyOf(cut(png(6 * KiB), KiB)), sizeBytes: 5 * KiB }));
    expect(longer).toMatchObject({ code: 'ERR_UPLOAD_TOO_LARGE' });
    const shorter = await rejection(h.proxy({ body: bodyOf(cut(png(4 * KiB), KiB)), sizeBytes: 5 * KiB }));
    expect(shorter).toMatchObject({ code: 'ERR_UPLOAD_INCOMPLETE', httpStatus: 400 });
    const opened = h.counts.writersOpened;
    const empty = await rejection(h.proxy({ body: bodyOf([]) }));
    expect(empty).toMatchObject({ code: 'ERR_UPLOAD_EMPTY' });
    expect(h.counts.writersOpened).toBe(opened);
    await expectNothingLeft(h);
  });

  it('a store failure mid-way is ERR_STORE after cleanup', async () => {
    const h = proxyHarness();
    h.counts.failPart = 3;
    await expect(h.proxy({ body: bodyOf(cut(png(10 * KiB), KiB)) })).rejects.toMatchObject({
      code: 'ERR_STORE',
    });
    await expectNothingLeft(h);
    expect(h.metrics.counterValue('uploads.failures', { mode: 'proxied', reason: 'store' })).toBe(1);
  });

  it('the caller aborts mid-body: 400 aborted, multipart aborted, reservation released', async () => {
    const h = proxyHarness();
    const control = new AbortController();
    let calls = 0;
    const gate = async () => {
      calls += 1;
      if (calls === 8) control.abort(new Error('client went away')); // after the 4,100-byte head
      await settle(1);
    };
    const error = await rejection(
      h.proxy({ body: bodyOf(cut(png(10 * KiB), KiB), gate), signal: control.signal }),
    );
    expect(error).toMatchObject({ code: 'ERR_UPLOAD_ABORTED' });
    expect(h.counts.writersOpened).toBe(1);
    await expectNothingLeft(h);
  });

  it('idle deadline (manual clock): a stalled body is 408 and cleaned', async () => {
    const h = proxyHarness({ idleTimeoutMs: 500 });
    const stalled = (async function* () {
      yield png(3 * KiB);
      await new Promise(() => {});
    })();
    const outcome = h.proxy({ body: stalled }).catch((e: unknown) => e);
    for (let i = 0; i < 100 && h.counts.partsWritten < 3; i++) await settle(1);
    await settle();
    h.clock.advance(500);
    expect(await outcome).toMatchObject({ code: 'ERR_UPLOAD_TIMEOUT', httpStatus: 408 });
    await expectNothingLeft(h);
  });

  it('hostile requests: no body, a body that is not a stream, a signal that is not one', async () => {
    const h = proxyHarness();
    for (const request of [
      { body: undefined },
      { body: 'bytes' as never },
      { body: bodyOf([png(10)]), signal: {} as AbortSignal },
    ]) {
      await expect(h.proxy(request)).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    }
    await expect(h.proxy({ body: { not: 'a stream' } as never })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
    });
    await expectNothingLeft(h);
  });
});
