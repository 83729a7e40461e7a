/**
 * Server-generated object keys. Nothing the client sends shapes a key: the owner appears only as a
 * hash, the id is 128 random bits, and the extension comes from the sniffed type. Layout:
 *
 * - quarantine: `<quarantinePrefix><ownerHash>/<id>[.<ext>]`
 * - final:      `<finalPrefix><ownerHash>/<id>[.<ext>]`
 * - thumbnail:  `<prefix><ownerHash>/<id>/<name>.<ext>` (a "folder" per file, so listing or deleting a
 *   file's thumbnails is one prefix).
 *
 * About the owner hash: a plain SHA-256 of a guessable id (`42`, an e-mail address) can be reversed by
 * trying candidates, so it hides ids from casual readers of URLs, not from a determined one. Pass a
 * `secret` to {@link ownerHash} (HMAC-SHA-256) when owner ids must not be recoverable from URLs.
 */
import { createHash, createHmac } from 'node:crypto';
import { InvalidArgumentError, InvalidOptionError } from '../core/errors.js';

/** Bytes of randomness in an upload id: 128 bits. */
export const UPLOAD_ID_BYTES = 16;

/** Hex characters of an owner hash: 128 of SHA-256's 256 bits (collisions need ~2^64 owners). */
export const OWNER_HASH_HEX_LENGTH = 32;

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';
const UPLOAD_ID = /^[a-z2-7]{26}$/;
const OWNER_HASH = /^[0-9a-f]{32}$/;
const EXTENSION = /^[a-z0-9]{1,10}$/;
const THUMBNAIL_NAME = /^[a-z0-9][a-z0-9_-]{0,31}$/;
// S3's "safe characters" (letters, digits, `!-_.*'()`) plus `/` between segments.
const PREFIX_CHARS = /^[A-Za-z0-9!_.*'()/-]+$/;
const MAX_PREFIX_LENGTH = 512;

/** Random bytes, e.g. `crypto.randomBytes`. */
export type RandomBytes = (bytes: number) => Uint8Array;

/** RFC 4648 base32, lower case, no padding. */
function base32(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(buffer << (5 - bits)) & 31];
  return out;
}

/**
 * A new upload id: 128 bits from `random`, as 26 lower-case base32 characters (safe in keys and URLs,
 * case-insensitive stores included). `InvalidOptionError` when `random` does not return 16 bytes.
 */
export function newUploadId(random: RandomBytes): string {
  const bytes = random(UPLOAD_ID_BYTES);
  if (!(bytes instanceof Uint8Array) || bytes.length < UPLOAD_ID_BYTES) {
    throw new InvalidOptionError(`uploads: \`random\` must return ${UPLOAD_ID_BYTES} bytes as a Uint8Array`);
  }
  return base32(bytes.subarray(0, UPLOAD_ID_BYTES));
}

/**
 * The owner's key segment: 32 hex characters of SHA-256 (or of HMAC-SHA-256 with `secret`, which makes
 * the hash unguessable; see the file comment). Same owner, same segment, so a prefix lists an owner.
 */
export function ownerHash(owner: string, secret?: string | Uint8Array): string {
  if (typeof owner !== 'string' || owner === '') {
    throw new InvalidArgumentError('`owner` must be a non-empty string');
  }
  const digest =
    secret === undefined
      ? createHash('sha256').update(owner, 'utf8')
      : createHmac('sha256', secret).update(owner, 'utf8');
  return digest.digest('hex').slice(0, OWNER_HASH_HEX_LENGTH);
}

/**
 * Checks a key prefix and returns it: non-empty, at most 512 characters of S3's safe set, no leading
 * `/`, ending with `/`, no empty, `.` or `..` segment. `InvalidOptionError` naming `option` otherwise.
 */
export function validateKeyPrefix(prefix: unknown, option = 'prefix', owner = 'uploads'): string {
  const fail = (why: string) => new InvalidOptionError(`${owner}: \`${option}\` ${why}`);
  if (typeof prefix !== 'string' || prefix === '') throw fail('must be a non-empty string');
  if (prefix.length > MAX_PREFIX_LENGTH) throw fail(`must be at most ${MAX_PREFIX_LENGTH} characters`);
  if (!PREFIX_CHARS.test(prefix)) throw fail("may only use letters, digits, `!-_.*'()` and `/`");
  if (prefix.startsWith('/')) throw fail('must not start with `/`');
  if (!prefix.endsWith('/')) throw fail('must end with `/`');
  const segments = prefix.slice(0, -1).split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..')) {
    throw fail('must not have an empty, `.` or `..` segment');
  }
  return prefix;
}

function checkParts(hash: string, id: string, ext: string): string {
  if (typeof hash !== 'string' || !OWNER_HASH.test(hash)) {
    throw new InvalidArgumentError('`ownerHash` must be 32 lower-case hex characters (use ownerHash())');
  }
  if (typeof id !== 'string' || !UPLOAD_ID.test(id)) {
    throw new InvalidArgumentError('`id` must be an id from newUploadId()');
  }
  if (ext === '') return '';
  if (typeof ext !== 'string' || !EXTENSION.test(ext)) {
    throw new InvalidArgumentError('`ext` must be 1-10 lower-case letters or digits, or empty');
  }
  return `.${ext}`;
}

/** The quarantine key of an upload: `<prefix><ownerHash>/<id>[.<ext>]` (`ext` `''` for none). */
export function quarantineKey(prefix: string, hash: string, id: string, ext = ''): string {
  const suffix = checkParts(hash, id, ext);
  return `${validateKeyPrefix(prefix, 'prefixes.quarantine')}${hash}/${id}${suffix}`;
}

/** The optional folder between the owner and the id: an upload id, so a sweeper finds every attempt. */
function groupSegment(group: string | undefined): string {
  if (group === undefined) return '';
  if (typeof group !== 'string' || !UPLOAD_ID.test(group)) {
    throw new InvalidArgumentError('`group` must be an id from newUploadId()');
  }
  return `${group}/`;
}

/**
 * The final key of a promoted file: `<prefix><ownerHash>/[<group>/]<id>[.<ext>]`. The policy passes the
 * upload id as `group`, so the copies of one upload share a folder its sweeper can list.
 */
export function finalKey(prefix: string, hash: string, id: string, ext = '', group?: string): string {
  const suffix = checkParts(hash, id, ext);
  return `${validateKeyPrefix(prefix, 'prefixes.final')}${hash}/${groupSegment(group)}${id}${suffix}`;
}

/** The key of thumbnail `name` of file `id`: `<prefix><ownerHash>/[<group>/]<id>/<name>.<ext>`. */
export function thumbnailKey(
  prefix: string,
  hash: string,
  id: string,
  name: string,
  ext: string,
  group?: string,
): string {
  checkParts(hash, id, '');
  if (typeof name !== 'string' || !THUMBNAIL_NAME.test(name)) {
    throw new InvalidArgumentError('`name` must be 1-32 of `a-z0-9_-`, starting with a letter or digit');
  }
  if (typeof ext !== 'string' || !EXTENSION.test(ext)) {
    throw new InvalidArgumentError('`ext` must be 1-10 lower-case letters or digits');
  }
  return `${validateKeyPrefix(prefix, 'prefix')}${hash}/${groupSegment(group)}${id}/${name}.${ext}`;
}

/** Key extension of each type the sniffer can return (the detector's own `ext` wins for the rest). */
const EXTENSIONS: ReadonlyMap<string, string> = new Map(
  Object.entries({
    'image/png': 'png',
    'image/jpeg': 'jpg',
    'image/gif': 'gif',
    'image/webp': 'webp',
    'image/avif': 'avif',
    'image/heic': 'heic',
    'image/tiff': 'tif',
    'image/bmp': 'bmp',
    'image/svg+xml': 'svg',
    'application/pdf': 'pdf',
    'application/zip': 'zip',
    'application/gzip': 'gz',
    'video/mp4': 'mp4',
    'video/webm': 'webm',
    'video/quicktime': 'mov',
    'audio/mpeg': 'mp3',
    'audio/ogg': 'ogg',
    'text/plain': 'txt',
    'text/csv': 'csv',
    'application/json': 'json',
  }),
);

/**
 * The key extension for a sniffed type: from the table above, else `detectedExt` when it is 1-10
 * lower-case letters or digits, else `''` (no extension: the stored Content-Type still says what it is).
 */
export function extensionForType(contentType: string, detectedExt?: string): string {
  const known = EXTENSIONS.get(contentType);
  if (known !== undefined) return known;
  const ext = detectedExt?.toLowerCase();
  return ext !== undefined && EXTENSION.test(ext) ? ext : '';
}
