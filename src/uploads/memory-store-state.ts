/**
 * What the memory store holds (objects and open multipart uploads) and the rules that change it, the
 * same as S3's: single PUTs up to `maxSinglePutBytes`, parts up to `maxPartBytes`, completion refusing
 * an unknown part, parts out of order, and a non-last part under `minPartBytes` (`EntityTooSmall`).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import { storeFailure } from './s3-rules.js';
import type { MultipartLimits, ObjectInfo, UploadedPart } from './types.js';

/** One stored object. */
export interface MemoryObject {
  readonly bytes: Uint8Array;
  readonly contentType: string | undefined;
  readonly contentDisposition: string | undefined;
  readonly metadata: Readonly<Record<string, string>>;
  readonly etag: string;
  readonly lastModifiedMs: number;
}

/** One open multipart upload. */
export interface MemoryUpload {
  readonly key: string;
  readonly uploadId: string;
  readonly contentType: string;
  readonly metadata: Readonly<Record<string, string>>;
  readonly startedAtMs: number;
  readonly parts: Map<number, { readonly bytes: Uint8Array; readonly etag: string }>;
}

/** The store's contents. */
export interface MemoryState {
  readonly name: string;
  readonly clock: Clock;
  readonly limits: MultipartLimits;
  readonly objects: Map<string, MemoryObject>;
  readonly uploads: Map<string, MemoryUpload>;
}

const md5 = (bytes: Uint8Array) => createHash('md5').update(bytes).digest();

/** A quoted ETag, as S3 sends it. */
const quoted = (hex: string) => `"${hex}"`;

/** Strips the quotes S3 puts around ETags, so `"abc"` and `abc` compare equal. */
export const bareEtag = (etag: string) => etag.replace(/^"(.*)"$/, '$1');

/** The {@link ObjectInfo} of a stored object. */
export function infoOf(key: string, object: MemoryObject): ObjectInfo {
  return {
    key,
    sizeBytes: object.bytes.byteLength,
    contentType: object.contentType,
    etag: object.etag,
    ...(object.contentDisposition === undefined ? {} : { contentDisposition: object.contentDisposition }),
    metadata: { ...object.metadata },
  };
}

/**
 * Stores a whole object (PUT, POST, copy). Refuses one over the single-PUT limit, except for a copy
 * (`isCopy`): the S3 adapter copies bigger objects part by part, so a copy has no such limit.
 */
export function storeObject(
  state: MemoryState,
  key: string,
  bytes: Uint8Array,
  attributes: Pick<MemoryObject, 'contentType' | 'contentDisposition' | 'metadata'>,
  isCopy = false,
): ObjectInfo {
  const etag = quoted(md5(bytes).toString('hex'));
  if (!isCopy && bytes.byteLength > state.limits.maxSinglePutBytes) {
    throw storeFailure(state.name, 'put', 'EntityTooLarge', 'body over the single-PUT limit');
  }
  // A copy of the caller's bytes: the store must not change when the caller reuses its buffer.
  const object = { ...attributes, bytes: Uint8Array.from(bytes), etag, lastModifiedMs: state.clock.now() };
  state.objects.set(key, object);
  return infoOf(key, object);
}

/** Opens a multipart upload and returns its id. */
export function openUpload(
  state: MemoryState,
  key: string,
  contentType: string,
  metadata: Readonly<Record<string, string>>,
): string {
  const uploadId = randomBytes(16).toString('hex');
  state.uploads.set(uploadId, {
    key,
    uploadId,
    contentType,
    metadata,
    startedAtMs: state.clock.now(),
    parts: new Map(),
  });
  return uploadId;
}

/** The open upload `uploadId` of `key`, or a `NoSuchUpload` failure. */
export function uploadOf(state: MemoryState, op: string, key: string, uploadId: string): MemoryUpload {
  const upload = state.uploads.get(uploadId);
  if (upload === undefined || upload.key !== key) throw storeFailure(state.name, op, 'NoSuchUpload');
  return upload;
}

/** Stores one part (a later part with the same number replaces it, as on S3); returns its ETag. */
export function storePart(
  upload: MemoryUpload,
  limits: MultipartLimits,
  partNumber: number,
  bytes: Uint8Array,
) {
  if (bytes.byteLength > limits.maxPartBytes) return { ok: false as const, code: 'EntityTooLarge' };
  const etag = quoted(md5(bytes).toString('hex'));
  upload.parts.set(partNumber, { bytes: Uint8Array.from(bytes), etag });
  return { ok: true as const, etag };
}

/** Completes an upload with S3's checks, in S3's order; the parts not listed are dropped. */
export function completeUpload(
  state: MemoryState,
  key: string,
  uploadId: string,
  list: readonly UploadedPart[],
): ObjectInfo {
  const fail = (code: string, detail?: string) => storeFailure(state.name, 'completeMultipart', code, detail);
  const upload = uploadOf(state, 'completeMultipart', key, uploadId);
  if (list.length === 0) throw fail('MalformedXML', 'no parts');
  const chosen: Uint8Array[] = [];
  const digests: Buffer[] = [];
  let previous = 0;
  for (const [index, part] of list.entries()) {
    if (!Number.isSafeInteger(part.partNumber) || part.partNumber <= previous) {
      throw fail('InvalidPartOrder', 'part numbers must ascend');
    }
    previous = part.partNumber;
    const held = upload.parts.get(part.partNumber);
    if (held === undefined || typeof part.etag !== 'string' || bareEtag(held.etag) !== bareEtag(part.etag)) {
      throw fail('InvalidPart', `part ${part.partNumber} is not stored with that ETag`);
    }
    if (index < list.length - 1 && held.bytes.byteLength < state.limits.minPartBytes) {
      throw fail('EntityTooSmall', `part ${part.partNumber} is under the minimum part size`);
    }
    chosen.push(held.bytes);
    digests.push(md5(held.bytes));
  }
  const bytes = Buffer.concat(chosen);
  const etag = quoted(`${md5(Buffer.concat(digests)).toString('hex')}-${list.length}`);
  const object = {
    bytes,
    contentType: upload.contentType,
    contentDisposition: undefined,
    metadata: upload.metadata,
    etag,
    lastModifiedMs: state.clock.now(),
  };
  state.objects.set(key, object);
  state.uploads.delete(uploadId);
  return infoOf(key, object);
}
