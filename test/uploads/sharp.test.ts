/**
 * The sharp thumbnailer on real images: orientation, metadata stripping, alpha, animation, formats,
 * sizes, and the checks of its options and specs.
 */
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { createSharpThumbnailer, THUMBNAIL_FORMATS } from '../../src/uploads/sharp.js';
import {
  animatedGif,
  COPYRIGHT,
  countingSharp,
  exifIfd0Tags,
  inspect,
  jpegOrientation6WithGps,
  pngHalfTransparent,
  solid,
  TAG_GPS_IFD,
  TAG_ORIENTATION,
} from './sharp-fixtures.js';

const big = { name: 'big', maxWidth: 1000, maxHeight: 1000 };

describe('createSharpThumbnailer: images', () => {
  it('applies EXIF orientation 6 and strips EXIF, GPS, XMP and ICC', async () => {
    const input = await jpegOrientation6WithGps();
    const before = await sharp(input).metadata();
    expect([before.width, before.height, before.orientation]).toEqual([40, 20, 6]);
    const tags = exifIfd0Tags(before.exif as Buffer);
    expect(tags.has(TAG_GPS_IFD) && tags.has(TAG_ORIENTATION)).toBe(true);

    const thumbnailer = createSharpThumbnailer();
    const [full, small] = await thumbnailer.thumbnails(input, [
      big,
      { name: 'small', maxWidth: 10, maxHeight: 10 },
    ]);
    expect([full?.width, full?.height, small?.width, small?.height]).toEqual([20, 40, 5, 10]);
    const { meta, pixel } = await inspect(full?.bytes as Uint8Array);
    expect(meta.format).toBe('webp');
    expect([meta.width, meta.height]).toEqual([20, 40]);
    expect([meta.exif, meta.xmp, meta.iptc, meta.icc, meta.orientation]).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    expect(Buffer.from(full?.bytes as Uint8Array).includes(COPYRIGHT)).toBe(false);
    // Stored left red / right blue, turned 90° clockwise: red on top, blue at the bottom.
    const [tr, , tb] = pixel(10, 5) as number[];
    const [br, , bb] = pixel(10, 35) as number[];
    expect(tr).toBeGreaterThan(200);
    expect(tb).toBeLessThan(60);
    expect(bb).toBeGreaterThan(200);
    expect(br).toBeLessThan(60);
  });

  it('converts a profiled or CMYK image to sRGB and drops the profile', async () => {
    const p3 = await solid(30, 30).withIccProfile('p3').jpeg().toBuffer();
    const cmyk = await solid(30, 30).toColourspace('cmyk').jpeg().toBuffer();
    expect((await sharp(p3).metadata()).icc).toBeDefined();
    expect((await sharp(cmyk).metadata()).space).toBe('cmyk');
    const thumbnailer = createSharpThumbnailer({ format: 'jpeg' });
    for (const input of [p3, cmyk]) {
      const [thumb] = await thumbnailer.thumbnails(input, [big]);
      const { meta } = await inspect(thumb?.bytes as Uint8Array);
      expect([meta.space, meta.channels, meta.icc, meta.exif]).toEqual(['srgb', 3, undefined, undefined]);
    }
  });

  it('keeps alpha in webp and flattens it onto white in jpeg', async () => {
    const input = await pngHalfTransparent();
    const [webp] = await createSharpThumbnailer().thumbnails(input, [big]);
    const w = await inspect(webp?.bytes as Uint8Array);
    expect(w.meta.hasAlpha).toBe(true);
    expect(w.pixel(15, 10)[3]).toBe(0);
    expect((w.pixel(3, 10)[3] as number) > 250).toBe(true);

    const [jpeg] = await createSharpThumbnailer({ format: 'jpeg' }).thumbnails(input, [big]);
    const j = await inspect(jpeg?.bytes as Uint8Array);
    expect([j.meta.format, j.meta.hasAlpha, j.channels]).toEqual(['jpeg', false, 3]);
    for (const c of j.pixel(15, 10)) expect(c).toBeGreaterThan(245);
  });

  it('takes the first frame of an animated GIF, whose frames all count', async () => {
    const gif = await animatedGif(30, 20);
    expect((await sharp(gif).metadata()).pages).toBe(3);
    const [thumb] = await createSharpThumbnailer({ maxPixels: 30 * 20 * 3 }).thumbnails(gif, [big]);
    const { meta, pixel } = await inspect(thumb?.bytes as Uint8Array);
    expect([meta.width, meta.height, meta.pages ?? 1]).toEqual([30, 20, 1]);
    const [r, g, b] = pixel(15, 10) as number[];
    expect(r).toBeGreaterThan(200);
    expect(Math.max(g as number, b as number)).toBeLessThan(60);
    // One pixel less than three frames need: refused although each frame is 600 pixels.
    await expect(
      createSharpThumbnailer({ maxPixels: 30 * 20 * 3 - 1 }).thumbnails(gif, [big]),
    ).rejects.toMatchObject({
      code: 'ERR_UPLOAD_IMAGE',
      message: expect.stringContaining('30x20x3'),
    });
    await expect(createSharpThumbnailer({ maxFrames: 2 }).thumbnails(gif, [big])).rejects.toMatchObject({
      code: 'ERR_UPLOAD_IMAGE',
      message: expect.stringContaining('frames'),
    });
  });

  it('reads every accepted format and writes every output format', async () => {
    const base = solid(64, 48);
    const inputs = {
      jpeg: await base.clone().jpeg().toBuffer(),
      png: await base.clone().png().toBuffer(),
      webp: await base.clone().webp().toBuffer(),
      gif: await base.clone().gif().toBuffer(),
      avif: await base.clone().avif({ effort: 0 }).toBuffer(),
      tiff: await base.clone().tiff().toBuffer(),
    };
    const reader = createSharpThumbnailer();
    expect([...reader.accepts].sort()).toEqual(
      ['image/avif', 'image/gif', 'image/jpeg', 'image/png', 'image/tiff', 'image/webp'].sort(),
    );
    for (const [format, input] of Object.entries(inputs)) {
      const [thumb] = await reader.thumbnails(input, [{ name: 't', maxWidth: 32, maxHeight: 32 }]);
      expect([format, thumb?.width, thumb?.height]).toEqual([format, 32, 24]);
    }
    const sharpFormat = { webp: 'webp', jpeg: 'jpeg', png: 'png', avif: 'heif' } as const;
    for (const format of THUMBNAIL_FORMATS) {
      const [thumb] = await createSharpThumbnailer({ format }).thumbnails(inputs.png, [big]);
      expect(thumb?.contentType).toBe(`image/${format}`);
      expect((await sharp(thumb?.bytes).metadata()).format).toBe(sharpFormat[format]);
    }
  });

  it('never enlarges: a 1x1 image stays 1x1', async () => {
    const one = await solid(1, 1).png().toBuffer();
    const thumbs = await createSharpThumbnailer().thumbnails(one, [
      big,
      { name: 'x', maxWidth: 1, maxHeight: 1 },
    ]);
    expect(thumbs.map((t) => [t.width, t.height])).toEqual([
      [1, 1],
      [1, 1],
    ]);
  });

  it('makes many specs from one decode, with the sizes a direct resize gives', async () => {
    const input = await sharp({
      create: {
        width: 401,
        height: 299,
        channels: 3,
        background: '#000',
        noise: { type: 'gaussian', mean: 128, sigma: 40 },
      },
    })
      .png()
      .toBuffer();
    const specs = Array.from({ length: 12 }, (_, i) => ({
      name: `s${i}`,
      maxWidth: 17 + i * 37,
      maxHeight: 500 - i * 31,
    }));
    const { sharp: counting, calls } = countingSharp();
    const thumbs = await createSharpThumbnailer({ sharp: counting }).thumbnails(input, specs);
    expect(thumbs.map((t) => t.name)).toEqual(specs.map((s) => s.name));
    // Header, one decode of the source, then every spec from the shared raw pixels.
    expect(calls.instances).toEqual(['source', 'source', 'raw']);
    const direct = createSharpThumbnailer();
    for (const [i, spec] of specs.entries()) {
      const [alone] = await direct.thumbnails(input, [spec]);
      const thumb = thumbs[i];
      expect([thumb?.width, thumb?.height]).toEqual([alone?.width, alone?.height]);
      expect(thumb?.width).toBeLessThanOrEqual(spec.maxWidth);
      expect(thumb?.height).toBeLessThanOrEqual(spec.maxHeight);
      expect((await sharp(thumb?.bytes).metadata()).width).toBe(thumb?.width);
    }
  });

  it('decodes per spec when the shared pixels would be too many', async () => {
    const input = await solid(2500, 2000).jpeg().toBuffer();
    const { sharp: counting, calls } = countingSharp();
    const thumbs = await createSharpThumbnailer({ sharp: counting }).thumbnails(input, [
      { name: 'huge', maxWidth: 2500, maxHeight: 2500 },
      { name: 'tiny', maxWidth: 50, maxHeight: 50 },
    ]);
    expect(calls.instances).toEqual(['source', 'source']);
    expect(thumbs.map((t) => [t.width, t.height])).toEqual([
      [2500, 2000],
      [50, 40],
    ]);
  });
});

describe('createSharpThumbnailer: options and specs', () => {
  it.each([
    [{ maxPixels: 0 }],
    [{ maxPixels: 1.5 }],
    [{ maxPixels: -1 }],
    [{ maxPixels: '40000000' }],
    [{ maxFrames: 0 }],
    [{ failOn: 'never' }],
    [{ format: 'gif' }],
    [{ format: 'svg' }],
    [{ quality: 0 }],
    [{ quality: 101 }],
    [{ concurrency: 0 }],
    [{ timeoutMs: 0 }],
    [{ timeoutMs: 3_600_001 }],
    [{ sharp: {} }],
    [{ maxPixel: 10 }],
    [null],
  ])('refuses options %j', (options) => {
    expect(() => createSharpThumbnailer(options as never)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
    );
  });

  const ok = { name: 'ok', maxWidth: 10, maxHeight: 10 };
  it.each([
    ['no list', undefined],
    ['an empty list', []],
    ['65 specs', Array.from({ length: 65 }, (_, i) => ({ ...ok, name: `n${i}` }))],
    ['a null spec', [null]],
    ['an empty name', [{ ...ok, name: '' }]],
    ['a dot-dot name', [{ ...ok, name: '..' }]],
    ['a slash in the name', [{ ...ok, name: 'a/b' }]],
    ['a name of 65 characters', [{ ...ok, name: 'a'.repeat(65) }]],
    ['a duplicate name', [ok, { ...ok }]],
    ['width 0', [{ ...ok, maxWidth: 0 }]],
    ['width 10,001', [{ ...ok, maxWidth: 10_001 }]],
    ['a fractional height', [{ ...ok, maxHeight: 1.5 }]],
    ['a NaN height', [{ ...ok, maxHeight: Number.NaN }]],
    ['a missing height', [{ name: 'x', maxWidth: 10 }]],
  ])('refuses %s as specs', async (_label, specs) => {
    const png = await solid(4, 4).png().toBuffer();
    await expect(createSharpThumbnailer().thumbnails(png, specs as never)).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
    });
  });

  it('refuses a source that is not bytes', async () => {
    for (const source of ['hello', new ArrayBuffer(8), null, [0xff, 0xd8, 0xff]]) {
      await expect(createSharpThumbnailer().thumbnails(source as never, [ok])).rejects.toMatchObject({
        code: 'ERR_INVALID_ARGUMENT',
      });
    }
  });
});
