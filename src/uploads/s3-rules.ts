/**
 * S3's rules, shared by the S3 adapter and the in-memory store (which follows them so that a policy
 * tested on memory behaves the same on S3): multipart limits, presign expiry bounds, what a key and a
 * metadata entry may be, and the error-code convention of both stores' `StoreError`s.
 */
import { InvalidArgumentError, InvalidOptionError, StoreError } from '../core/errors.js';
import { hasLoneSurrogate } from '../core/unicode.js';
import type { MultipartLimits } from './types.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/** S3's multipart limits: 5 MiB minimum part (except the last), 5 GiB maximum part, 10,000 parts, 5 GiB single PUT. */
export const S3_MULTIPART_LIMITS: MultipartLimits = Object.freeze({
  minPartBytes: 5 * MiB,
  maxPartBytes: 5 * GiB,
  maxParts: 10_000,
  maxSinglePutBytes: 5 * GiB,
});

/** Longest presign lifetime SigV4 accepts (7 days), seconds. */
export const MAX_PRESIGN_EXPIRY_S = 604_800;

/** Longest S3 key, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024;

/** S3 caps the user metadata of one object at 2 KiB (names and values, UTF-8). */
export const MAX_METADATA_BYTES = 2048;

const isPositiveInt = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 1;

/** Parses a `multipartLimits` option: every field a positive integer, min <= max. Absent → S3's. */
export function parseMultipartLimits(owner: string, input: unknown): MultipartLimits {
  if (input === undefined) return S3_MULTIPART_LIMITS;
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new InvalidOptionError(`${owner}: \`multipartLimits\` must be an object`);
  }
  const given = input as Record<string, unknown>;
  for (const name of Object.keys(given)) {
    if (!(name in S3_MULTIPART_LIMITS)) {
      throw new InvalidOptionError(`${owner}: unknown option \`multipartLimits.${name}\``);
    }
  }
  const out: Record<string, number> = {};
  for (const [name, fallback] of Object.entries(S3_MULTIPART_LIMITS)) {
    const value = given[name] ?? fallback;
    if (!isPositiveInt(value)) {
      throw new InvalidOptionError(`${owner}: \`multipartLimits.${name}\` must be a positive integer`);
    }
    out[name] = value;
  }
  if ((out.minPartBytes as number) > (out.maxPartBytes as number)) {
    throw new InvalidOptionError(`${owner}: \`multipartLimits.minPartBytes\` exceeds \`maxPartBytes\``);
  }
  return Object.freeze(out as unknown as MultipartLimits);
}

/** Refuses a key S3 would refuse or a URL would mangle: empty, over 1,024 UTF-8 bytes, control characters, dot segments. */
export function checkKey(key: unknown, what = 'key'): string {
  if (typeof key !== 'string' || key.length === 0) {
    throw new InvalidArgumentError(`\`${what}\` must be a non-empty string`);
  }
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) {
    throw new InvalidArgumentError(`\`${what}\` is longer than ${MAX_KEY_BYTES} UTF-8 bytes`);
  }
  // Control characters survive neither XML listings nor most proxies; lone surrogates do not encode.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the point is to find them
  if (/[\u0000-\u001f\u007f]/.test(key) || hasLoneSurrogate(key)) {
    throw new InvalidArgumentError(`\`${what}\` holds control characters or invalid UTF-16`);
  }
  // URL parsers (fetch, browsers, proxies) resolve `.` and `..` segments: a presigned URL for
  // `a/../b` would reach `b`. S3 keeps such keys literally, so they could never be uploaded to.
  if (key.split('/').some((segment) => segment === '.' || segment === '..')) {
    throw new InvalidArgumentError(`\`${what}\` has a \`.\` or \`..\` segment`);
  }
  return key;
}

/** A presign lifetime: an integer 1..604,800 s. */
export function checkExpiry(expiresInS: unknown): number {
  if (!Number.isSafeInteger(expiresInS) || (expiresInS as number) < 1) {
    throw new InvalidArgumentError('`expiresInS` must be an integer in 1..604800');
  }
  if ((expiresInS as number) > MAX_PRESIGN_EXPIRY_S) {
    throw new InvalidArgumentError('`expiresInS` must be an integer in 1..604800');
  }
  return expiresInS as number;
}

/** A byte count: an integer in `min..max`. */
export function checkBytes(value: unknown, name: string, min: number, max: number): number {
  if (!Number.isSafeInteger(value) || (value as number) < min || (value as number) > max) {
    throw new InvalidArgumentError(`\`${name}\` must be an integer in ${min}..${max}`);
  }
  return value as number;
}

/** A multipart upload id as the store gave it: any non-empty string. */
export function checkUploadId(uploadId: unknown): string {
  if (typeof uploadId !== 'string' || uploadId === '') {
    throw new InvalidArgumentError('`uploadId` must be a non-empty string');
  }
  return uploadId;
}

/**
 * The arguments of a part presign, as both stores check them: the key, the upload id, the part number
 * within the store's part count, and an optional signed length within its part size. Returns the length.
 */
export function checkPartRequest(
  key: unknown,
  uploadId: unknown,
  partNumber: unknown,
  contentLength: unknown,
  limits: MultipartLimits,
): number | undefined {
  checkKey(key);
  checkUploadId(uploadId);
  checkBytes(partNumber, 'partNumber', 1, limits.maxParts);
  return contentLength === undefined
    ? undefined
    : checkBytes(contentLength, 'contentLength', 0, limits.maxPartBytes);
}

// A header value: visible ASCII and spaces (what S3 stores without RFC 2047 games).
const HEADER_VALUE = /^[\x20-\x7e]*$/;
const TOKEN = /^[a-z0-9][a-z0-9-]*$/;

/** A Content-Type (or Content-Disposition): non-empty visible ASCII, at most 1,024 characters. */
export function checkHeaderValue(value: unknown, name: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 1024 || !HEADER_VALUE.test(value)) {
    throw new InvalidArgumentError(`\`${name}\` must be 1..1024 characters of visible ASCII`);
  }
  return value;
}

/**
 * User metadata as S3 keeps it: lower-case token names, ASCII values, 2 KiB in all. Returns a copy with
 * lower-cased names; two names differing only in case are refused (S3 would keep one of them).
 */
export function checkMetadata(metadata: unknown): Readonly<Record<string, string>> {
  if (metadata === undefined) return {};
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
    throw new InvalidArgumentError('`metadata` must be an object of strings');
  }
  const out: Record<string, string> = {};
  let bytes = 0;
  for (const [rawName, value] of Object.entries(metadata)) {
    const name = rawName.toLowerCase();
    if (!TOKEN.test(name) || name.length > 128 || Object.hasOwn(out, name)) {
      throw new InvalidArgumentError('`metadata` names must be distinct tokens of [a-z0-9-]');
    }
    if (typeof value !== 'string' || !HEADER_VALUE.test(value)) {
      throw new InvalidArgumentError('`metadata` values must be strings of visible ASCII');
    }
    bytes += name.length + value.length;
    out[name] = value;
  }
  if (bytes > MAX_METADATA_BYTES) {
    throw new InvalidArgumentError(`\`metadata\` exceeds ${MAX_METADATA_BYTES} bytes`);
  }
  return out;
}

const SHA256_BASE64 = /^[A-Za-z0-9+/]{43}=$/;

/** A base64 SHA-256 (44 characters), as `x-amz-checksum-sha256` carries it. */
export function checkChecksum(value: unknown): string {
  if (typeof value !== 'string' || !SHA256_BASE64.test(value)) {
    throw new InvalidArgumentError('`checksumSha256` must be a base64 SHA-256 (44 characters)');
  }
  return value;
}

/**
 * The S3 error code behind a store failure (`NoSuchKey`, `EntityTooSmall`, `InvalidPart`, ...), or
 * undefined. Both stores put the code in the `StoreError`'s message and make it the `name` of its cause
 * (the AWS SDK's own convention), so a policy can tell "part too small" from "S3 is down".
 *
 * @example
 * ```ts nocheck
 * try { await store.completeMultipart(key, id, parts); }
 * catch (e) { if (objectStoreErrorCode(e) === 'EntityTooSmall') throw partError(); throw e; }
 * ```
 */
export function objectStoreErrorCode(error: unknown): string | undefined {
  if (!(error instanceof StoreError)) return undefined;
  const cause = error.cause as { name?: unknown; Code?: unknown } | undefined;
  const code = cause?.Code ?? cause?.name;
  return typeof code === 'string' && code !== 'Error' ? code : undefined;
}

/**
 * A `StoreError` carrying an S3 error code the way the AWS SDK does (the cause's `name`), for stores
 * that refuse on their own (the memory store, the writer's early checks).
 */
export function storeFailure(store: string, op: string, code: string, detail?: string): StoreError {
  const cause = Object.assign(new Error(detail ?? code), { name: code });
  return new StoreError(`${store}: ${op} failed: ${code}${detail === undefined ? '' : ` (${detail})`}`, {
    cause,
  });
}

/** Orders keys as S3 lists them: by their UTF-8 bytes (not JavaScript's UTF-16 order). */
export const compareKeys = (a: string, b: string): number =>
  Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
