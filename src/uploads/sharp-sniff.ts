/**
 * The gate in front of libvips: only the containers this adapter accepts reach sharp at all.
 *
 * libvips picks a loader by sniffing the bytes itself, whatever the declared type, and a libvips built
 * with more loaders (ImageMagick, poppler, OpenSlide, librsvg) would happily parse PDF, SVG or PSD
 * sent as `image/png`. Checking the signature here first means an SVG never reaches librsvg (a full
 * XML, CSS and text engine: a rasteriser of untrusted markup that has had a local-file disclosure
 * through `xi:include`, CVE-2023-38633), and a HEIC or JPEG 2000 never reaches its decoder, whatever
 * the installed libvips supports. The format sharp then reports must match the signature too.
 */

/** Input formats accepted (sharp's `metadata().format` names AVIF `heif`). */
export type AcceptedImageFormat = 'jpeg' | 'png' | 'gif' | 'webp' | 'tiff' | 'avif';

/** Content types of the accepted formats (the `accepts` list of the thumbnailer). */
export const ACCEPTED_IMAGE_TYPES: Readonly<Record<AcceptedImageFormat, string>> = Object.freeze({
  jpeg: 'image/jpeg',
  png: 'image/png',
  gif: 'image/gif',
  webp: 'image/webp',
  avif: 'image/avif',
  tiff: 'image/tiff',
});

const startsWith = (bytes: Uint8Array, signature: readonly number[], at = 0): boolean =>
  bytes.length >= at + signature.length && signature.every((b, i) => bytes[at + i] === b);

const ascii = (text: string): number[] => [...text].map((c) => c.charCodeAt(0));

const PNG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const JPEG = [0xff, 0xd8, 0xff];
const GIF87 = ascii('GIF87a');
const GIF89 = ascii('GIF89a');
const RIFF = ascii('RIFF');
const WEBP = ascii('WEBP');
// Classic TIFF (42) and BigTIFF (43), both byte orders.
const TIFFS = [
  [0x49, 0x49, 0x2a, 0x00],
  [0x4d, 0x4d, 0x00, 0x2a],
  [0x49, 0x49, 0x2b, 0x00],
  [0x4d, 0x4d, 0x00, 0x2b],
];
const FTYP = ascii('ftyp');
const AVIF_BRANDS = ['avif', 'avis'];

/**
 * True for an ISO-BMFF file whose `ftyp` box names an AVIF brand, as the major brand or a compatible
 * one. A HEIC (`heic`, `mif1` only) is not AVIF.
 */
function isAvif(bytes: Uint8Array): boolean {
  if (!startsWith(bytes, FTYP, 4)) return false;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const boxBytes = view.getUint32(0);
  if (boxBytes < 16 || boxBytes > bytes.length || boxBytes > 4096) return false;
  // Major brand at 8, minor version at 12, then compatible brands of 4 bytes each to the box's end.
  const brandAt = (at: number) => String.fromCharCode(...bytes.subarray(at, at + 4));
  if (AVIF_BRANDS.includes(brandAt(8))) return true;
  for (let at = 16; at + 4 <= boxBytes; at += 4) if (AVIF_BRANDS.includes(brandAt(at))) return true;
  return false;
}

/** The accepted format `bytes` start like, or `undefined` (then sharp is never called). */
export function sniffImageFormat(bytes: Uint8Array): AcceptedImageFormat | undefined {
  if (startsWith(bytes, JPEG)) return 'jpeg';
  if (startsWith(bytes, PNG)) return 'png';
  if (startsWith(bytes, GIF87) || startsWith(bytes, GIF89)) return 'gif';
  if (startsWith(bytes, RIFF) && startsWith(bytes, WEBP, 8)) return 'webp';
  if (TIFFS.some((signature) => startsWith(bytes, signature))) return 'tiff';
  if (bytes.length >= 16 && isAvif(bytes)) return 'avif';
  return undefined;
}

/**
 * The accepted format sharp's metadata describes, or `undefined`. `heif` counts as AVIF: the signature
 * check already required an AVIF brand, and libvips derives its `compression` label from the major
 * brand alone (an AVIF whose major brand is `mif1` is labelled `hevc`), so the label adds no evidence.
 */
export function formatOfMetadata(format: string | undefined): AcceptedImageFormat | undefined {
  switch (format) {
    case 'jpeg':
    case 'png':
    case 'gif':
    case 'webp':
    case 'tiff':
      return format;
    case 'heif':
      return 'avif';
    default:
      return undefined;
  }
}
