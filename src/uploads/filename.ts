/**
 * The client's file name made safe to keep and show. It is a display name only: storage keys are
 * server-generated (keys.ts) and never contain it, so this file's job is to stop names that lie to a
 * person (RTL override, invisible characters), break a header or a log (controls, CR/LF), or hurt the
 * user who downloads the file (directory parts, Windows device names, trailing dots).
 *
 * Decisions, each one tested:
 * - Percent-escapes are kept literally: `%2e%2e%2f` stays `%2e%2e%2f`. Decoding is the transport's job
 *   (an HTTP framework already decoded `filename*`); decoding again here would turn an inert name into
 *   a traversal one (the double-decoding bug).
 * - Windows device names (`CON`, `nul.txt`, `COM1.tar.gz`, ...) are neutralised with a leading `_`
 *   (`_CON.txt`), not refused: the name is legitimate elsewhere and the prefix keeps it recognisable.
 * - Characters Windows forbids in names (`<>:"|?*`) become `_`; `:` also opens NTFS alternate streams.
 * - Every Unicode format character (`\p{Cf}`: bidi controls, zero-width space/joiners, BOM, soft hyphen,
 *   tag characters) is removed. This splits ZWJ emoji sequences into their parts: a display cost we
 *   accept for a rule with no exceptions to get wrong.
 * - Lone surrogates are refused (they cannot be encoded as UTF-8 honestly), as are names longer than
 *   {@link MAX_RAW_FILENAME_LENGTH} UTF-16 units before cleaning (bounds the work on hostile input).
 */
import { hasLoneSurrogate } from '../core/unicode.js';
import { argument } from '../core/validate.js';
import { UploadRejectedError } from './errors.js';

/** Default `maxBytes` of {@link sanitizeFilename}: the common file-system limit (ext4, NTFS, APFS). */
export const DEFAULT_MAX_FILENAME_BYTES = 255;

/** Longest raw name accepted, in UTF-16 code units; longer input is refused before any work. */
export const MAX_RAW_FILENAME_LENGTH = 32_768;

/** Longest extension (dot included, UTF-8 bytes) kept whole when a name is truncated. */
const MAX_KEPT_EXTENSION_BYTES = 32;

/** Options of {@link sanitizeFilename}. */
export interface SanitizeFilenameOptions {
  /** Longest result in UTF-8 bytes, 16..4096. Default 255. */
  readonly maxBytes?: number;
}

// Line breaks and tabs separate words: they become spaces rather than gluing words together.
const SPACE_LIKE = /[\t\n\v\f\r\u0085\u2028\u2029\p{Zs}]/gu;
/** C0 and C1 control characters and DEL (global: for `replace`). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is removed
export const CONTROLS = /[\u0000-\u001f\u007f-\u009f]/g;
const FORMAT_CHARS = /[\p{Cf}\uFFFE\uFFFF]/gu;
const WINDOWS_FORBIDDEN = /[<>:"|?*]/g;
// Slash look-alikes (fullwidth solidus and reverse solidus, division and fraction slashes, big solidi):
// harmless in our keys, but a client that NFKC-folds the name would see a path separator.
const SLASH_LIKE = /[\uFF0F\uFF3C\u2215\u2044\u29F8\u29F9\uFE68]/g;
const DRIVE_PREFIX = /^[A-Za-z]:/;
const RESERVED_DEVICE = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$)$/i;

const encoder = new TextEncoder();
const byteLength = (text: string) => encoder.encode(text).length;

const reject = (why: string) =>
  new UploadRejectedError('ERR_UPLOAD_FILENAME', `the file name is not acceptable: ${why}`);

const DOT_OR_SPACE = /[.\s]/u;

/**
 * Leading dots and spaces, trailing dots and spaces: hidden files, `.`/`..`, Windows' silent trims.
 * The end is trimmed by a loop, not `/[.\s]+$/`: that regex retries from every position of a long run
 * (a 32 KiB name of dots took 2 s), and `\s` has no astral characters, so code units are safe here.
 */
function trimDotsAndSpaces(name: string): string {
  let start = 0;
  while (start < name.length && DOT_OR_SPACE.test(name.charAt(start))) start += 1;
  let end = name.length;
  while (end > start && DOT_OR_SPACE.test(name.charAt(end - 1))) end -= 1;
  return name.slice(start, end);
}

/** The last path segment, whatever the separator (`/`, `\`), without a drive letter (`C:x` → `x`). */
function lastSegment(name: string): string {
  const segment = name.slice(Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\')) + 1);
  return segment.replace(DRIVE_PREFIX, '');
}

/** `CON.txt` → `_CON.txt`; the stem before the first dot is what Windows matches, spaces trimmed. */
function neutraliseDeviceName(name: string): string {
  const stem = (name.split('.', 1)[0] ?? '').trimEnd();
  return RESERVED_DEVICE.test(stem) ? `_${name}` : name;
}

/** Cuts `text` to at most `maxBytes` UTF-8 bytes, at a code-point boundary. */
function truncateBytes(text: string, maxBytes: number): string {
  let out = '';
  let used = 0;
  for (const codePoint of text) {
    const size = byteLength(codePoint);
    if (used + size > maxBytes) break;
    out += codePoint;
    used += size;
  }
  return out;
}

/** Truncates to `maxBytes`, keeping a short extension (`.pdf`) and cutting the stem instead. */
function truncateKeepingExtension(name: string, maxBytes: number): string {
  if (byteLength(name) <= maxBytes) return name;
  const dot = name.lastIndexOf('.');
  const extension = dot > 0 ? name.slice(dot) : '';
  const extensionBytes = byteLength(extension);
  if (extension === '' || extensionBytes > MAX_KEPT_EXTENSION_BYTES || extensionBytes >= maxBytes) {
    return trimDotsAndSpaces(truncateBytes(name, maxBytes));
  }
  const stem = trimDotsAndSpaces(truncateBytes(name.slice(0, dot), maxBytes - extensionBytes));
  return stem === '' ? trimDotsAndSpaces(truncateBytes(name, maxBytes)) : `${stem}${extension}`;
}

/** One cleaning pass; {@link sanitizeFilename} repeats it until nothing changes. */
function cleanOnce(input: string, maxBytes: number): string {
  // NFC again after the removals: a dropped character may have separated a base from its mark.
  let name = input.normalize('NFC');
  name = name.replace(SPACE_LIKE, ' ').replace(CONTROLS, '').replace(FORMAT_CHARS, '').normalize('NFC');
  name = lastSegment(name);
  name = name.replace(WINDOWS_FORBIDDEN, '_').replace(SLASH_LIKE, '_');
  name = trimDotsAndSpaces(name.replace(/ {2,}/g, ' '));
  name = neutraliseDeviceName(name);
  return truncateKeepingExtension(name, maxBytes);
}

/**
 * The cleaned display name of a client-supplied file name, or `ERR_UPLOAD_FILENAME` when nothing usable
 * is left. The result is NFC, has no directory part, no control, bidi or zero-width character, no run of
 * whitespace, no leading dot, no trailing dot or space, no Windows device name, and is at most
 * `maxBytes` UTF-8 bytes (the extension kept when the stem can be cut instead). Idempotent.
 *
 * @example
 * ```ts
 * sanitizeFilename('..\\..\\boot.ini'); // 'boot.ini'
 * sanitizeFilename('invoice\u202Efdp.exe'); // 'invoicefdp.exe' (the RTL override is gone)
 * sanitizeFilename('CON.txt'); // '_CON.txt'
 * ```
 */
export function sanitizeFilename(name: unknown, options: SanitizeFilenameOptions = {}): string {
  const maxBytes = argument.integer('maxBytes', options.maxBytes ?? DEFAULT_MAX_FILENAME_BYTES, 16, 4096);
  if (typeof name !== 'string') throw reject('not a string');
  if (name.length > MAX_RAW_FILENAME_LENGTH) throw reject('too long');
  if (hasLoneSurrogate(name)) throw reject('it holds a lone surrogate');
  // Passes repeat until nothing changes, so the result is a fixed point and sanitising it again is a
  // no-op. Each pass only removes or prefixes; the bound keeps a surprise from spinning, and a name
  // still changing after it is refused rather than returned unstable.
  let cleaned = name;
  for (let pass = 0; pass < 4; pass += 1) {
    const next = cleanOnce(cleaned, maxBytes);
    if (next === cleaned) {
      if (cleaned === '') throw reject('nothing is left after cleaning');
      return cleaned;
    }
    cleaned = next;
  }
  throw reject('it does not settle under cleaning');
}

/**
 * The extension of `name`, lower case, without the dot: `Report.PDF` → `pdf`, `archive.tar.gz` → `gz`.
 * `''` when there is none, for a dot-file (`.env`) and for a name ending in a dot. For display and
 * matching only: keys take their extension from the sniffed type, never from this.
 */
export function extensionOf(name: string): string {
  if (typeof name !== 'string') return '';
  const segment = name.slice(Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\')) + 1);
  const dot = segment.lastIndexOf('.');
  if (dot <= 0 || dot === segment.length - 1) return '';
  return segment.slice(dot + 1).toLowerCase();
}
