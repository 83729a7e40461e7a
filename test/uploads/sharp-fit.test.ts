/**
 * The two small pure pieces of the sharp thumbnailer against ground truth: `fitInside` against sharp's
 * own resize, and the signature gate against real files and near misses.
 */
import fc from 'fast-check';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { fitInside } from '../../src/uploads/sharp-render.js';
import { sniffImageFormat } from '../../src/uploads/sharp-sniff.js';
import { ftyp, SVG_WITH_SCRIPT, solid } from './sharp-fixtures.js';

describe('fitInside', () => {
  it("gives the size of sharp's fit inside without enlargement", async () => {
    const side = fc.integer({ min: 1, max: 700 });
    await fc.assert(
      fc.asyncProperty(side, side, side, side, async (width, height, maxWidth, maxHeight) => {
        const { info } = await sharp({ create: { width, height, channels: 3, background: '#000' } })
          .resize({ width: maxWidth, height: maxHeight, fit: 'inside', withoutEnlargement: true })
          .raw()
          .toBuffer({ resolveWithObject: true });
        const fitted = fitInside({ width, height }, { name: 'p', maxWidth, maxHeight });
        expect([fitted.width, fitted.height]).toEqual([info.width, info.height]);
      }),
      { numRuns: 150 },
    );
  });

  it('keeps extreme aspect ratios at one pixel at least', () => {
    expect(fitInside({ width: 10_000, height: 1 }, { name: 'p', maxWidth: 10, maxHeight: 10 })).toEqual({
      width: 10,
      height: 1,
    });
    expect(fitInside({ width: 1, height: 10_000 }, { name: 'p', maxWidth: 10, maxHeight: 10 })).toEqual({
      width: 1,
      height: 10,
    });
  });
});

describe('sniffImageFormat', () => {
  it('names real files of each accepted format', async () => {
    const base = solid(8, 8);
    expect(sniffImageFormat(await base.clone().jpeg().toBuffer())).toBe('jpeg');
    expect(sniffImageFormat(await base.clone().png().toBuffer())).toBe('png');
    expect(sniffImageFormat(await base.clone().gif().toBuffer())).toBe('gif');
    expect(sniffImageFormat(await base.clone().webp().toBuffer())).toBe('webp');
    expect(sniffImageFormat(await base.clone().avif({ effort: 0 }).toBuffer())).toBe('avif');
    expect(sniffImageFormat(await base.clone().tiff().toBuffer())).toBe('tiff');
    expect(sniffImageFormat(Buffer.from('GIF87a\x01\x00\x01\x00', 'latin1'))).toBe('gif');
    expect(sniffImageFormat(Buffer.from([0x4d, 0x4d, 0x00, 0x2b, 0, 8]))).toBe('tiff');
  });

  it.each([
    ['nothing', Buffer.alloc(0)],
    ['half a PNG signature', Buffer.from([0x89, 0x50, 0x4e, 0x47])],
    ['a RIFF that is not WebP (WAV)', Buffer.from('RIFF\x24\x00\x00\x00WAVEfmt ', 'latin1')],
    ['SVG', SVG_WITH_SCRIPT],
    ['HEIC', ftyp('heic', 'mif1', 'heic')],
    ['an ftyp box claiming more bytes than the file', ftyp('avif').subarray(0, 15)],
    [
      'an ftyp box of 2 GiB',
      Buffer.concat([Buffer.from([0x7f, 0xff, 0xff, 0xff]), ftyp('avif').subarray(4)]),
    ],
    ['a JPEG 2000', Buffer.from([0, 0, 0, 0x0c, 0x6a, 0x50, 0x20, 0x20, 0x0d, 0x0a, 0x87, 0x0a, 0, 0, 0, 0])],
    ['a PSD', Buffer.from('8BPS\x00\x01', 'latin1')],
  ])('refuses %s', (_label, bytes) => {
    expect(sniffImageFormat(bytes)).toBeUndefined();
  });
});
