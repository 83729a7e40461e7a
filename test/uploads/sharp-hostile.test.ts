/**
 * Hostile inputs for the sharp thumbnailer: pixel bombs, lying headers, corrupt and truncated data,
 * random bytes, nothing at all, SVG with script, other containers; and the deadline and turns.
 */
import { randomBytes } from 'node:crypto';
import sharp from 'sharp';
import { describe, expect, it, vi } from 'vitest';
import { createManualClock } from '../../src/core/manual-clock.js';
import { isUploadRejected } from '../../src/uploads/errors.js';
import { createSharpThumbnailer } from '../../src/uploads/sharp.js';
import { countingSharp, ftyp, pngBomb, pngHeaderOnly, SVG_WITH_SCRIPT, solid } from './sharp-fixtures.js';

const spec = [{ name: 'small', maxWidth: 64, maxHeight: 64 }];
const MiB = 1024 * 1024;

async function refusal(promise: Promise<unknown>) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isUploadRejected(error, 'ERR_UPLOAD_IMAGE')).toBe(true);
  expect((error as { httpStatus: number }).httpStatus).toBe(422);
  return error as Error;
}

describe('createSharpThumbnailer: hostile inputs', () => {
  it('refuses a real 10,000² PNG bomb (≈100 KB, 100 Mpx) from its header, in little memory', async () => {
    const bomb = await pngBomb(10_000, 10_000);
    expect(bomb.length).toBeLessThan(200_000);
    const { sharp: counting, calls } = countingSharp();
    const thumbnailer = createSharpThumbnailer({ sharp: counting });
    const rssBefore = process.memoryUsage().rss;
    const error = await refusal(thumbnailer.thumbnails(bomb, spec));
    const growthBytes = process.memoryUsage().rss - rssBefore;
    expect(error.message).toMatch(/pixel/);
    // Only the header was read: no decoding pipeline was made.
    expect(calls.instances).toEqual(['source']);
    expect(growthBytes).toBeLessThan(100 * MiB);
  });

  it('refuses a header declaring 30000x30000 whatever the data', async () => {
    const { sharp: counting, calls } = countingSharp();
    const error = await refusal(
      createSharpThumbnailer({ sharp: counting }).thumbnails(pngHeaderOnly(30_000, 30_000), spec),
    );
    expect(error.message).toMatch(/pixel/);
    expect(calls.instances).toEqual(['source']);
  });

  it('refuses a 1000x1000 header under maxPixels 999,999 before decoding', async () => {
    const { sharp: counting, calls } = countingSharp();
    // sharp's limitInputPixels is the same number and speaks first for one frame; frames are counted
    // by the thumbnailer itself (see the animated GIF test).
    const error = await refusal(
      createSharpThumbnailer({ sharp: counting, maxPixels: 999_999 }).thumbnails(
        pngHeaderOnly(1000, 1000),
        spec,
      ),
    );
    expect(error.message).toMatch(/pixel/);
    expect(calls.instances).toEqual(['source']);
  });

  it('refuses a truncated JPEG under failOn warning, and accepts it under none', async () => {
    const full = await sharp({
      create: {
        width: 300,
        height: 200,
        channels: 3,
        background: '#000',
        noise: { type: 'gaussian', mean: 128, sigma: 30 },
      },
    })
      .jpeg()
      .toBuffer();
    const truncated = full.subarray(0, Math.floor(full.length / 2));
    const error = await refusal(createSharpThumbnailer().thumbnails(truncated, spec));
    expect(error.cause).toBeInstanceOf(Error);
    const [lenient] = await createSharpThumbnailer({ failOn: 'none' }).thumbnails(truncated, spec);
    expect([lenient?.width, lenient?.height]).toEqual([64, 43]);
  });

  it('refuses a PNG whose pixel data is corrupt', async () => {
    const png = await solid(50, 50).png({ compressionLevel: 0 }).toBuffer();
    const corrupt = Buffer.from(png);
    const idat = corrupt.indexOf('IDAT');
    corrupt.fill(0xab, idat + 10, idat + 200);
    await refusal(createSharpThumbnailer().thumbnails(corrupt, spec));
  });

  it('refuses random bytes without calling sharp, and random bytes behind a PNG signature with it', async () => {
    const { sharp: counting, calls } = countingSharp();
    const thumbnailer = createSharpThumbnailer({ sharp: counting });
    await refusal(thumbnailer.thumbnails(randomBytes(4096), spec));
    expect(calls.instances).toEqual([]);
    const fakePng = Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      randomBytes(4096),
    ]);
    await refusal(thumbnailer.thumbnails(fakePng, spec));
    expect(calls.instances).toEqual(['source']);
  });

  it('refuses zero bytes and a lone signature', async () => {
    const error = await refusal(createSharpThumbnailer().thumbnails(new Uint8Array(0), spec));
    expect(error.message).toMatch(/empty/);
    await refusal(createSharpThumbnailer().thumbnails(Buffer.from([0xff, 0xd8, 0xff]), spec));
    await refusal(createSharpThumbnailer().thumbnails(Buffer.from('GIF89a'), spec));
  });

  it('never hands SVG (or PDF, HEIC, BMP) to sharp, and does not list SVG in accepts', async () => {
    const { sharp: counting, calls } = countingSharp();
    const thumbnailer = createSharpThumbnailer({ sharp: counting });
    expect(thumbnailer.accepts).not.toContain('image/svg+xml');
    // sharp itself would rasterise this SVG (librsvg is in its build): the gate is what refuses it.
    expect((await sharp(SVG_WITH_SCRIPT).metadata()).format).toBe('svg');
    const hostile = [
      SVG_WITH_SCRIPT,
      Buffer.from(`\n\n  ${SVG_WITH_SCRIPT.toString()}`),
      Buffer.from('%PDF-1.7\n%âãÏÓ\n1 0 obj << >> endobj\n'),
      ftyp('heic', 'mif1', 'heic'),
      await solid(4, 4)
        .toFormat('heif', { compression: 'av1' })
        .toBuffer()
        .then((avif) => {
          // An AVIF whose brands were rewritten to HEIC's: the signature no longer says AVIF.
          const heic = Buffer.from(avif);
          heic.write('heic', 8, 'latin1');
          for (let at = 16; at < heic.readUInt32BE(0); at += 4) heic.write('mif1', at, 'latin1');
          return heic;
        }),
      Buffer.concat([Buffer.from('BM'), randomBytes(100)]),
    ];
    for (const bytes of hostile) await refusal(thumbnailer.thumbnails(bytes, spec));
    expect(calls.instances).toEqual([]);
  });

  it('accepts an AVIF named by a compatible brand only', async () => {
    const avif = Buffer.from(await solid(8, 8).avif({ effort: 0 }).toBuffer());
    avif.write('mif1', 8, 'latin1'); // major brand no longer avif; `avif` stays among the compatible ones
    const [thumb] = await createSharpThumbnailer().thumbnails(avif, spec);
    expect([thumb?.width, thumb?.height]).toEqual([8, 8]);
  });
});

describe('createSharpThumbnailer: deadline and turns', () => {
  it('rejects at the deadline, starts nothing more, and holds its turn until sharp is done', async () => {
    const clock = createManualClock(0);
    let open = () => {};
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const { sharp: counting, calls } = countingSharp(gate);
    const thumbnailer = createSharpThumbnailer({ sharp: counting, clock, timeoutMs: 500, concurrency: 1 });
    const png = await solid(200, 100).png().toBuffer();

    const first = thumbnailer.thumbnails(png, spec);
    const second = thumbnailer.thumbnails(png, spec);
    await vi.waitFor(() => expect(clock.pendingSleepers()).toBe(1));
    clock.advance(499);
    expect(calls.metadataCalls).toBe(1);
    clock.advance(1);
    const error = await refusal(first);
    expect(error.message).toMatch(/500 ms/);
    // The first image still occupies sharp, so the second has not started.
    await new Promise((r) => setImmediate(r));
    expect(calls.metadataCalls).toBe(1);

    open();
    await vi.waitFor(() => expect(calls.metadataDone).toBe(2));
    const [thumb] = await second;
    expect([thumb?.width, thumb?.height]).toEqual([64, 32]);
    // The timed-out call made no pipeline after its header: one instance each for the header,
    // and one decode for the second call.
    expect(calls.instances).toEqual(['source', 'source', 'source']);
    expect(clock.pendingSleepers()).toBe(0);
  });

  it('runs two calls at a time by default (the libuv pool is shared with fs and dns), more when asked', async () => {
    let open = () => {};
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const { sharp: counting, calls } = countingSharp(gate);
    const png = await solid(20, 20).png().toBuffer();
    const byDefault = createSharpThumbnailer({ sharp: counting });
    const first = Promise.all([1, 2, 3].map(() => byDefault.thumbnails(png, spec)));
    await vi.waitFor(() => expect(calls.metadataCalls).toBe(2));
    await new Promise((r) => setTimeout(r, 50));
    expect(calls.metadataCalls).toBe(2); // the third waits for a turn
    open();
    expect((await first).map((t) => t[0]?.width)).toEqual([20, 20, 20]);
  });

  it('runs calls side by side up to the concurrency asked', async () => {
    let open = () => {};
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const { sharp: counting, calls } = countingSharp(gate);
    const thumbnailer = createSharpThumbnailer({ sharp: counting, concurrency: 3 });
    const png = await solid(20, 20).png().toBuffer();
    const all = Promise.all([1, 2, 3].map(() => thumbnailer.thumbnails(png, spec)));
    await vi.waitFor(() => expect(calls.metadataCalls).toBe(3));
    open();
    expect((await all).map((t) => t[0]?.width)).toEqual([20, 20, 20]);
  });
});
