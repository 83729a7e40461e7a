/**
 * The work of one `thumbnails()` call: read the header, refuse what is too big, decode once, encode
 * every spec. Every refusal is an `UploadRejectedError('ERR_UPLOAD_IMAGE')`; every sharp failure
 * (corrupt, truncated, unsupported, over sharp's own limits) becomes one, with sharp's error as `cause`.
 */
import type { Metadata, Sharp, SharpOptions } from 'sharp';
import { UploadRejectedError } from './errors.js';
import type { ResolvedSharpOptions, SharpModule, ThumbnailFormat } from './sharp-options.js';
import { THUMBNAIL_CONTENT_TYPES } from './sharp-options.js';
import { ACCEPTED_IMAGE_TYPES, type AcceptedImageFormat, formatOfMetadata } from './sharp-sniff.js';
import type { Thumbnail, ThumbnailSpec } from './types.js';

/**
 * Above this many pixels the shared decode is skipped: it keeps the largest thumbnail as raw pixels
 * (4 bytes each at most), so 4 Mpx bounds it to 16 MiB; past that each spec decodes on its own, which
 * libvips streams in strips instead.
 */
export const SHARED_DECODE_MAX_PIXELS = 4_194_304;

/** What a render needs besides the bytes and the specs. */
export interface RenderContext {
  readonly sharp: SharpModule;
  readonly options: ResolvedSharpOptions;
  /** Aborted at the deadline: no further pipeline starts. */
  readonly signal: AbortSignal;
}

/** Builds the refusal; `cause` keeps sharp's message for logs, never the bytes. */
export const imageRejected = (message: string, detectedType?: string, cause?: unknown) =>
  new UploadRejectedError(
    'ERR_UPLOAD_IMAGE',
    message,
    detectedType === undefined ? {} : { detectedType },
    cause === undefined ? undefined : { cause },
  );

/** Runs one sharp step; anything it throws is the image's fault (options were checked up front). */
async function step<T>(what: string, type: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof UploadRejectedError) throw error;
    const overLimit = error instanceof Error && /pixel limit/i.test(error.message);
    throw imageRejected(
      overLimit ? 'the image exceeds the pixel limit' : `the image could not be ${what}`,
      type,
      error,
    );
  }
}

function throwIfAborted(signal: AbortSignal, type: string): void {
  if (signal.aborted) throw imageRejected('image processing exceeded its deadline', type);
}

/** Refuses a header that declares too much or that disagrees with the signature. */
function checkMetadata(meta: Metadata, expected: AcceptedImageFormat, options: ResolvedSharpOptions): Size {
  const type = ACCEPTED_IMAGE_TYPES[expected];
  if (formatOfMetadata(meta.format) !== expected) {
    throw imageRejected('the image format does not match its signature', type);
  }
  const { width, height } = meta;
  if (!(width > 0 && height > 0)) throw imageRejected('the image declares no dimensions', type);
  // With `animated: false` width x height is one frame; `pages` is how many the file declares.
  const frames = meta.pages ?? 1;
  if (frames > options.maxFrames) {
    throw imageRejected(`the image declares ${frames} frames, over maxFrames ${options.maxFrames}`, type);
  }
  const pixels = width * height * frames;
  if (pixels > options.maxPixels) {
    throw imageRejected(
      `the image declares ${width}x${height}x${frames} = ${pixels} pixels, over maxPixels ${options.maxPixels}`,
      type,
    );
  }
  // EXIF orientations 5..8 swap the axes; sharp reports the upright size as `autoOrient`.
  return (
    meta.autoOrient ?? ((meta.orientation ?? 1) >= 5 ? { width: height, height: width } : { width, height })
  );
}

interface Size {
  readonly width: number;
  readonly height: number;
}

/**
 * The size sharp's `fit: 'inside', withoutEnlargement: true` gives `size` in `spec` (same rounding),
 * so thumbnails resized from the shared pixels come out exactly as a resize of the source would.
 */
export function fitInside(size: Size, spec: ThumbnailSpec): Size {
  if (spec.maxWidth >= size.width && spec.maxHeight >= size.height) return size;
  const xFactor = size.width / spec.maxWidth;
  const yFactor = size.height / spec.maxHeight;
  return xFactor > yFactor
    ? { width: spec.maxWidth, height: Math.max(1, Math.round(size.height / xFactor)) }
    : { width: Math.max(1, Math.round(size.width / yFactor)), height: spec.maxHeight };
}

const area = (size: Size) => size.width * size.height;

const resizeInside = (pipeline: Sharp, spec: ThumbnailSpec) =>
  pipeline.resize({ width: spec.maxWidth, height: spec.maxHeight, fit: 'inside', withoutEnlargement: true });

function encoder(pipeline: Sharp, format: ThumbnailFormat, quality: number, timeoutS: number): Sharp {
  const timed = pipeline.timeout({ seconds: timeoutS });
  switch (format) {
    case 'webp':
      return timed.webp({ quality });
    case 'jpeg':
      // JPEG has no alpha; libvips would flatten onto black, which turns a transparent logo into a blot.
      return timed.flatten({ background: '#ffffff' }).jpeg({ quality });
    case 'png':
      return timed.png();
    case 'avif':
      return timed.avif({ quality });
  }
}

/**
 * Reads the header, checks it, then makes every thumbnail. `expected` is the format the signature
 * showed; sharp never sees bytes that failed the signature check.
 */
export async function renderThumbnails(
  context: RenderContext,
  source: Uint8Array,
  expected: AcceptedImageFormat,
  specs: readonly ThumbnailSpec[],
): Promise<Thumbnail[]> {
  const { sharp, options, signal } = context;
  const type = ACCEPTED_IMAGE_TYPES[expected];
  const input = Buffer.from(source.buffer, source.byteOffset, source.byteLength);
  // First frame only (`animated: false`): a thumbnail is a still; the frames still count in checkMetadata.
  const inputOptions: SharpOptions = {
    limitInputPixels: options.maxPixels,
    failOn: options.failOn,
    animated: false,
    sequentialRead: true,
  };
  const meta = await step('read', type, () => sharp(input, inputOptions).metadata());
  const upright = checkMetadata(meta, expected, options);
  throwIfAborted(signal, type);

  const timeoutS = Math.ceil(options.timeoutMs / 1000);
  const targets = specs.map((spec) => fitInside(upright, spec));
  const largest = targets.reduce((a, b) => (area(b) > area(a) ? b : a));
  // `.rotate()` without an angle applies the EXIF orientation; metadata is dropped by default.
  const decoder = sharp(input, inputOptions).rotate();
  let shared: Sharp | undefined;
  if (specs.length > 1 && area(largest) <= SHARED_DECODE_MAX_PIXELS) {
    // One decode for every spec: the largest thumbnail as raw pixels, the others resized from it.
    const { data, info } = await step('decoded', type, () =>
      decoder
        .resize({ ...largest, fit: 'fill' })
        .timeout({ seconds: timeoutS })
        .raw()
        .toBuffer({ resolveWithObject: true }),
    );
    throwIfAborted(signal, type);
    const raw = { width: info.width, height: info.height, channels: info.channels as 1 | 2 | 3 | 4 };
    shared = sharp(data, { raw, limitInputPixels: options.maxPixels });
  }

  const thumbnails: Thumbnail[] = [];
  for (const [i, spec] of specs.entries()) {
    const sized = shared
      ? shared.clone().resize({ ...(targets[i] as Size), fit: 'fill' })
      : resizeInside(decoder.clone(), spec);
    const pipeline = encoder(sized, options.format, options.quality, timeoutS);
    const { data, info } = await step('decoded', type, () => pipeline.toBuffer({ resolveWithObject: true }));
    throwIfAborted(signal, type);
    thumbnails.push({
      name: spec.name,
      width: info.width,
      height: info.height,
      contentType: THUMBNAIL_CONTENT_TYPES[options.format],
      bytes: data,
    });
  }
  return thumbnails;
}
