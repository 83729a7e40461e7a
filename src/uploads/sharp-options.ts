/**
 * Options of `createSharpThumbnailer` and the call-time check of thumbnail specs. Options are checked
 * once at construction (`ERR_INVALID_OPTION`); specs at every call (`ERR_INVALID_ARGUMENT`), because the
 * policy may pass different sizes per upload.
 */
import type sharpDefault from 'sharp';
import type { Clock } from '../core/clock.js';
import { InvalidArgumentError } from '../core/errors.js';
import { defineOptions, opt } from '../core/options.js';
import { argument } from '../core/validate.js';
import type { ThumbnailSpec } from './types.js';

/** The `sharp` module (its default export), or anything shaped like it. */
export type SharpModule = typeof sharpDefault;

/** Output formats a thumbnailer can write. */
export const THUMBNAIL_FORMATS = ['webp', 'jpeg', 'png', 'avif'] as const;

/** One of {@link THUMBNAIL_FORMATS}. */
export type ThumbnailFormat = (typeof THUMBNAIL_FORMATS)[number];

/** The Content-Type of each output format. */
export const THUMBNAIL_CONTENT_TYPES: Readonly<Record<ThumbnailFormat, string>> = Object.freeze({
  webp: 'image/webp',
  jpeg: 'image/jpeg',
  png: 'image/png',
  avif: 'image/avif',
});

/** sharp's `failOn` levels, least strict first. */
export const FAIL_ON_LEVELS = ['none', 'truncated', 'error', 'warning'] as const;

/** Options of `createSharpThumbnailer`. */
export interface SharpThumbnailerOptions {
  /** The sharp module to use; default the `sharp` this adapter imports (a peer dependency). */
  readonly sharp?: SharpModule;
  /**
   * Largest image accepted, in pixels, counted as width × height × frames (an animated GIF of 100
   * small frames costs whoever decodes all of them, a browser included). Also passed to sharp as
   * `limitInputPixels`. Default 40,000,000 (sharp's own default, 268 M, lets a 600 KB PNG cost 700 MB).
   */
  readonly maxPixels?: number;
  /** Most frames (pages) an animated or multi-page image may declare. Default 100. */
  readonly maxFrames?: number;
  /**
   * How much decoder trouble refuses the image: sharp's `failOn`. Default `warning`, the strictest,
   * which sharp recommends for untrusted input (a truncated JPEG is refused, not half-grey).
   */
  readonly failOn?: (typeof FAIL_ON_LEVELS)[number];
  /** Output format of every thumbnail. Default `webp`. */
  readonly format?: ThumbnailFormat;
  /** Encoder quality 1..100 for webp, jpeg and avif (png is lossless and ignores it). Default 80. */
  readonly quality?: number;
  /**
   * Most images this thumbnailer works on at once; further calls wait their turn. Default 2. sharp runs
   * on libuv's thread pool (4 threads unless `UV_THREADPOOL_SIZE` says otherwise), which `fs`,
   * `dns.lookup`, zlib and crypto share: with no limit, six large thumbnails held an `fs.readFile` for
   * 4.8 s in review; with 2 it answered in 1 ms. Raise it with `UV_THREADPOOL_SIZE` in a worker process
   * that only makes thumbnails. The threads libvips uses per image are `sharp.concurrency()`, a
   * process-wide setting left alone here.
   */
  readonly concurrency?: number;
  /**
   * Deadline of one `thumbnails()` call once it has its turn, in ms (metadata, decode and every
   * encode). Past it the call rejects with `ERR_UPLOAD_IMAGE`, no further pipeline starts, and sharp's
   * own `timeout` (whole seconds, rounded up) stops the one running. Default 10,000, at most 3,600,000.
   */
  readonly timeoutMs?: number;
  /** Time source of the deadline. Default the system clock. */
  readonly clock?: Clock;
}

/** Parses and defaults the options of `createSharpThumbnailer`; throws `InvalidOptionError`. */
export const parseSharpOptions = defineOptions('createSharpThumbnailer', {
  sharp: opt.fn<SharpModule>(),
  maxPixels: opt.integer({ default: 40_000_000, min: 1 }),
  maxFrames: opt.integer({ default: 100, min: 1, max: 100_000 }),
  failOn: opt.oneOf(FAIL_ON_LEVELS, { default: 'warning' }),
  format: opt.oneOf(THUMBNAIL_FORMATS, { default: 'webp' }),
  quality: opt.integer({ default: 80, min: 1, max: 100 }),
  concurrency: opt.integer({ default: 2, min: 1, max: 1024 }),
  // sharp's own timeout takes at most 3600 s.
  timeoutMs: opt.duration({ default: 10_000, max: 3_600_000 }),
  clock: opt.clock(),
});

/** Resolved options. */
export type ResolvedSharpOptions = ReturnType<typeof parseSharpOptions>;

/** Largest `maxWidth` / `maxHeight` of a spec. */
export const MAX_THUMBNAIL_SIDE = 10_000;
/** Most specs in one call: each is one encode, so the list bounds the work an upload can ask for. */
export const MAX_THUMBNAIL_SPECS = 64;
/**
 * Spec names end up in object keys (`…/thumbs/small.webp`): a short word that cannot be `.` or `..`
 * nor carry a slash.
 */
const SPEC_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$/;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Checks the specs of one call; throws `InvalidArgumentError`. Returns frozen copies. */
export function checkThumbnailSpecs(specs: unknown): readonly ThumbnailSpec[] {
  if (!Array.isArray(specs) || specs.length === 0 || specs.length > MAX_THUMBNAIL_SPECS) {
    throw new InvalidArgumentError(`\`specs\` must be an array of 1..${MAX_THUMBNAIL_SPECS} thumbnail specs`);
  }
  const seen = new Set<string>();
  return Object.freeze(
    specs.map((spec: unknown, i) => {
      if (!isRecord(spec)) throw new InvalidArgumentError(`\`specs[${i}]\` must be an object`);
      const { name } = spec;
      if (typeof name !== 'string' || !SPEC_NAME.test(name)) {
        throw new InvalidArgumentError(
          `\`specs[${i}].name\` must be 1..64 characters of [A-Za-z0-9._-], not starting with a dot`,
        );
      }
      if (seen.has(name)) throw new InvalidArgumentError(`\`specs[${i}].name\` repeats an earlier name`);
      seen.add(name);
      const maxWidth = argument.integer(`specs[${i}].maxWidth`, spec.maxWidth, 1, MAX_THUMBNAIL_SIDE);
      const maxHeight = argument.integer(`specs[${i}].maxHeight`, spec.maxHeight, 1, MAX_THUMBNAIL_SIDE);
      return Object.freeze({ name, maxWidth, maxHeight });
    }),
  );
}
