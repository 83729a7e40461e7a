/**
 * Images for the sharp thumbnailer tests, made in code (by sharp itself, or byte by byte where sharp
 * would refuse to write something that hostile), so no binary fixture is committed.
 */
import { once } from 'node:events';
import { constants, crc32, createDeflate, deflateSync } from 'node:zlib';
import sharp, { type Metadata } from 'sharp';
import type { SharpModule } from '../../src/uploads/sharp.js';

type Rgb = readonly [number, number, number];

/** Raw RGB pixels: the left half `left`, the right half `right`. */
function halves(width: number, height: number, left: Rgb, right: Rgb): Buffer {
  const pixels = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) pixels.set(x < width / 2 ? left : right, (y * width + x) * 3);
  }
  return pixels;
}

export const RED: Rgb = [255, 0, 0];
export const BLUE: Rgb = [0, 0, 255];
export const COPYRIGHT = 'bp-test-copyright-7f3a';

/**
 * A 40x20 JPEG, left half red and right half blue as stored, with EXIF orientation 6 (shown rotated
 * 90° clockwise: 20x40, red on top), a GPS block and a copyright.
 */
export function jpegOrientation6WithGps(): Promise<Buffer> {
  return sharp(halves(40, 20, RED, BLUE), { raw: { width: 40, height: 20, channels: 3 } })
    .jpeg({ quality: 95 })
    .withMetadata({ orientation: 6 })
    .withExif({
      IFD0: { Copyright: COPYRIGHT },
      IFD3: {
        GPSLatitudeRef: 'N',
        GPSLatitude: '51/1 30/1 3230/100',
        GPSLongitudeRef: 'W',
        GPSLongitude: '0/1 7/1 4366/100',
      },
    })
    .toBuffer();
}

/** Tag numbers of the first IFD of an EXIF block as sharp's `metadata().exif` returns it. */
export function exifIfd0Tags(exif: Buffer): Set<number> {
  const tiff = exif.subarray(exif.subarray(0, 4).toString('latin1') === 'Exif' ? 6 : 0);
  const le = tiff[0] === 0x49;
  const u16 = (at: number) => (le ? tiff.readUInt16LE(at) : tiff.readUInt16BE(at));
  const u32 = (at: number) => (le ? tiff.readUInt32LE(at) : tiff.readUInt32BE(at));
  const ifd = u32(4);
  const tags = new Set<number>();
  for (let i = 0; i < u16(ifd); i++) tags.add(u16(ifd + 2 + 12 * i));
  return tags;
}
export const TAG_ORIENTATION = 0x0112;
export const TAG_GPS_IFD = 0x8825;

/** A solid image of `width` x `height` in the given encoder. */
export const solid = (width: number, height: number, background: string | object = '#3366cc') =>
  sharp({ create: { width, height, channels: 3, background } });

/** A 20x20 PNG: the left half opaque red, the right half fully transparent. */
export function pngHalfTransparent(): Promise<Buffer> {
  const pixels = Buffer.alloc(20 * 20 * 4);
  for (let y = 0; y < 20; y++) for (let x = 0; x < 10; x++) pixels.set([255, 0, 0, 255], (y * 20 + x) * 4);
  return sharp(pixels, { raw: { width: 20, height: 20, channels: 4 } })
    .png()
    .toBuffer();
}

/** An animated GIF of `colours.length` frames of `width` x `height`, red first. */
export async function animatedGif(
  width: number,
  height: number,
  colours = ['#ff0000', '#00ff00', '#0000ff'],
) {
  const frames = await Promise.all(colours.map((c) => solid(width, height, c).png().toBuffer()));
  return sharp(frames, { join: { animated: true } })
    .gif()
    .toBuffer();
}

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body) >>> 0);
  return Buffer.concat([length, body, crc]);
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function greyIhdr(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth; colour type 0 (grey), deflate, filter 0, no interlace
  return ihdr;
}

/** A PNG that declares `width` x `height` but carries one row of pixels: only the header is honest. */
export function pngHeaderOnly(width: number, height: number): Buffer {
  return Buffer.concat([
    PNG_SIGNATURE,
    pngChunk('IHDR', greyIhdr(width, height)),
    pngChunk('IDAT', deflateSync(Buffer.alloc(Math.min(width, 4096) + 1))),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/**
 * A complete, valid grey PNG of `width` x `height` black pixels: the rows are streamed through deflate
 * so the test never holds them (a 10,000² bomb is about 100 KB on disk and 100 MB decoded).
 */
export async function pngBomb(width: number, height: number): Promise<Buffer> {
  const deflate = createDeflate({ level: constants.Z_BEST_COMPRESSION });
  const parts: Buffer[] = [];
  deflate.on('data', (chunk: Buffer) => parts.push(chunk));
  const row = Buffer.alloc(width + 1); // filter byte 0, then zeros
  for (let y = 0; y < height; y++) if (!deflate.write(row)) await once(deflate, 'drain');
  deflate.end();
  await once(deflate, 'end');
  return Buffer.concat([
    PNG_SIGNATURE,
    pngChunk('IHDR', greyIhdr(width, height)),
    pngChunk('IDAT', Buffer.concat(parts)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** An SVG with a script, as an attacker would upload it. */
export const SVG_WITH_SCRIPT = Buffer.from(
  '<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">' +
    '<script>alert(document.cookie)</script><rect width="10" height="10" fill="red"/></svg>',
);

/** An ISO-BMFF `ftyp` box with the given brands (major first), padded: a HEIC or AVIF start. */
export function ftyp(...brands: string[]): Buffer {
  const box = Buffer.alloc(8 + 4 + 4 * brands.length);
  box.writeUInt32BE(box.length, 0);
  box.write('ftyp', 4, 'latin1');
  box.write(brands[0] ?? 'heic', 8, 'latin1');
  for (const [i, b] of brands.slice(1).entries()) box.write(b, 16 + 4 * i, 'latin1');
  return Buffer.concat([box, Buffer.alloc(64)]);
}

/** What the counting wrapper saw: one entry per sharp instance made, by input kind. */
export interface SharpCalls {
  readonly instances: ('source' | 'raw')[];
  metadataCalls: number;
  metadataDone: number;
}

/**
 * The real sharp, wrapped to count instances and to hold `metadata()` until `gate` resolves (for the
 * deadline and concurrency tests). Every pixel is still sharp's.
 */
export function countingSharp(gate: Promise<void> = Promise.resolve()): {
  sharp: SharpModule;
  calls: SharpCalls;
} {
  const calls: SharpCalls = { instances: [], metadataCalls: 0, metadataDone: 0 };
  const wrapped = (input: Buffer, options?: { raw?: unknown }) => {
    calls.instances.push(options?.raw === undefined ? 'source' : 'raw');
    const instance = sharp(input, options as never);
    const metadata = instance.metadata.bind(instance) as () => Promise<Metadata>;
    (instance as unknown as { metadata: () => Promise<Metadata> }).metadata = async () => {
      calls.metadataCalls += 1;
      await gate;
      try {
        return await metadata();
      } finally {
        calls.metadataDone += 1;
      }
    };
    return instance;
  };
  return { sharp: wrapped as unknown as SharpModule, calls };
}

/** Reads a thumbnail back: metadata and, when asked, raw RGB(A) pixels. */
export async function inspect(bytes: Uint8Array) {
  const meta = await sharp(bytes).metadata();
  const raw = await sharp(bytes).raw().toBuffer({ resolveWithObject: true });
  const pixel = (x: number, y: number) => {
    const at = (y * raw.info.width + x) * raw.info.channels;
    return [...raw.data.subarray(at, at + raw.info.channels)];
  };
  return { meta, pixel, channels: raw.info.channels };
}
