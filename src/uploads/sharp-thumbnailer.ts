/**
 * `createSharpThumbnailer`: the {@link Thumbnailer} port on sharp (libvips). See docs/uploads.md,
 * Thumbnails, and sharp-sniff.ts for why SVG is never accepted.
 */
import sharpDefault from 'sharp';
import { InvalidArgumentError } from '../core/errors.js';
import { checkThumbnailSpecs, parseSharpOptions, type SharpThumbnailerOptions } from './sharp-options.js';
import { imageRejected, renderThumbnails } from './sharp-render.js';
import { ACCEPTED_IMAGE_TYPES, sniffImageFormat } from './sharp-sniff.js';
import type { Thumbnail, Thumbnailer, ThumbnailSpec } from './types.js';

/** A FIFO of turns: at most `limit` tasks run at once (no limit when `undefined`). */
function createTurns(limit: number | undefined) {
  let running = 0;
  const waiting: (() => void)[] = [];
  return {
    async acquire(): Promise<() => void> {
      if (limit !== undefined && running >= limit) await new Promise<void>((r) => waiting.push(r));
      else running += 1;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        const next = waiting.shift();
        // The turn passes straight to the next waiter, so `running` does not change.
        if (next) next();
        else running -= 1;
      };
    },
  };
}

/**
 * Creates a thumbnailer on sharp. It accepts JPEG, PNG, WebP, GIF, AVIF and TIFF (never SVG); it reads
 * the header first and refuses, with `ERR_UPLOAD_IMAGE`, an image whose width × height × frames is over
 * `maxPixels` or whose frames are over `maxFrames` (before any pixel is decoded), a corrupt or
 * truncated one (`failOn`), an unknown format, and one not done within `timeoutMs`. Thumbnails apply
 * the EXIF orientation, fit inside each spec without enlarging, take the first frame of an animation,
 * and carry no metadata (EXIF, GPS, XMP, ICC: colours are converted to sRGB and the profile dropped).
 *
 * For upload workers, consider `sharp.cache(false)` and a lower `sharp.concurrency()` (both
 * process-wide, so not set here) and jemalloc on glibc Linux.
 *
 * @example
 * ```ts nocheck
 * import { createSharpThumbnailer } from 'backend-patterns/uploads/sharp';
 * const thumbnailer = createSharpThumbnailer({ maxPixels: 24_000_000, format: 'webp', concurrency: 2 });
 * const [small] = await thumbnailer.thumbnails(bytes, [{ name: 'small', maxWidth: 320, maxHeight: 320 }]);
 * ```
 */
export function createSharpThumbnailer(options?: SharpThumbnailerOptions): Thumbnailer {
  const o = parseSharpOptions(options);
  const sharp = o.sharp ?? sharpDefault;
  const turns = createTurns(o.concurrency);

  /** Races the work against the deadline; the turn is held until the work itself settles. */
  async function run(source: Uint8Array, specs: readonly ThumbnailSpec[]): Promise<Thumbnail[]> {
    const format = sniffImageFormat(source);
    if (format === undefined) {
      throw imageRejected(
        source.length === 0
          ? 'the image is empty'
          : 'not an accepted image format (JPEG, PNG, WebP, GIF, AVIF, TIFF)',
      );
    }
    const release = await turns.acquire();
    const deadline = new AbortController();
    const work = renderThumbnails({ sharp, options: o, signal: deadline.signal }, source, format, specs);
    work.then(release, release);
    const stopTimer = new AbortController();
    const timer = new Promise<never>((_, reject) => {
      o.clock.sleep(o.timeoutMs, stopTimer.signal).then(
        () => {
          deadline.abort();
          reject(imageRejected(`image processing exceeded ${o.timeoutMs} ms`, ACCEPTED_IMAGE_TYPES[format]));
        },
        () => undefined,
      );
    });
    try {
      return await Promise.race([work, timer]);
    } finally {
      stopTimer.abort();
      // The losing side must not surface as an unhandled rejection.
      work.catch(() => undefined);
      timer.catch(() => undefined);
    }
  }

  return Object.freeze({
    name: 'sharp',
    accepts: Object.freeze(Object.values(ACCEPTED_IMAGE_TYPES)),
    thumbnails(source: Uint8Array, specs: readonly ThumbnailSpec[]): Promise<readonly Thumbnail[]> {
      if (!(source instanceof Uint8Array)) {
        return Promise.reject(new InvalidArgumentError('`source` must be a Uint8Array'));
      }
      let checked: readonly ThumbnailSpec[];
      try {
        checked = checkThumbnailSpecs(specs);
      } catch (error) {
        return Promise.reject(error);
      }
      return run(source, checked);
    },
  });
}
