/**
 * `backend-patterns/uploads/sharp`: the thumbnailer on sharp (libvips), a peer dependency. See
 * docs/uploads.md, Thumbnails.
 */

export {
  FAIL_ON_LEVELS,
  MAX_THUMBNAIL_SIDE,
  MAX_THUMBNAIL_SPECS,
  type SharpModule,
  type SharpThumbnailerOptions,
  THUMBNAIL_CONTENT_TYPES,
  THUMBNAIL_FORMATS,
  type ThumbnailFormat,
} from './sharp-options.js';
export { ACCEPTED_IMAGE_TYPES, type AcceptedImageFormat } from './sharp-sniff.js';
export { createSharpThumbnailer } from './sharp-thumbnailer.js';
